#!/usr/bin/env bash
# Black-box tests of binllm-lm: the config contract (exit 2 naming the parameter), a tiny cell,
# the model cache, thread-count determinism, the checkpoint path. Usage: blackbox.sh <binllm-lm>
BIN=$1
. "$(dirname "$0")/../../tests/lib.sh"

TINY='"d_model":16,"n_layers":1,"n_heads":2,"ctx":32,"steps":8,"batch":4,"vocab":8,"n_train_tokens":2000,"n_valid_tokens":300'

# --- bad configs: exit 2 and the message names the parameter
run_cfg "$BIN" "{\"seed\":1,\"d_model\":30,\"n_heads\":4}"
expect_rc 2 "heads not dividing width"; expect_err_has "n_heads" "names n_heads"
expect_out_has '"status":"error"' "error end event"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"contexts\":[16,64]}"
expect_rc 2 "context > trained context"; expect_err_has "contexts" "names contexts"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"text\",\"train_file\":\"$TMP/nope.txt\",\"valid_file\":\"$TMP/nope.txt\"}"
expect_rc 2 "missing train file"; expect_err_has "train_file" "names train_file"
: > "$TMP/empty.txt"
printf 'some validation text that is long enough for a context of thirty-two bytes.\n' > "$TMP/valid.txt"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"text\",\"train_file\":\"$TMP/empty.txt\",\"valid_file\":\"$TMP/valid.txt\"}"
expect_rc 2 "empty text"; expect_err_has "train_file" "names train_file (empty)"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"dataset\":\"text\",\"valid_file\":\"$TMP/valid.txt\"}"
expect_rc 2 "text without train_file"; expect_err_has "train_file" "names the missing train_file"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"kv\":\"int4\",\"kv_group\":12}"
expect_rc 2 "kv_group not dividing width"; expect_err_has "kv_group" "names kv_group"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"kv\":\"int3\"}"
expect_rc 2 "unknown kv"; expect_err_has "kv" "names kv"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"bogus\":1}"
expect_rc 2 "unknown key"; expect_err_has "bogus" "names bogus"
run_cfg "$BIN" "{\"seed\":1,$TINY,\"checkpoint\":\"$TMP/none.safetensors\",\"valid_file\":\"$TMP/valid.txt\"}"
expect_rc 2 "missing checkpoint"; expect_err_has "checkpoint" "names checkpoint"
if ! "$BIN" describe | grep -q '"cuda"'; then
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"device\":\"cuda:0\"}"
  expect_rc 3 "cuda on a CPU-only build"
else
  # CUDA build: a usable GPU runs the cell (0), none gives "resource missing" (3)
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"contexts\":[32],\"device\":\"cuda:0\"}"
  if [ "$RC" = 0 ] || [ "$RC" = 3 ]; then ok "cuda:0 on a CUDA build (rc=$RC)"; else fail "cuda:0: rc=$RC; $ERR"; fi
  run_cfg "$BIN" "{\"seed\":1,$TINY,\"device\":\"cuda:99\"}"
  expect_rc 3 "cuda:99 does not exist"
fi

# --- a tiny cell, cached model, determinism across thread counts
metrics() { printf '%s\n' "$OUT" | grep '"event":"metric"' | grep -E '"name":"(ppl|nll|kv_cache_bytes|train_loss_final|entropy_rate_nats)"'; }
run_cfg "$BIN" "{\"seed\":3,$TINY,\"kv\":\"bin\",\"contexts\":[8,32],\"threads\":1,\"work_dir\":\"$TMP/wd\"}"
expect_rc 0 "tiny bin cell"; expect_jsonl "tiny bin cell"
expect_out_has '"name":"ppl","value":' "ppl metric"
expect_out_has '"tags":{"ctx":32,"kv":"bin"}' "ctx/kv tags"
expect_out_has '"name":"model_cached","value":0' "trained (not cached) the first time"
A=$(metrics)
run_cfg "$BIN" "{\"seed\":3,$TINY,\"kv\":\"bin\",\"contexts\":[8,32],\"threads\":2,\"work_dir\":\"$TMP/wd\"}"
expect_rc 0 "cached cell"; expect_out_has '"name":"model_cached","value":1' "model served from the cache"
B=$(metrics)
[ "$A" = "$B" ] && ok "same metrics from the cached model, 1 vs 2 threads" || fail "metrics differ: $A // $B"
run_cfg "$BIN" "{\"seed\":3,$TINY,\"kv\":\"bin\",\"contexts\":[8,32],\"threads\":2}"
C=$(metrics)
[ "$A" = "$C" ] && ok "same metrics without a cache (retrained, 2 threads)" || fail "retrained metrics differ: $A // $C"
run_cfg "$BIN" "{\"seed\":3,$TINY,\"kv\":\"int4\",\"kv_group\":8,\"contexts\":[32],\"work_dir\":\"$TMP/wd\"}"
expect_rc 0 "sibling int4 cell"; expect_out_has '"name":"model_cached","value":1' "sibling reuses the model"

# --- text data and a GPT-2-layout checkpoint
head -c 3000 "$0" > "$TMP/train.txt"
run_cfg "$BIN" "{\"seed\":1,\"d_model\":16,\"n_layers\":1,\"n_heads\":2,\"ctx\":32,\"steps\":4,\"batch\":2,\"dataset\":\"text\",\"train_file\":\"$TMP/train.txt\",\"valid_file\":\"$TMP/valid.txt\",\"kv\":\"int8\",\"contexts\":[16,32]}"
expect_rc 0 "text cell"; expect_out_has '"name":"ppl"' "text ppl"
"$BIN" write-test-checkpoint "$TMP/gpt2.safetensors" 32 2 4 64 300 7 && ok "wrote a checkpoint" || fail "write-test-checkpoint"
run_cfg "$BIN" "{\"checkpoint\":\"$TMP/gpt2.safetensors\",\"n_heads\":4,\"valid_file\":\"$TMP/valid.txt\",\"kv\":\"bin\",\"contexts\":[16,32]}"
expect_rc 0 "checkpoint cell"; expect_out_has '"tags":{"ctx":32,"kv":"bin"}' "checkpoint ppl tags"
run_cfg "$BIN" "{\"checkpoint\":\"$TMP/gpt2.safetensors\",\"n_heads\":5,\"valid_file\":\"$TMP/valid.txt\"}"
expect_rc 2 "checkpoint heads not dividing width"; expect_err_has "n_heads" "names n_heads (checkpoint)"
run_cfg "$BIN" "{\"checkpoint\":\"$TMP/gpt2.safetensors\",\"n_heads\":4,\"valid_file\":\"$TMP/valid.txt\",\"contexts\":[128]}"
expect_rc 2 "checkpoint context too long"; expect_err_has "contexts" "names contexts (checkpoint)"
# pre-tokenized ids for the checkpoint: a (1, 40) int32 .npy written here (ids 0..39)
hdr="{'descr': '<i4', 'fortran_order': False, 'shape': (1, 40), }"
while [ $(( (10 + ${#hdr} + 1) % 64 )) -ne 0 ]; do hdr="$hdr "; done
hdr="$hdr"$'\n'
{ printf '\x93NUMPY\x01\x00'; printf "\\x$(printf %02x $(( ${#hdr} % 256 )))\\x$(printf %02x $(( ${#hdr} / 256 )))"; printf '%s' "$hdr"
  for i in $(seq 0 39); do printf "\\x$(printf %02x "$i")\\x00\\x00\\x00"; done; } > "$TMP/ids.npy"
run_cfg "$BIN" "{\"checkpoint\":\"$TMP/gpt2.safetensors\",\"n_heads\":4,\"valid_tokens\":\"$TMP/ids.npy\",\"kv\":\"int4\",\"contexts\":[8,16]}"
expect_rc 0 "checkpoint with valid_tokens"; expect_out_has '"name":"eval_tokens","value":32' "all 32 targets of (40-1)/16 windows"
run_cfg "$BIN" "{\"checkpoint\":\"$TMP/gpt2.safetensors\",\"n_heads\":4,\"valid_tokens\":\"$TMP/valid.txt\"}"
expect_rc 2 "valid_tokens not a .npy"; expect_err_has "valid_tokens" "names valid_tokens"
finish
