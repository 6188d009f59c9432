#!/usr/bin/env python3
"""H1 benchmark: our exact Hamming search vs FAISS IndexBinaryFlat, and binary vs float search.

Part 1 (side by side, one run): N random codes of B bits, NQ queries, k nearest neighbours, T threads.
  Our binllm-hamming-bench and FAISS IndexBinaryFlat search the same codes; the neighbour sets
  are checked (per query: identical sorted distances; identical ids wherever the distance is
  below the k-th distance; ids at the k-th distance must be ties, and ours must be the smallest
  such ids — verified by brute force for a sample of queries).
Part 2: our exact float cosine search vs our Hamming search, d = 768, m = 256 (rhp codes of the
  same synthetic vectors): speed ratio and bytes per vector ratio (768 * 4 / 32 = 96).
Part 3 (only with --device cuda:N): the GPU search, codes/s and the fraction of the device's
  memory bandwidth, cross-checked against the CPU result.

Requirements (benchmark only, never CI):
  python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install faiss-cpu numpy
Usage:
  /tmp/benchvenv/bin/python kernels/bench/h1_hamming_vs_faiss.py [--threads 2] [--simd auto] [--device cuda:0]
Our search runs on the SIMD path chosen from CPUID (--simd forces one); the portable path is
timed beside it, and every figure names its path.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

INSTALL = "python3 -m venv /tmp/benchvenv && /tmp/benchvenv/bin/pip install faiss-cpu numpy"

try:
    import numpy as np
except ImportError:
    sys.exit(f"numpy is missing. Install the benchmark dependencies with:\n  {INSTALL}\n"
             f"then run: /tmp/benchvenv/bin/python {' '.join(sys.argv)}")
try:
    import faiss
except ImportError:
    sys.exit(f"faiss is missing (faiss-cpu from PyPI). Install the benchmark dependencies with:\n  {INSTALL}\n"
             f"then run: /tmp/benchvenv/bin/python {' '.join(sys.argv)}")

POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


def hamming_all(db, q):
    """Distances of one query q (bytes) to every code of db (n x bytes)."""
    return POPCOUNT8[np.bitwise_xor(db, q[None, :])].sum(axis=1)


def run_json(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def compare(ours_ids, ours_d, faiss_ids, faiss_d, db, queries, k, n_brute):
    nq = ours_ids.shape[0]
    dist_ok = bool(np.array_equal(ours_d, faiss_d))
    strict_ok = True
    tie_only = 0
    for i in range(nq):
        kth = ours_d[i, -1]
        a = set(ours_ids[i][ours_d[i] < kth].tolist())
        b = set(faiss_ids[i][faiss_d[i] < kth].tolist())
        if a != b:
            strict_ok = False
        if set(ours_ids[i].tolist()) != set(faiss_ids[i].tolist()):
            tie_only += 1
    # brute force: our distances are right, and ties at the k-th distance took the smallest ids
    brute_ok = True
    for i in range(min(n_brute, nq)):
        d = hamming_all(db, queries[i])
        order = np.lexsort((np.arange(len(d)), d))[:k]
        if not (np.array_equal(order, ours_ids[i]) and np.array_equal(d[order], ours_d[i])):
            brute_ok = False
    return {"distances_identical": dist_ok, "ids_identical_below_kth": strict_ok,
            "queries_differing_only_in_tie_ids": tie_only, "brute_force_sample_ok": brute_ok,
            "brute_force_sample": min(n_brute, nq)}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default=os.path.join(repo, ".binllm", "build", "kernels", "bin"))
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--nq", type=int, default=1000)
    ap.add_argument("--bits", type=int, default=256)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda:N to add the GPU figures")
    ap.add_argument("--simd", default="auto", help="auto|portable|avx2|avx512: our search's SIMD path")
    ap.add_argument("--float-n", type=int, default=100_000)
    ap.add_argument("--float-nq", type=int, default=100)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--float-bits", type=int, default=256)
    ap.add_argument("--skip-float", action="store_true")
    ap.add_argument("--brute", type=int, default=5, help="queries verified by numpy brute force")
    ap.add_argument("--json-out", default="")
    a = ap.parse_args()

    bench = os.path.join(a.bin_dir, "binllm-hamming-bench")
    if not os.path.exists(bench):
        sys.exit(f"{bench} not found; build first:\n  cmake -S kernels -B .binllm/build/kernels -DCMAKE_BUILD_TYPE=Release"
                 f" && cmake --build .binllm/build/kernels -j2")
    if a.bits % 8:
        sys.exit("--bits must be a multiple of 8 (FAISS binary codes are bytes)")

    result = {"date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
              "faiss_version": faiss.__version__, "numpy_version": np.__version__,
              "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
              "nproc": os.cpu_count(), "loadavg_before": os.getloadavg()}
    rng = np.random.default_rng(a.seed)
    db = rng.integers(0, 256, size=(a.n, a.bits // 8), dtype=np.uint8)
    queries = rng.integers(0, 256, size=(a.nq, a.bits // 8), dtype=np.uint8)

    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "db.npy"), db)
        np.save(os.path.join(tmp, "q.npy"), queries)
        cmd = [bench, "hamming", "--db", os.path.join(tmp, "db.npy"), "--queries", os.path.join(tmp, "q.npy"),
               "--k", str(a.k), "--threads", str(a.threads), "--repeat", str(a.repeat),
               "--out-ids", os.path.join(tmp, "ids.npy"), "--out-dist", os.path.join(tmp, "dist.npy"),
               "--device", a.device, "--simd", a.simd]
        ours = run_json(cmd)
        base = [bench, "hamming", "--db", os.path.join(tmp, "db.npy"), "--queries", os.path.join(tmp, "q.npy"),
                "--k", str(a.k), "--repeat", str(a.repeat)]
        # single-thread figure too, for a per-core comparison with FAISS at 1 thread
        ours1 = run_json(base + ["--threads", "1", "--simd", a.simd])
        # the portable path beside the chosen one (what a CPU without AVX2/AVX-512 gets)
        portable = run_json(base + ["--threads", str(a.threads), "--simd", "portable"])
        ours_ids = np.load(os.path.join(tmp, "ids.npy")).astype(np.int64)
        ours_d = np.load(os.path.join(tmp, "dist.npy")).astype(np.int64)

    t0 = time.perf_counter()
    index = faiss.IndexBinaryFlat(a.bits)
    index.add(db)
    faiss_add_s = time.perf_counter() - t0
    # FAISS at T threads and at 1 thread (OpenMP can lose badly on a busy shared machine); the
    # ratio uses FAISS's best time, so it can only understate our advantage.
    faiss_by_threads = {}
    for t in sorted({a.threads, 1}, reverse=True):
        faiss.omp_set_num_threads(t)
        times = []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            fd, fi = index.search(queries, a.k)
            times.append(time.perf_counter() - t0)
        faiss_by_threads[t] = times
    best_t = min(faiss_by_threads, key=lambda t: min(faiss_by_threads[t]))
    times = faiss_by_threads[best_t]
    faiss_s = min(times)
    cmp = compare(ours_ids, ours_d, fi.astype(np.int64), fd.astype(np.int64), db, queries, a.k, a.brute)
    ratio = faiss_s / ours["search_s_best"]
    result["hamming_vs_faiss"] = {
        "n": a.n, "nq": a.nq, "bits": a.bits, "k": a.k, "threads": a.threads, "repeat": a.repeat,
        "ours_search_ms": ours["search_s_best"] * 1e3, "ours_all_ms": [t * 1e3 for t in ours["search_s_all"]],
        "ours_index_build_ms": ours["index_build_s"] * 1e3, "ours_simd": ours["simd"],
        "ours_1thread_search_ms": ours1["search_s_best"] * 1e3,
        "ours_portable_search_ms": portable["search_s_best"] * 1e3,
        "faiss_search_ms": faiss_s * 1e3, "faiss_best_threads": best_t,
        "faiss_all_ms_by_threads": {str(t): [x * 1e3 for x in v] for t, v in faiss_by_threads.items()},
        "faiss_add_ms": faiss_add_s * 1e3,
        "ours_codes_per_s": ours["codes_per_s"], "faiss_codes_per_s": a.n * a.nq / faiss_s,
        "speed_ratio_faiss_over_ours": ratio, "check": cmp, "build": ours["build"]}
    if "cuda" in ours:
        result["cuda"] = ours["cuda"]

    print(f"== Hamming search: {a.n:,} codes x {a.bits} bits, {a.nq:,} queries, k={a.k}, {a.threads} threads "
          f"(best of {a.repeat}) ==")
    print(f"  ours  ({ours['simd']}): {ours['search_s_best']*1e3:9.1f} ms  {ours['codes_per_s']:.3e} codes/s")
    print(f"  ours  ({ours1['simd']}, 1 thread): {ours1['search_s_best']*1e3:9.1f} ms  "
          f"{ours1['codes_per_s']:.3e} codes/s")
    print(f"  ours  ({portable['simd']}): {portable['search_s_best']*1e3:9.1f} ms  {portable['codes_per_s']:.3e} codes/s")
    for t, v in faiss_by_threads.items():
        print(f"  FAISS IndexBinaryFlat : {min(v)*1e3:9.1f} ms  {a.n*a.nq/min(v):.3e} codes/s  "
              f"({t} thread{'s' if t > 1 else ''}, faiss {faiss.__version__})")
    print(f"  ratio FAISS best time / our time ({ours['simd']}) = {ratio:.2f}  (goal >= 1.5)")
    print(f"  neighbour check: {cmp}")
    if "cuda" in ours:
        c = ours["cuda"]
        print(f"== CUDA {c['device']} (cc {c['cc']}): kernels {c['kernel_s_best']*1e3:.2f} ms, "
              f"{c['codes_per_s']:.3e} codes/s, {c['achieved_bytes_per_s']/1e9:.0f} GB/s of "
              f"{c['peak_bytes_per_s']/1e9:.0f} GB/s peak = {c['bandwidth_fraction']:.1%}; "
              f"identical to CPU: {c['identical_to_cpu']}")

    if not a.skip_float:
        fv = run_json([bench, "float-vs-binary", "--n", str(a.float_n), "--nq", str(a.float_nq), "--dim", str(a.dim),
                       "--bits", str(a.float_bits), "--k", str(a.k), "--threads", str(a.threads),
                       "--repeat", str(a.repeat), "--seed", str(a.seed + 1)])
        result["float_vs_binary"] = fv
        print(f"== Float vs binary: {a.float_n:,} docs, {a.float_nq} queries, d={a.dim}, m={a.float_bits}, k={a.k} ==")
        print(f"  exact float cosine: {fv['float_search_s_best']*1e3:9.1f} ms")
        print(f"  exact Hamming     : {fv['binary_search_s_best']*1e3:9.1f} ms")
        print(f"  speedup {fv['speedup']:.1f}x (goal >= 10), bytes/vector {fv['bytes_per_vector_float']:.0f} vs "
              f"{fv['bytes_per_vector_binary']:.0f} = {fv['memory_ratio']:.0f}x less memory (goal 96x); "
              f"overlap@{a.k} = {fv['overlap_at_k']:.3f}")
    result["loadavg_after"] = os.getloadavg()
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(result, f, indent=2)
    ok = cmp["distances_identical"] and cmp["ids_identical_below_kth"] and cmp["brute_force_sample_ok"]
    if "cuda" in ours:
        ok = ok and ours["cuda"]["identical_to_cpu"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
