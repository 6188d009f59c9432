#!/usr/bin/env python3
"""llmc's fp32 GEMM vs PyTorch's (MKL/OpenBLAS) at the shapes the kernels run, side by side in one
run, alternating, best of N each (the host is shared).

Shapes: SmolLM2-135M's linear layers at a 512-token window (y = x W^T, `nt`), its tied output head,
and the LM/NLU training products (`nn` forward, `tn` weight gradient). Prints GFLOP/s and the
ratio ours / torch with llmc's SIMD path. Needs a Python with torch (a benchmark venv, never CI):
  python3 kernels/bench/gemm_vs_blas.py --python /tmp/torchvenv/bin/python --threads 2
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import best_of, cpu_name, run_ours  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHAPES = [  # (op, M, K, N, what)
    ('nt', 512, 576, 576, 'SmolLM2 q/o proj, 512 tokens'),
    ('nt', 512, 576, 1536, 'SmolLM2 gate/up, 512 tokens'),
    ('nt', 512, 1536, 576, 'SmolLM2 down, 512 tokens'),
    ('nt', 64, 576, 49152, 'SmolLM2 output head, 64 rows'),
    ('nn', 512, 128, 512, 'LM training forward'),
    ('tn', 128, 512, 512, 'LM training weight gradient'),
]

TORCH = r'''
import json, sys, time, torch
op, M, K, N, threads, reps = sys.argv[1], *map(int, sys.argv[2:7])
torch.set_num_threads(threads)
g = torch.Generator().manual_seed(1)
A = torch.rand((K, M) if op == 'tn' else (M, K), generator=g) * 2 - 1
B = torch.rand((N, K) if op == 'nt' else (K, N), generator=g) * 2 - 1
f = {'nn': lambda: A @ B, 'nt': lambda: A @ B.T, 'tn': lambda: A.T @ B}[op]
f()
best = 1e30
for _ in range(reps):
    t0 = time.perf_counter(); f(); best = min(best, time.perf_counter() - t0)
print(json.dumps({'seconds': best, 'gflops': 2.0 * M * K * N / best * 1e-9,
                  'blas': torch.__config__.show().split('BLAS_INFO=')[-1].split(',')[0]}))
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--python', default=sys.executable, help='a Python with torch')
    ap.add_argument('--bench', default=os.path.join(ROOT, '.binllm', 'build', 'kernels', 'bin', 'llmc-gemm-bench'))
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--reps', type=int, default=5, help='timed calls per process (best kept)')
    ap.add_argument('--repeats', type=int, default=3, help='alternating process pairs (best kept)')
    a = ap.parse_args()
    info = json.loads(subprocess.run([os.path.join(os.path.dirname(a.bench), 'llmc-info')], check=True,
                                     capture_output=True, text=True).stdout)
    print(f"# {cpu_name()}, {a.threads} threads, llmc SIMD path {info['simd']}, best of {a.repeats} x {a.reps}")
    print(f"| shape | op | M x K x N | llmc GFLOP/s ({info['simd']}) | torch GFLOP/s | llmc / torch |")
    print('| --- | --- | --- | ---: | ---: | ---: |')
    for op, M, K, N, what in SHAPES:
        args = [op, str(M), str(K), str(N), str(a.threads), str(a.reps)]
        def torch_run():
            out = subprocess.run([a.python, '-c', TORCH] + args, check=True, capture_output=True, text=True).stdout
            return json.loads(out.strip().splitlines()[-1])
        ours, ref = best_of(a.repeats, lambda: run_ours(a.bench, args), torch_run, {'gflops': max})
        print(f"| {what} | {op} | {M} x {K} x {N} | {ours['gflops']:.1f} | {ref['gflops']:.1f} | "
              f"{ours['gflops'] / ref['gflops']:.2f}x |")


if __name__ == '__main__':
    main()
