"""Pieces shared by the ours-vs-PyTorch benchmarks (lm_vs_torch.py, nlu_vs_torch.py)."""
import json
import subprocess


def run_ours(bin_path, args):
    """Runs `<bin> <args>` and returns its last stdout line as JSON (the kernel's bench record)."""
    out = subprocess.run([bin_path] + args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def best_of(repeats, run_a, run_b, better):
    """Alternates run_a() and run_b() `repeats` times and keeps each side's best value of every key
    in `better` (key -> min or max) that its records carry: the host is shared, and best-of-N is
    the least noisy estimate. Returns the two merged records."""
    a, b = None, None
    for _ in range(repeats):
        ra, rb = run_a(), run_b()
        if a is None:
            a, b = ra, rb
            continue
        for best, new in ((a, ra), (b, rb)):
            for k, pick in better.items():
                if k in best and k in new:
                    best[k] = pick(best[k], new[k])
    return a, b


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown cpu"
