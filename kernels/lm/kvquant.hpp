// KV-cache quantizers shared by the CPU reference and the CUDA eval path.
//
// Every function here is plain arithmetic on floats so that the host and the device compute the
// same values (the CUDA build compiles this header with __host__ __device__).
//
// Formats (what a decode-time cache stores for one layer, one of K or V):
//   fp32  : the unquantized reference (4 bytes / scalar)
//   fp16  : IEEE binary16, round-to-nearest-even, saturating at +-65504 (2 bytes / scalar)
//   intN  : N in {8, 4, 2}; per token, groups of `group` consecutive channels of the d_model-wide
//           K (or V) vector; asymmetric min/max: scale = (max-min)/(2^N-1) and zero = min, both
//           stored as fp16; q = clamp(round((x-zero)/scale), 0, 2^N-1); x^ = zero + q*scale.
//           Bytes per token: d_model*N/8 + (d_model/group)*4.
//   bin   : 1 bit per scalar (the sign, x >= 0 -> +1) and one fp16 scale per channel (per head,
//           per layer). The scale is the mean |x| of the channel over the tokens cached so far,
//           kept causally as a decode-time cache would: S_0 = fp16(|x_0|),
//           S_t = fp16((S_{t-1} * t + |x_t|) / (t + 1)). A query at position t attends to
//           x^_s = sign(x_s) * S_t for all s <= t (the current token is written first).
//           Bytes: ceil(L*d_model/8) + d_model*2.
// Pretrained (Llama) models only, see llama_kv.hpp for where each is applied:
//   q8_0 / q4_0 : llama.cpp's cache types, symmetric blocks of 32 channels with one fp16 scale
//           (q4_0: d = m/-8 with m the signed value of largest magnitude, q = min(15, (int)(x/d + 8.5)),
//           x^ = (q-8) d; q8_0: d = max|x|/127, q = round(x/d), x^ = q d); 8.5 / 4.5 bits per scalar.
//   kivi2 / kivi-bin : KIVI layout: keys per channel (for each channel, blocks of `group`
//           consecutive tokens share the quantiser; a block is used once complete), values per
//           token (groups of `group` channels). kivi2: asymmetric int2 as intN; kivi-bin: sign with
//           one fp16 scale = mean |x| of the block (keys) or channel group (values).
//   bin-c : centred sign: a running per-channel mean mu_t = fp16(mean_{s<=t} x_s) is subtracted
//           before the sign (token s stores sign(x_s - mu_s)); the scale S_t = fp16(running mean of
//           |x_s - mu_s|); a query at t sees mu_t + S_t sign(x_s - mu_s). Two fp16 per channel.
//   qjl   : keys: sign of a seeded Gaussian projection P (m x head_dim, m = qjl_dim) of each
//           key head vector and its fp16 norm; the score q.k is estimated without bias as
//           sqrt(pi/2)/m * |k| * <P q, sign(P k)>. Values: as bin.
//   Every quantised format may keep the most recent kv_residual tokens (R) at fp16 (KIVI's
//   residual): a query at t reads tokens s > t - R at fp16 (for kivi keys: from the start of the
//   first incomplete or residual-overlapping block).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define LM_HD __host__ __device__ __forceinline__
#else
#define LM_HD inline
#endif

namespace lm {

enum class KvMode : int {
  FP32 = 0, FP16 = 1, INT8 = 2, INT4 = 3, INT2 = 4, BIN = 5,
  Q8_0 = 6, Q4_0 = 7, KIVI2 = 8, KIVI_BIN = 9, BIN_C = 10, QJL = 11,
};

LM_HD int kv_bits(KvMode m) {
  switch (m) {
    case KvMode::FP32: return 32;
    case KvMode::FP16: return 16;
    case KvMode::INT8: return 8;
    case KvMode::INT4: return 4;
    case KvMode::INT2: return 2;
    case KvMode::BIN: return 1;
    case KvMode::Q8_0: return 8;
    case KvMode::Q4_0: return 4;
    case KvMode::KIVI2: return 2;
    case KvMode::KIVI_BIN: return 1;
    case KvMode::BIN_C: return 1;
    case KvMode::QJL: return 1;
  }
  return 32;
}

LM_HD float lm_fabs(float x) { return x < 0.f ? -x : x; }

// Round a float to the nearest IEEE binary16 value (ties to even) and return it as a float.
// Saturates to +-65504 instead of producing infinity.
LM_HD float round_fp16(float x) {
  if (x != x) return x;
  float a = lm_fabs(x);
  float r;
  if (a >= 65504.f) {
    r = 65504.f;
  } else if (a < 6.103515625e-05f) {  // fp16 subnormal range: quantum 2^-24
    const float q = 5.9604644775390625e-08f;
#if defined(__CUDA_ARCH__)
    r = rintf(a / q) * q;
#else
    r = std::nearbyint(a / q) * q;
#endif
  } else {
    uint32_t u;
#if defined(__CUDA_ARCH__)
    u = __float_as_uint(a);
#else
    std::memcpy(&u, &a, 4);
#endif
    uint32_t lsb = (u >> 13) & 1u;
    u += 0x0FFFu + lsb;
    u &= ~0x1FFFu;
#if defined(__CUDA_ARCH__)
    r = __uint_as_float(u);
#else
    std::memcpy(&r, &u, 4);
#endif
    if (r > 65504.f) r = 65504.f;
  }
  return x < 0.f ? -r : r;
}

// Asymmetric intN of n scalars strided by `stride` (the KIVI per-channel key quantiser), in place.
LM_HD void quant_group_int_strided(float* x, int n, int stride, int bits) {
  float mn = x[0], mx = x[0];
  for (int i = 1; i < n; i++) {
    mn = x[i * stride] < mn ? x[i * stride] : mn;
    mx = x[i * stride] > mx ? x[i * stride] : mx;
  }
  const float levels = (float)((1 << bits) - 1);
  const float zero = round_fp16(mn);
  const float scale = round_fp16((mx - mn) / levels);
  for (int i = 0; i < n; i++) {
    float& v = x[i * stride];
    if (scale == 0.f) { v = zero; continue; }
    float q = (v - zero) / scale;
#if defined(__CUDA_ARCH__)
    q = rintf(q);
#else
    q = std::nearbyint(q);
#endif
    q = q < 0.f ? 0.f : (q > levels ? levels : q);
    v = zero + q * scale;
  }
}

// Fake-quantize one group of n contiguous scalars in place with the asymmetric intN scheme above.
LM_HD void quant_group_int(float* x, int n, int bits) { quant_group_int_strided(x, n, 1, bits); }

LM_HD float sign_pm1(float x) { return x >= 0.f ? 1.f : -1.f; }

// Running bin scale update (see header comment). prev is S_{t-1} (ignored for t == 0).
LM_HD float bin_scale_update(float prev, float absx, int t) {
  if (t == 0) return round_fp16(absx);
  return round_fp16((prev * (float)t + absx) / (float)(t + 1));
}

// llama.cpp's q4_0 block (n = 32) in place: symmetric, one fp16 scale from the signed extreme.
LM_HD void quant_block_q4_0(float* x, int n) {
  float amax = 0.f, m = 0.f;
  for (int i = 0; i < n; i++)
    if (lm_fabs(x[i]) > amax) { amax = lm_fabs(x[i]); m = x[i]; }
  const float d = m / -8.f;
  const float id = d != 0.f ? 1.f / d : 0.f;
  const float dh = round_fp16(d);
  for (int i = 0; i < n; i++) {
    int q = (int)(x[i] * id + 8.5f);
    q = q > 15 ? 15 : (q < 0 ? 0 : q);
    x[i] = (float)(q - 8) * dh;
  }
}

// llama.cpp's q8_0 block (n = 32) in place.
LM_HD void quant_block_q8_0(float* x, int n) {
  float amax = 0.f;
  for (int i = 0; i < n; i++) amax = lm_fabs(x[i]) > amax ? lm_fabs(x[i]) : amax;
  const float d = amax / 127.f;
  const float id = d != 0.f ? 1.f / d : 0.f;
  const float dh = round_fp16(d);
  for (int i = 0; i < n; i++) {
#if defined(__CUDA_ARCH__)
    const float q = roundf(x[i] * id);
#else
    const float q = std::round(x[i] * id);
#endif
    x[i] = q * dh;
  }
}

// Sign with one fp16 scale = mean |x| over the n scalars (strided by `stride`), in place.
LM_HD void quant_group_sign(float* x, int n, int stride) {
  float s = 0.f;
  for (int i = 0; i < n; i++) s += lm_fabs(x[i * stride]);
  const float scale = round_fp16(s / (float)n);
  for (int i = 0; i < n; i++) x[i * stride] = sign_pm1(x[i * stride]) * scale;
}


// Running signed mean (bin-c's centre), fp16 like the scale.
LM_HD float mean_update(float prev, float x, int t) {
  if (t == 0) return round_fp16(x);
  return round_fp16((prev * (float)t + x) / (float)(t + 1));
}

// Exact bytes of one layer's K *or* V cache for L tokens of width d (one sequence).
inline double kv_bytes_one(KvMode m, long L, long d, long group) {
  switch (m) {
    case KvMode::FP32: return 4.0 * L * d;
    case KvMode::FP16: return 2.0 * L * d;
    case KvMode::INT8:
    case KvMode::INT4:
    case KvMode::INT2: {
      long bits = L * d * kv_bits(m);
      return (double)((bits + 7) / 8) + (double)L * (d / group) * 4.0;
    }
    case KvMode::BIN: return (double)((L * d + 7) / 8) + 2.0 * d;
    default: return 0.0;  // the Llama-only formats: llama_kv.hpp (they differ between K and V)
  }
}

}  // namespace lm
