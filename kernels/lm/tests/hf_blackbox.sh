#!/usr/bin/env bash
# Black-box tests of binllm-lm on a Hugging Face Llama folder: the tiny GGUF model of
# llama_blackbox.sh exported as an HF folder (lm_hf_tests export) gives the same per-window nll
# as the GGUF file for several KV formats; a broken folder exits 2 naming `model` and the field.
# Usage: hf_blackbox.sh <binllm-lm> <lm_llama_tests> <lm_hf_tests>
BIN=$1
LLAMA_TESTS=$2
HF_TESTS=$3
. "$(dirname "$0")/../../tests/lib.sh"

"$LLAMA_TESTS" write-tiny "$TMP" || fail "write-tiny"
"$HF_TESTS" export "$TMP/tiny.gguf" "$TMP/hf" && ok "exported an HF folder" || fail "export"
for i in $(seq 1 12); do echo "the cat and the dog went in and out, then the end $i."; done > "$TMP/text.txt"

for kv in fp16 int4 kivi2 qjl; do
  run_cfg "$BIN" "{\"seed\":2,\"model\":\"$TMP/tiny.gguf\",\"corpus\":\"$TMP/text.txt\",\"contexts\":[32,64],\"kv\":\"$kv\"}"
  expect_rc 0 "gguf cell kv $kv"
  GGUF=$(printf '%s\n' "$OUT" | grep '"event":"values","name":"nll"')
  run_cfg "$BIN" "{\"seed\":2,\"model\":\"$TMP/hf\",\"corpus\":\"$TMP/text.txt\",\"contexts\":[32,64],\"kv\":\"$kv\"}"
  expect_rc 0 "hf folder cell kv $kv"; expect_jsonl "hf folder cell kv $kv"
  HF=$(printf '%s\n' "$OUT" | grep '"event":"values","name":"nll"')
  if [ -n "$HF" ] && [ "$HF" = "$GGUF" ]; then ok "kv $kv: per-window nll identical (gguf vs hf folder)"; else fail "kv $kv: nll differ: $GGUF vs $HF"; fi
done
expect_out_has '"name":"bits_per_param","value":32' "F32 folder: 32 bits per param"

mkdir -p "$TMP/bad" && cp "$TMP/hf/tokenizer.json" "$TMP/hf/model.safetensors" "$TMP/bad/"
sed 's/"num_attention_heads":[0-9]*,//' "$TMP/hf/config.json" > "$TMP/bad/config.json"
run_cfg "$BIN" "{\"model\":\"$TMP/bad\",\"corpus\":\"$TMP/text.txt\",\"contexts\":[32]}"
expect_rc 2 "config.json without num_attention_heads"; expect_err_has "'model'" "names model"
expect_err_has "num_attention_heads" "names the field"
run_cfg "$BIN" "{\"model\":\"$TMP\",\"corpus\":\"$TMP/text.txt\",\"contexts\":[32]}"
expect_rc 2 "folder without config.json"; expect_err_has "config.json" "names config.json"
finish
