#!/usr/bin/env bash
# Black-box tests of binllm-lm's pretrained (GGUF) path on a tiny Llama file written by the unit
# test binary: a cell end to end, thread-count determinism, and the exit-2 errors naming the file,
# the tensor and the block type. Usage: llama_blackbox.sh <binllm-lm> <lm_llama_tests>
BIN=$1
TESTS=$2
. "$(dirname "$0")/../../tests/lib.sh"

"$TESTS" write-tiny "$TMP" || fail "write-tiny"
# a text of a few hundred tokens for the byte-level tiny vocabulary
for i in $(seq 1 12); do echo "the cat and the dog went in and out, then the end $i."; done > "$TMP/text.txt"

run_cfg "$BIN" "{\"seed\":1,\"threads\":1,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[32,64],\"kv\":\"bin\"}"
expect_rc 0 "tiny gguf cell"; expect_jsonl "tiny gguf cell"
expect_out_has '"name":"ppl","value"' "ppl metric"; expect_out_has '"kv_bits_per_scalar"' "bits per scalar"
expect_out_has '"event":"values","name":"nll","unit":"window"' "per-window nll values"
ONE=$(printf '%s\n' "$OUT" | grep '"name":"nll","value"')
run_cfg "$BIN" "{\"seed\":1,\"threads\":2,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[32,64],\"kv\":\"bin\"}"
TWO=$(printf '%s\n' "$OUT" | grep '"name":"nll","value"')
if [ -n "$ONE" ] && [ "$ONE" = "$TWO" ]; then ok "nll identical for 1 and 2 threads"; else fail "threads change nll: $ONE vs $TWO"; fi
for kv in fp16 int4 q4_0 kivi2 kivi-bin bin-c qjl; do
  run_cfg "$BIN" "{\"seed\":3,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[32],\"kv\":\"$kv\",\"kv_residual\":8,\"stride\":0}"
  expect_rc 0 "kv $kv with a residual window"; expect_out_has '"name":"ppl","value"' "kv $kv ppl"
done

run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/truncated.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[32]}"
expect_rc 2 "truncated gguf"; expect_err_has "truncated" "says truncated"; expect_err_has "truncated.gguf" "names the file"
expect_err_has "output_norm.weight" "names the tensor cut off"
run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/badtype.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[32]}"
expect_rc 2 "unknown block type"; expect_err_has "Q6_K" "names the block type"; expect_err_has "blk.0.attn_k.weight" "names the tensor"
run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/nope.gguf\",\"valid_file\":\"$TMP/text.txt\"}"
expect_rc 2 "missing gguf"; expect_err_has "checkpoint" "names checkpoint"
run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"kv\":\"int3\"}"
expect_rc 2 "unknown kv"; expect_err_has "kv" "names kv"
run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[4096]}"
expect_rc 2 "context beyond the model's context_length"; expect_err_has "contexts" "names contexts"
run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[250]}"
expect_rc 2 "context beyond the text"; expect_err_has "valid_file" "names valid_file"
run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"kv\":\"int4\",\"kv_group\":5}"
expect_rc 2 "kv_group not dividing the kv width"; expect_err_has "kv_group" "names kv_group"
run_cfg "$BIN" "{\"seed\":1,\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"bogus\":1}"
expect_rc 2 "unknown key"; expect_err_has "bogus" "names bogus"
finish
