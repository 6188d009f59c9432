// llmc core: threads, the SIMD path chosen from CPUID, and the Carver that lays named tensor views
// out in one flat buffer (llm.c style: one allocation for all parameters, one for all gradients).
//
// Determinism: every routine in llmc computes each output element on one thread in a fixed order
// (work is split over independent rows / heads / tiles only), so results are bit-identical for any
// thread count.
#pragma once

#include <cstddef>
#include <string>

namespace llmc {

// Threads for all parallel loops (OpenMP when built with it). n < 1 counts as 1.
void set_threads(int n);
int threads();

// SIMD path of the GEMM, chosen at run time from CPUID (__builtin_cpu_supports).
enum class Simd { kScalar, kAvx2, kAvx512 };
Simd simd();
// "avx512f+fma", "avx2+fma" or "scalar(fmaf)": the name benchmarks and start events report.
const char* simd_name(Simd s);
inline const char* simd_name() {
  return simd_name(simd());
}
// Forces a path (tests compare paths; a path the CPU lacks is refused: returns false).
bool force_simd(Simd s);

// Carves consecutive tensors out of a flat float buffer. With base == nullptr it only counts
// (a sizing pass): the same carve() code then sizes the buffer and binds the views.
struct Carver {
  float* base = nullptr;
  size_t off = 0;
  explicit Carver(float* b = nullptr) : base(b) {}
  float* take(size_t n) {
    float* p = base ? base + off : nullptr;
    off += n;
    return n ? p : nullptr;
  }
};

}  // namespace llmc
