// binllm — seeded random numbers that are bit-for-bit reproducible across platforms.
//
// xoshiro256** seeded through splitmix64; uniforms from the top 53 bits; normals by the Marsaglia
// polar method using only +, -, *, /, sqrt (IEEE correctly rounded) and a logarithm implemented
// here with a fixed operation order, so no libm differences leak into the draws. Build with
// -ffp-contract=off (the CMake build does) so no FMA contraction changes the rounding.
#pragma once

#include <cmath>
#include <cstdint>

namespace binllm {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Mix a seed with a stream id (e.g. "which generator / which purpose") into a new seed.
inline uint64_t derive_seed(uint64_t seed, uint64_t stream) {
  uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL);
  splitmix64(s);
  return splitmix64(s);
}

// Natural logarithm of a positive finite double with a fixed evaluation order:
// x = f * 2^e with f in [sqrt(1/2), sqrt(2)); log f = 2 atanh(t), t = (f-1)/(f+1), |t| <= 0.1716.
// Accurate to about 1 ulp; identical on every IEEE-754 platform.
inline double det_log(double x) {
  int e = 0;
  double f = std::frexp(x, &e);  // exact, f in [0.5, 1)
  if (f < 0.70710678118654752440) {
    f *= 2.0;  // exact
    e -= 1;
  }
  double t = (f - 1.0) / (f + 1.0);
  double t2 = t * t;
  // atanh(t)/t = sum t^(2j) / (2j+1), Horner from the small end; 14 terms reach < 1e-21.
  double p = 1.0 / 29.0;
  p = p * t2 + 1.0 / 27.0;
  p = p * t2 + 1.0 / 25.0;
  p = p * t2 + 1.0 / 23.0;
  p = p * t2 + 1.0 / 21.0;
  p = p * t2 + 1.0 / 19.0;
  p = p * t2 + 1.0 / 17.0;
  p = p * t2 + 1.0 / 15.0;
  p = p * t2 + 1.0 / 13.0;
  p = p * t2 + 1.0 / 11.0;
  p = p * t2 + 1.0 / 9.0;
  p = p * t2 + 1.0 / 7.0;
  p = p * t2 + 1.0 / 5.0;
  p = p * t2 + 1.0 / 3.0;
  double logf = 2.0 * t + 2.0 * t * (t2 * p);
  const double ln2_hi = 6.93147180369123816490e-01;  // high bits of ln 2 (exact times small ints)
  const double ln2_lo = 1.90821492927058770002e-10;
  double de = static_cast<double>(e);
  return de * ln2_hi + (logf + de * ln2_lo);
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  Rng(uint64_t seed, uint64_t stream) { reseed(derive_seed(seed, stream)); }

  void reseed(uint64_t seed) {
    uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
    have_spare_ = false;
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  uint64_t operator()() { return next_u64(); }

  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Unbiased integer in [0, n), n > 0 (rejection sampling).
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    uint64_t limit = (~uint64_t(0)) - ((~uint64_t(0)) % n);
    uint64_t x;
    do {
      x = next_u64();
    } while (x >= limit);
    return x % n;
  }
  // Standard normal (Marsaglia polar method, deterministic log).
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = std::sqrt(-2.0 * det_log(s) / s);
    spare_ = v * f;
    have_spare_ = true;
    return u * f;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  bool have_spare_ = false;
  double spare_ = 0;
};

}  // namespace binllm
