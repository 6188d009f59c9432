#!/usr/bin/env bash
# Compiles every kernels/**/*.cu with nvcc -c for sm_80 and sm_90 (and sm_100 when this nvcc
# lists it), with the include dirs of the CMake build (llmc/cuda headers as "cuda/<name>.cuh"). Fails if any compile fails.
#
# nvcc: $NVCC, else `nvcc` on PATH, else exit 0 with "nvcc not found, skipped"
# (exit 1 instead when BINLLM_REQUIRE_NVCC=1).
set -u
here=$(cd "$(dirname "$0")" && pwd)
kernels=$(cd "$here/.." && pwd)

nvcc=${NVCC:-}
if [ -z "$nvcc" ]; then nvcc=$(command -v nvcc 2>/dev/null || true); fi
if [ -z "$nvcc" ] || [ ! -x "$nvcc" ]; then
  if [ "${BINLLM_REQUIRE_NVCC:-0}" = "1" ]; then
    echo "check-cuda: nvcc not found (set NVCC=/path/to/nvcc) and BINLLM_REQUIRE_NVCC=1" >&2
    exit 1
  fi
  echo "check-cuda: nvcc not found, skipped (set NVCC=/path/to/nvcc or put nvcc on PATH)"
  exit 0
fi

archs="80 90"
if "$nvcc" --list-gpu-arch 2>/dev/null | grep -qx compute_100; then archs="$archs 100"; fi
echo "check-cuda: $("$nvcc" --version | tail -n 2 | head -n 1)"
echo "check-cuda: archs: $archs"

mapfile -t files < <(find "$kernels" -name '*.cu' -not -path '*/build/*' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "check-cuda: no .cu files"; exit 0; fi

out=$(mktemp -d "${TMPDIR:-/tmp}/binllm-check-cuda.XXXXXX")
trap 'rm -rf "$out"' EXIT
fails=0
for f in "${files[@]}"; do
  rel=${f#"$kernels"/}
  for a in $archs; do
    if "$nvcc" -c -std=c++17 -O3 --expt-relaxed-constexpr -DBINLLM_WITH_CUDA=1 \
        -I"$kernels/common/include" -I"$kernels/llmc/include" -I"$kernels/llmc" -I"$(dirname "$f")" \
        -gencode "arch=compute_$a,code=sm_$a" -o "$out/x.o" "$f" 2> "$out/log"; then
      echo "ok    sm_$a  $rel"
    else
      echo "FAIL  sm_$a  $rel"
      cat "$out/log"
      fails=$((fails + 1))
    fi
  done
done
if [ "$fails" -gt 0 ]; then echo "check-cuda: $fails compile(s) failed" >&2; exit 1; fi
echo "check-cuda: all ${#files[@]} file(s) compiled for: $archs"
