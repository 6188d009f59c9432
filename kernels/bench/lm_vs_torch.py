#!/usr/bin/env python3
"""Benchmark: binllm-lm (C++ CPU) vs PyTorch (CPU) on the same GPT-style decoder.

Same architecture (pre-LN, causal MHA, tanh-GELU 4x MLP, learned positions, tied embedding),
same batch and context, the same number of threads. Prints training steps/s and evaluation
tokens/s for both side by side, the ratios ours/torch, and the SIMD path of each (ours: llmc's
GEMM path from CPUID via the llmc-info tool next to --bin; torch: its CPU capability).
torch is needed only here (a benchmark venv, never CI):
  python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch numpy
  /tmp/torchvenv/bin/python kernels/bench/lm_vs_torch.py --bin .binllm/build/kernels/bin/binllm-lm
"""
import argparse
import json
import os
import subprocess
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_common import best_of, cpu_name, run_ours


class Block(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.ln_1 = nn.LayerNorm(C)
        self.c_attn = nn.Linear(C, 3 * C)
        self.c_proj = nn.Linear(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.c_fc = nn.Linear(C, 4 * C)
        self.mlp_proj = nn.Linear(4 * C, C)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q = q.view(B, T, self.H, C // self.H).transpose(1, 2)
        k = k.view(B, T, self.H, C // self.H).transpose(1, 2)
        v = v.view(B, T, self.H, C // self.H).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.c_proj(y)
        x = x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x


class GPT(nn.Module):
    def __init__(self, V, T, C, L, H):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList([Block(C, H) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for b in self.h:
            x = b(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


def bench_torch(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = GPT(a.vocab, a.ctx, a.d_model, a.n_layers, a.n_heads)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    x = torch.randint(0, a.vocab, (a.batch, a.ctx))
    y = torch.randint(0, a.vocab, (a.batch, a.ctx))

    def step():
        _, loss = m(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    t_step = (time.perf_counter() - t0) / a.steps
    # evaluation: non-overlapping windows of ctx tokens, eval_batch windows per forward
    n_win = a.eval_tokens // a.ctx
    data = torch.randint(0, a.vocab, (n_win, a.ctx + 1))
    m.eval()
    with torch.no_grad():
        m(data[: a.eval_batch, :-1], data[: a.eval_batch, 1:])
        t0 = time.perf_counter()
        tot = 0
        for i in range(0, n_win, a.eval_batch):
            d = data[i: i + a.eval_batch]
            _, loss = m(d[:, :-1], d[:, 1:])
            tot += d.shape[0] * a.ctx
        t_eval = time.perf_counter() - t0
    return {"impl": "torch", "train_steps_per_s": 1.0 / t_step, "eval_tokens_per_s": tot / t_eval,
            "n_params": sum(p.numel() for p in m.parameters())}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=".binllm/build/kernels/bin/binllm-lm")
    p.add_argument("--d_model", type=int, default=128)
    p.add_argument("--n_layers", type=int, default=2)
    p.add_argument("--n_heads", type=int, default=4)
    p.add_argument("--ctx", type=int, default=128)
    p.add_argument("--vocab", type=int, default=256)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--eval_tokens", type=int, default=16384)
    p.add_argument("--eval_batch", type=int, default=8)
    p.add_argument("--kv", default="fp32", help="KV format for our eval timing (torch: none)")
    p.add_argument("--repeats", type=int, default=3,
                   help="alternate ours/torch this many times and keep each side's best "
                        "(the machine is shared; best-of-N is the least noisy estimate)")
    a = p.parse_args()
    args = ["bench"]
    for k in ["d_model", "n_layers", "n_heads", "ctx", "vocab", "batch", "threads", "steps",
              "eval_tokens", "eval_batch", "kv"]:
        args += ["--" + k, str(getattr(a, k))]
    ours, theirs = best_of(a.repeats, lambda: run_ours(a.bin, args), lambda: bench_torch(a),
                           {"train_steps_per_s": max, "eval_tokens_per_s": max})
    ours["train_step_s"] = 1.0 / ours["train_steps_per_s"]
    out = {
        "shape": {k: getattr(a, k) for k in ["d_model", "n_layers", "n_heads", "ctx", "vocab",
                                              "batch", "threads"]},
        "torch_version": torch.__version__,
        "ours": ours,
        "torch": theirs,
        "train_ratio": ours["train_steps_per_s"] / theirs["train_steps_per_s"],
        "eval_ratio": ours["eval_tokens_per_s"] / theirs["eval_tokens_per_s"],
    }
    out["ours_simd"] = llmc_simd(a.bin)
    out["torch_simd"] = torch.backends.cpu.get_cpu_capability()
    out["cpu"] = cpu_name()
    out["load_avg"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))
    ok = out["train_ratio"] >= 1.0 and out["eval_ratio"] >= 1.0
    print(f"cpu: {out['cpu']}, {a.threads} threads, load {out['load_avg']:.1f}; "
          f"ours: llmc {out['ours_simd']}, torch {torch.__version__}: {out['torch_simd']}")
    print(f"{'':8}{'ours':>14}{'torch':>14}{'ratio':>8}")
    print(f"{'train':8}{ours['train_steps_per_s']:>11.2f} st/s{theirs['train_steps_per_s']:>9.2f} st/s"
          f"{out['train_ratio']:>7.2f}x")
    print(f"{'eval':8}{ours['eval_tokens_per_s']:>10.0f} tok/s{theirs['eval_tokens_per_s']:>8.0f} tok/s"
          f"{out['eval_ratio']:>7.2f}x")
    print(f"goal >= 1.0x for both: {'met' if ok else 'NOT met'}")


def llmc_simd(bin_path):
    """The SIMD path llmc chooses on this CPU (the llmc-info tool built beside binllm-lm)."""
    info = os.path.join(os.path.dirname(os.path.abspath(bin_path)), "llmc-info")
    try:
        return json.loads(subprocess.run([info], check=True, capture_output=True, text=True).stdout)["simd"]
    except (OSError, subprocess.CalledProcessError, ValueError, KeyError):
        return "unknown (llmc-info not found next to --bin)"


if __name__ == "__main__":
    main()
