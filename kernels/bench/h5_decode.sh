#!/usr/bin/env bash
# H5 CPU benchmark, one run, figures side by side (kernels/BENCHMARKS.md, H5 section):
#  1. decode attention at long L: bin-kv vs our int4 (time per step, KV bytes read, the ratio,
#     and both as a fraction of the STREAM-copy bandwidth the kernel measures itself);
#  2. our int4 GEMV and int4 K scores vs llama.cpp's Q4_0 x Q8_0 vec_dot on the same shapes
#     (and our binary kernels beside them), single-threaded.
# Every figure names its SIMD path. Usage: kernels/bench/h5_decode.sh [threads] [contexts]
#   env: BUILD (kernel build dir, default .binllm/build/kernels), LLAMA (default /work/llama.cpp)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$root/.binllm/build/kernels}
LLAMA=${LLAMA:-/work/llama.cpp}
threads=${1:-1}
contexts=${2:-16384,32768}
bin=$BUILD/bin/binllm-decode-bench
[ -x "$bin" ] || { echo "h5_decode: $bin not built (run ./binllm build)" >&2; exit 3; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "== H5 decode attention (binllm-decode-bench, $threads thread(s)), CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
# attention-dominated shape: one layer, 8 heads of 128, no GQA, small weights
shape='"d_model":1024,"n_heads":8,"n_kv_heads":8,"d_ff":1024,"n_layers":1,"steps":8,"warmup":2,"window_s":2,"idle_s":0'
for q in bin int4 fp16; do
  printf '{"seed":1,"quant":"%s","contexts":[%s],"threads":%s,%s}\n' "$q" "$contexts" "$threads" "$shape" > "$tmp/$q.json"
  "$bin" run --config "$tmp/$q.json" > "$tmp/$q.out" 2> "$tmp/$q.err" || { cat "$tmp/$q.err" >&2; exit 1; }
done
python3 - "$tmp" "$contexts" <<'PY'
import json, sys
tmp, contexts = sys.argv[1], [int(x) for x in sys.argv[2].split(',')]
def load(q):
    m, start = {}, None
    for line in open(f"{tmp}/{q}.out"):
        e = json.loads(line)
        if e["event"] == "start": start = e
        if e["event"] == "metric": m[(e["name"], e["tags"].get("ctx"))] = e["value"]
    return start, m
runs = {q: load(q) for q in ("bin", "int4", "fp16")}
simd = runs["bin"][0]["build"]["simd"]
copy = runs["bin"][1][("device_copy_gbps", None)]
print(f"SIMD path: {simd}; STREAM-copy bandwidth measured by the kernel: {copy:.2f} GB/s; energy: {runs['bin'][0]['build']['energy']}")
print(f"{'L':>7} {'variant':>7} {'attn ms':>9} {'KV MB':>8} {'attn GB/s':>10} {'of copy bw':>10} {'tok/s':>9}   {'int4 attn / bin attn':>20}")
for L in contexts:
    for q in ("bin", "int4", "fp16"):
        m = runs[q][1]
        ms, kv = m[("attention_ms", L)], m[("kv_cache_bytes", L)]
        gbps = kv / (ms * 1e-3) / 1e9
        ratio = runs["int4"][1][("attention_ms", L)] / ms if q == "bin" else None
        kvr = runs["int4"][1][("kv_cache_bytes", L)] / kv if q == "bin" else None
        extra = f"   {ratio:6.2f}x faster, reads 1/{kvr:.2f} of the bytes" if ratio else ""
        print(f"{L:>7} {q:>7} {ms:9.3f} {kv/1e6:8.2f} {gbps:10.2f} {gbps/copy:10.1%} {m[('tokens_per_s', L)]:9.1f}{extra}  [{simd}]")
PY

echo
echo "== int4 / binary row kernels vs llama.cpp Q4_0 (1 thread)"
G=$LLAMA/vendor/llama.cpp/ggml/include
L=$LLAMA/build/bin
ggml_flags=()
if [ -f "$L/libggml-cpu.so" ] && [ -f "$L/libggml-base.so" ] && [ -f "$G/ggml-cpu.h" ]; then
  ggml_flags=(-DHAVE_GGML -I"$G" -L"$L" -lggml-cpu -lggml-base -Wl,-rpath,"$L")
else
  echo "(llama.cpp build not found under $LLAMA/build/bin: our figures only; build it per HELPERS.md)"
fi
d=$root/kernels/decode
g++ -std=c++17 -O3 -march=native -ffp-contract=off -I"$d" -o "$tmp/h5_gemv" "$root/kernels/bench/h5_gemv.cpp" \
  "$d/quant.cpp" "$d/simd.cpp" "$d/kernels_scalar.cpp" "$d/kernels_avx2.cpp" "$d/kernels_avx512.cpp" "${ggml_flags[@]}"
"$tmp/h5_gemv" "${REPS:-8}"
