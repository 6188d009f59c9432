#!/usr/bin/env python3
"""Benchmark: binllm-nlu (C++ CPU, llmc) vs PyTorch (CPU) on the same NLU encoder.

Same model: pre-LN bidirectional encoder, tanh-GELU 4x MLP, learned positions, [CLS] pooling, a
linear classification head; for --quant bin-blocks every attention/MLP linear is BitLinear (sign of
the latent weight times its per-row absmean, 8-bit absmax activations per token, straight-through
estimators written the usual PyTorch way with .detach()), token and position embeddings are int4
group-wise fake-quant (group 32), as binllm-nlu's bin-blocks variant. Same batch, sequence length
and thread count; one training step (forward, cross entropy, backward, AdamW, clipping) and the
fake-quant eval forward, best of --repeats alternating runs. Prints both side by side with the
ratios ours/torch and the SIMD path of each. torch is needed only here (a benchmark venv, never CI):
  python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch numpy
  /tmp/torchvenv/bin/python kernels/bench/nlu_vs_torch.py --bin .binllm/build/kernels/bin/binllm-nlu
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_common import best_of, cpu_name, run_ours


def ste(x, q):
    """Straight-through: forward q, gradient of x."""
    return x + (q - x).detach()


def act8(x):
    s = 127.0 / x.abs().amax(dim=-1, keepdim=True).clamp_min(1e-12)
    return ste(x, (x * s).round().clamp(-128, 127) / s)


def int4_group(w, group):
    g = w.reshape(-1, group)
    s = g.abs().amax(dim=-1, keepdim=True) / 7.0
    q = (g / s.clamp_min(1e-12)).round().clamp(-7, 7) * s
    return ste(w, q.reshape(w.shape))


class BitLinear(nn.Linear):
    def forward(self, x):
        beta = self.weight.abs().mean(dim=1, keepdim=True)
        wq = ste(self.weight, torch.where(self.weight >= 0, beta, -beta))
        return F.linear(act8(x), wq, self.bias)


class Block(nn.Module):
    def __init__(self, C, H, lin):
        super().__init__()
        self.H = H
        self.ln_1 = nn.LayerNorm(C)
        self.qkv = lin(C, 3 * C)
        self.proj = lin(C, C)
        self.ln_2 = nn.LayerNorm(C)
        self.fc = lin(C, 4 * C)
        self.fc_proj = lin(4 * C, C)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.H, C // self.H).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=False)
        x = x + self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
        return x + self.fc_proj(F.gelu(self.fc(self.ln_2(x)), approximate="tanh"))


class Encoder(nn.Module):
    def __init__(self, V, T, C, L, H, K, quant):
        super().__init__()
        self.quant = quant
        lin = BitLinear if quant == "bin-blocks" else nn.Linear
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(T, C)
        self.h = nn.ModuleList([Block(C, H, lin) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.head = nn.Linear(C, K)

    def forward(self, idx):
        B, T = idx.shape
        wte, wpe = self.wte.weight, self.wpe.weight
        if self.quant == "bin-blocks":
            wte, wpe = int4_group(wte, 32), int4_group(wpe, 32)
        x = F.embedding(idx, wte) + wpe[:T]
        for b in self.h:
            x = b(x)
        return self.head(self.ln_f(x)[:, 0])


def bench_torch(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = Encoder(259, a.max_len, a.d_model, a.n_layers, a.n_heads, 2, a.quant)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01)
    x = torch.randint(3, 259, (a.batch, a.max_len))
    y = torch.randint(0, 2, (a.batch,))

    def step():
        loss = F.cross_entropy(m(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()

    step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    t_step = (time.perf_counter() - t0) / a.steps
    n = max(a.batch, a.eval_n) // a.batch * a.batch
    data = torch.randint(3, 259, (n, a.max_len))
    m.eval()
    with torch.no_grad():
        m(data[: a.batch])
        t0 = time.perf_counter()
        for i in range(0, n, a.batch):
            m(data[i: i + a.batch])
        t_eval = time.perf_counter() - t0
    return {"impl": "torch", "train_step_s": t_step, "eval_tokens_per_s": n * a.max_len / t_eval,
            "n_params": sum(p.numel() for p in m.parameters())}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=".binllm/build/kernels/bin/binllm-nlu")
    p.add_argument("--d_model", type=int, default=128)
    p.add_argument("--n_layers", type=int, default=2)
    p.add_argument("--n_heads", type=int, default=4)
    p.add_argument("--max_len", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--eval_n", type=int, default=512)
    p.add_argument("--quant", default="bin-blocks", choices=["bin-blocks", "fp16"])
    p.add_argument("--repeats", type=int, default=3,
                   help="alternate ours/torch this many times and keep each side's best (shared machine)")
    a = p.parse_args()
    args = ["bench"]
    for k in ["d_model", "n_layers", "n_heads", "max_len", "batch", "threads", "steps", "eval_n", "quant"]:
        args += ["--" + k, str(getattr(a, k))]
    ours, theirs = best_of(a.repeats, lambda: run_ours(a.bin, args), lambda: bench_torch(a),
                           {"train_step_s": min, "eval_tokens_per_s": max, "packed_eval_tokens_per_s": max})
    out = {
        "shape": {k: getattr(a, k) for k in ["d_model", "n_layers", "n_heads", "max_len", "batch", "threads", "quant"]},
        "torch_version": torch.__version__, "ours": ours, "torch": theirs,
        "train_ratio": theirs["train_step_s"] / ours["train_step_s"],
        "eval_ratio": ours["eval_tokens_per_s"] / theirs["eval_tokens_per_s"],
        "ours_simd": ours.get("simd", "unknown"), "torch_simd": torch.backends.cpu.get_cpu_capability(),
        "cpu": cpu_name(), "load_avg": os.getloadavg()[0],
    }
    print(json.dumps(out, indent=2))
    ok = out["train_ratio"] >= 1.0 and out["eval_ratio"] >= 1.0
    print(f"cpu: {out['cpu']}, {a.threads} threads, load {out['load_avg']:.1f}; "
          f"ours: llmc {out['ours_simd']}, torch {torch.__version__}: {out['torch_simd']}; quant {a.quant}")
    print(f"{'':14}{'ours':>14}{'torch':>14}{'ratio':>8}")
    print(f"{'train step':14}{ours['train_step_s'] * 1e3:>11.2f} ms{theirs['train_step_s'] * 1e3:>11.2f} ms{out['train_ratio']:>7.2f}x")
    print(f"{'eval (fq)':14}{ours['eval_tokens_per_s']:>10.0f} tok/s{theirs['eval_tokens_per_s']:>8.0f} tok/s{out['eval_ratio']:>7.2f}x")
    if "packed_eval_tokens_per_s" in ours:
        print(f"{'eval (packed)':14}{ours['packed_eval_tokens_per_s']:>10.0f} tok/s   (ours only: 1-bit weights, int8 activations)")
    print(f"goal >= 1.0x for train and eval: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
