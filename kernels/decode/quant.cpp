// Scalar quantisers and fp16 conversion (formats.hpp). These run once per activation vector or
// attention row, so clarity wins over speed here.
#include <cmath>
#include <cstring>

#include "formats.hpp"

namespace decode {

float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t man = h & 0x3FFu;
  float f;
  if (exp == 0) {
    f = std::ldexp((float)man, -24);  // zero or subnormal
  } else if (exp == 31) {
    f = man ? NAN : INFINITY;
  } else {
    f = std::ldexp((float)(man | 0x400u), (int)exp - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  bits |= sign;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint16_t sign = std::signbit(f) ? 0x8000u : 0;
  float a = std::fabs(f);
  if (!(a == a)) return 0x7E00u;
  if (a >= 65504.0f) return sign | 0x7BFFu;  // saturate (no inf in our data)
  if (a < 6.103515625e-05f) {                // subnormal: quantum 2^-24
    return sign | (uint16_t)std::nearbyint(a * 16777216.0f);
  }
  int e;
  float m = std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  // 11 significant bits: round m * 2^11 to nearest even
  float q = std::nearbyint(m * 2048.0f);
  if (q >= 2048.0f) {
    q = 1024.0f;
    e += 1;
  }
  uint16_t exp = (uint16_t)(e - 1 + 15);
  if (exp >= 31) return sign | 0x7BFFu;
  return sign | (uint16_t)(exp << 10) | (uint16_t)((uint32_t)q - 1024u);
}

static inline int round_away(float v) { return (int)(v < 0 ? -std::floor(-v + 0.5f) : std::floor(v + 0.5f)); }

void quantize_q8(const float* x, BlockQ8* out, int n) {
  for (int b = 0; b < n / QK; ++b) {
    const float* xb = x + b * QK;
    float amax = 0;
    for (int j = 0; j < QK; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
    float d = amax / 127.0f;
    float id = d > 0 ? 1.0f / d : 0.0f;
    out[b].d = d;
    for (int j = 0; j < QK; ++j) out[b].qs[j] = (int8_t)round_away(xb[j] * id);
  }
}

const int* plane_coefficients(bool is_signed) {
  static const int kSigned[kPlanes] = {1, 2, 4, 8, 16, 32, 64, -128};
  static const int kUnsigned[kPlanes] = {1, 2, 4, 8, 16, 32, 64, 128};
  return is_signed ? kSigned : kUnsigned;
}

float quantize_planes(const float* x, int n, int nw, bool is_signed, uint64_t* planes, int64_t* qsum) {
  float amax = 0;
  for (int i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(x[i]));
  const float levels = is_signed ? 127.0f : 255.0f;
  float d = amax / levels;
  float id = d > 0 ? 1.0f / d : 0.0f;
  std::memset(planes, 0, sizeof(uint64_t) * kPlanes * (size_t)nw);
  int64_t sum = 0;
  for (int i = 0; i < n; ++i) {
    int q = round_away(x[i] * id);
    if (!is_signed && q < 0) q = 0;  // probabilities are >= 0
    sum += q;
    uint32_t code = (uint32_t)q & 0xFFu;  // two's complement byte for signed codes
    for (int b = 0; b < kPlanes; ++b)
      if (code >> b & 1u) planes[(size_t)b * nw + (i >> 6)] |= 1ull << (i & 63);
  }
  *qsum = sum;
  return d;
}

}  // namespace decode
