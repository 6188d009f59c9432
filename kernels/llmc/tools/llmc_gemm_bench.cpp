// llmc-gemm-bench: GFLOP/s of llmc's GEMM at given shapes (kernels/bench/gemm_vs_numpy.py prints
// these beside numpy's BLAS in one run). Usage: llmc-gemm-bench nn|nt|tn M K N [threads] [reps]
// Prints one JSON line per call: {"op","M","K","N","threads","simd","seconds","gflops"}.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "llmc/core.hpp"
#include "llmc/gemm.hpp"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: llmc-gemm-bench nn|nt|tn M K N [threads] [reps]\n");
    return 2;
  }
  const char* op = argv[1];
  const int M = std::atoi(argv[2]), K = std::atoi(argv[3]), N = std::atoi(argv[4]);
  const int threads = argc > 5 ? std::atoi(argv[5]) : 1, reps = argc > 6 ? std::atoi(argv[6]) : 5;
  if (M <= 0 || K <= 0 || N <= 0 || reps <= 0 || (std::strcmp(op, "nn") && std::strcmp(op, "nt") && std::strcmp(op, "tn"))) {
    std::fprintf(stderr, "llmc-gemm-bench: bad arguments (op nn|nt|tn, M K N reps > 0)\n");
    return 2;
  }
  llmc::set_threads(threads);
  // A (M,K) or (K,M) for tn; B (K,N) or (N,K) for nt: the same element counts either way
  std::vector<float> A((size_t)M * K), B((size_t)K * N), C((size_t)M * N);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (auto& x : A) x = u(rng);
  for (auto& x : B) x = u(rng);
  auto call = [&] {
    if (!std::strcmp(op, "nn")) llmc::gemm_nn(A.data(), B.data(), C.data(), M, K, N, false);
    else if (!std::strcmp(op, "nt")) llmc::gemm_nt(A.data(), B.data(), C.data(), M, K, N, false);
    else llmc::gemm_tn(A.data(), B.data(), C.data(), M, K, N, false);
  };
  call();  // warm-up: thread pool, page faults, packing buffers
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("{\"op\":\"%s\",\"M\":%d,\"K\":%d,\"N\":%d,\"threads\":%d,\"simd\":\"%s\",\"seconds\":%.6f,\"gflops\":%.2f}\n",
              op, M, K, N, threads, llmc::simd_name(), best, 2.0 * M * K * N / best * 1e-9);
  return 0;
}
