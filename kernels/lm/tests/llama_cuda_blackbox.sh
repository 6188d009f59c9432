#!/usr/bin/env bash
# binllm-lm's pretrained (GGUF) path on device cuda:0, on the tiny Llama file of lm_llama_tests:
#   a build without CUDA      -> exit 3, "built without CUDA";
#   a CUDA build, no GPU      -> exit 3 naming the device ("no CUDA device available");
#   a CUDA build with a GPU   -> exit 0, and per context and kv format the GPU's ppl within
#                                1e-3 (relative) of the CPU cell's for fp32 / fp16 / int8 / q8_0,
#                                within 3e-2 for the others (fp32 accumulation orders differ, and a
#                                rounding-level difference can flip a quantised value: README.md,
#                                "CUDA"); with lm_cuda_llama_tests given, every layer's KV attention
#                                GPU vs CPU on the same inputs (<= 1e-4), every format.
# Usage: llama_cuda_blackbox.sh <binllm-lm> <lm_llama_tests> [lm_cuda_llama_tests]
BIN=$1
TESTS=$2
CUDA_TESTS=${3:-}
. "$(dirname "$0")/../../tests/lib.sh"

"$TESTS" write-tiny "$TMP" || fail "write-tiny"
for i in $(seq 1 12); do echo "the cat and the dog went in and out, then the end $i."; done > "$TMP/text.txt"
cfg() {  # cfg <device> <kv>
  echo "{\"seed\":1,\"threads\":1,\"device\":\"$1\",\"checkpoint\":\"$TMP/tiny.gguf\",\"valid_file\":\"$TMP/text.txt\",\"contexts\":[32,64],\"kv\":\"$2\",\"kv_residual\":8,\"kv_group\":8}"
}
ppls() { printf '%s\n' "$OUT" | grep '"name":"ppl","value"' | sed 's/.*"value":\([^,}]*\).*"ctx":\([0-9]*\).*/\2 \1/'; }

has_cuda_build=0
"$BIN" describe | grep -q '"cuda"' && has_cuda_build=1
has_gpu=0
command -v nvidia-smi > /dev/null 2>&1 && nvidia-smi -L 2> /dev/null | grep -q '^GPU ' && has_gpu=1

if [ "$has_cuda_build" = 0 ]; then
  run_cfg "$BIN" "$(cfg cuda:0 int4)"
  expect_rc 3 "cuda:0 in a build without CUDA"; expect_err_has "without CUDA" "says the build has no CUDA"
  finish
fi
if [ "$has_gpu" = 0 ]; then
  run_cfg "$BIN" "$(cfg cuda:0 int4)"
  expect_rc 3 "cuda:0 without a GPU"; expect_err_has "cuda:0" "names the device"
  finish
fi
run_cfg "$BIN" "$(cfg cuda:7 int4)"
if nvidia-smi -L | grep -q '^GPU 7:'; then ok "cuda:7 exists here, not checked"; else expect_rc 3 "cuda:7 absent"; fi
for kv in fp32 fp16 int8 int4 int2 bin q8_0 q4_0 kivi2 kivi-bin bin-c qjl; do
  run_cfg "$BIN" "$(cfg cpu "$kv")"
  expect_rc 0 "cpu kv $kv"
  CPU=$(ppls)
  run_cfg "$BIN" "$(cfg cuda:0 "$kv")"
  expect_rc 0 "cuda:0 kv $kv"; expect_out_has '"kind":"cuda"' "start event names the cuda device"
  GPU=$(ppls)
  case $kv in fp32|fp16|int8|q8_0) tol=1e-3 ;; *) tol=3e-2 ;; esac
  if python3 - "$CPU" "$GPU" "$tol" << 'PY'
import sys
c = dict(l.split() for l in sys.argv[1].splitlines() if l.strip())
g = dict(l.split() for l in sys.argv[2].splitlines() if l.strip())
assert c and c.keys() == g.keys(), (c, g)
for L in c:
    rel = abs(float(g[L]) - float(c[L])) / float(c[L])
    print(f"  ctx {L}: ppl cpu {c[L]} gpu {g[L]} rel {rel:.2e}", file=sys.stderr)
    assert rel <= float(sys.argv[3])
PY
  then ok "kv $kv: gpu ppl within $tol of cpu"; else fail "kv $kv: gpu vs cpu ppl: $CPU / $GPU"; fi
done
if [ -n "$CUDA_TESTS" ]; then
  if "$CUDA_TESTS" layers "$TMP/tiny.gguf" "$TMP/text.txt" 64 >&2; then ok "per-layer KV attention, gpu vs cpu"
  else fail "per-layer KV attention, gpu vs cpu"; fi
fi
finish
