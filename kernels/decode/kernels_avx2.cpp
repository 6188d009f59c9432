// AVX2 + FMA + F16C + POPCNT row kernels (formats.hpp). Compiled with target attributes so a
// portable build still contains them; simd_detect() picks them only when CPUID has the features.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cmath>

#include "formats.hpp"

#define T_AVX2 __attribute__((target("avx2,fma,f16c,popcnt")))

namespace decode {
namespace {

T_AVX2 inline float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

T_AVX2 inline int64_t hsum4_i64(__m256i v) {
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  return _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
}

// 32 int4 codes (minus 8) as signed bytes: elements 0..15 from the low nibbles, 16..31 high.
T_AVX2 inline __m256i unpack_q4(const uint8_t* qs) {
  __m128i b = _mm_loadu_si128((const __m128i*)qs);
  __m128i lo = _mm_and_si128(b, _mm_set1_epi8(0x0F));
  __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(0x0F));
  return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
}

// sum_j a_j * b_j of 32 signed bytes as 8 int32 lanes (a in [-8, 7], so |a| fits maddubs).
T_AVX2 inline __m256i dot_i8(__m256i a, __m256i b) {
  __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

T_AVX2 void q4_rows(const BlockQ4* W, const BlockQ8* x, int nb, int rows, float* out) {
  for (int r = 0; r < rows; ++r) {
    const BlockQ4* w = W + (size_t)r * nb;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int b = 0;
    for (; b + 1 < nb; b += 2) {  // two blocks per iteration: two independent FMA chains
      __m256i p0 = dot_i8(unpack_q4(w[b].qs), _mm256_loadu_si256((const __m256i*)x[b].qs));
      __m256i p1 = dot_i8(unpack_q4(w[b + 1].qs), _mm256_loadu_si256((const __m256i*)x[b + 1].qs));
      float d0 = _cvtsh_ss(w[b].d) * x[b].d, d1 = _cvtsh_ss(w[b + 1].d) * x[b + 1].d;
      acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d0), _mm256_cvtepi32_ps(p0), acc0);
      acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d1), _mm256_cvtepi32_ps(p1), acc1);
    }
    if (b < nb) {
      __m256i p0 = dot_i8(unpack_q4(w[b].qs), _mm256_loadu_si256((const __m256i*)x[b].qs));
      acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(w[b].d) * x[b].d), _mm256_cvtepi32_ps(p0), acc0);
    }
    out[r] = hsum8(_mm256_add_ps(acc0, acc1));
  }
}

T_AVX2 void xnor_rows(const uint64_t* K, const uint64_t* q, int nw, int rows, int32_t* out) {
  if (nw == 2) {  // head_dim 128, the common case: fully unrolled
    const uint64_t q0 = q[0], q1 = q[1];
    for (int r = 0; r < rows; ++r)
      out[r] = 128 - 2 * (int)(_mm_popcnt_u64(K[2 * (size_t)r] ^ q0) + _mm_popcnt_u64(K[2 * (size_t)r + 1] ^ q1));
    return;
  }
  for (int r = 0; r < rows; ++r) {
    int pop = 0;
    for (int w = 0; w < nw; ++w) pop += (int)_mm_popcnt_u64(K[(size_t)r * nw + w] ^ q[w]);
    out[r] = 64 * nw - 2 * pop;
  }
}

// popcount of each byte (nibble lookup, W. Mula), summed into 4 uint64 lanes
T_AVX2 inline __m256i popcnt_sad(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256i c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(v, m4)),
                              _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), m4)));
  return _mm256_sad_epu8(c, _mm256_setzero_si256());
}

T_AVX2 void plane_rows(const uint64_t* W, const uint64_t* planes, const int* c, int nw, int rows, int64_t* out) {
  for (int r = 0; r < rows; ++r) {
    const uint64_t* w = W + (size_t)r * nw;
    __m256i acc[kPlanes];
    for (int b = 0; b < kPlanes; ++b) acc[b] = _mm256_setzero_si256();
    int i = 0;
    for (; i + 4 <= nw; i += 4) {
      __m256i wv = _mm256_loadu_si256((const __m256i*)(w + i));
      for (int b = 0; b < kPlanes; ++b) {
        __m256i pv = _mm256_loadu_si256((const __m256i*)(planes + (size_t)b * nw + i));
        acc[b] = _mm256_add_epi64(acc[b], popcnt_sad(_mm256_and_si256(wv, pv)));
      }
    }
    int64_t total = 0;
    for (int b = 0; b < kPlanes; ++b) {
      int64_t pop = hsum4_i64(acc[b]);
      for (int t = i; t < nw; ++t) pop += (int64_t)_mm_popcnt_u64(w[t] & planes[(size_t)b * nw + t]);
      total += c[b] * pop;
    }
    out[r] = total;
  }
}

T_AVX2 void f16_rows(const uint16_t* W, const float* x, int n, int rows, float* out) {
  for (int r = 0; r < rows; ++r) {
    const uint16_t* w = W + (size_t)r * n;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
      a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w + i))), _mm256_loadu_ps(x + i), a0);
      a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w + i + 8))), _mm256_loadu_ps(x + i + 8), a1);
    }
    float acc = hsum8(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) acc += _cvtsh_ss(w[i]) * x[i];
    out[r] = acc;
  }
}

T_AVX2 void f16_axpy_rows(const uint16_t* V, const float* p, int n, int rows, float* y) {
  int i0 = 0;
  for (; i0 + 64 <= n; i0 += 64) {  // 64 channels = 8 accumulators held across all rows
    __m256 acc[8];
    for (int k = 0; k < 8; ++k) acc[k] = _mm256_loadu_ps(y + i0 + 8 * k);
    for (int r = 0; r < rows; ++r) {
      __m256 pr = _mm256_set1_ps(p[r]);
      const uint16_t* v = V + (size_t)r * n + i0;
      for (int k = 0; k < 8; ++k)
        acc[k] = _mm256_fmadd_ps(pr, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(v + 8 * k))), acc[k]);
    }
    for (int k = 0; k < 8; ++k) _mm256_storeu_ps(y + i0 + 8 * k, acc[k]);
  }
  for (int r = 0; r < rows; ++r)
    for (int i = i0; i < n; ++i) y[i] += p[r] * _cvtsh_ss(V[(size_t)r * n + i]);
}

// exp(x) for x <= 0 (softmax numerators): range reduction x = n ln2 + r, |r| <= ln2/2, and a
// degree-6 Taylor polynomial (relative error < 2e-7), rebuilt as p(r) * 2^n.
T_AVX2 inline __m256 exp_neg(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.0f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

T_AVX2 float exp_sub_sum(float* s, int n, float m) {
  __m256 mv = _mm256_set1_ps(m), acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 e = exp_neg(_mm256_sub_ps(_mm256_loadu_ps(s + i), mv));
    _mm256_storeu_ps(s + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  float sum = hsum8(acc);
  for (; i < n; ++i) {
    s[i] = std::exp(s[i] - m);
    sum += s[i];
  }
  return sum;
}

// movemask collects bit 7 of 32 bytes; shifting left by 7 - b brings bit b there.
T_AVX2 void planes_from_codes(const uint8_t* codes, int n, uint64_t* planes) {
  const int nw = n / 64;
  for (int w = 0; w < nw; ++w) {
    __m256i lo = _mm256_loadu_si256((const __m256i*)(codes + 64 * w));
    __m256i hi = _mm256_loadu_si256((const __m256i*)(codes + 64 * w + 32));
    for (int b = 0; b < kPlanes; ++b) {
      __m128i sh = _mm_cvtsi32_si128(7 - b);
      uint32_t l = (uint32_t)_mm256_movemask_epi8(_mm256_sll_epi16(lo, sh));
      uint32_t h = (uint32_t)_mm256_movemask_epi8(_mm256_sll_epi16(hi, sh));
      planes[(size_t)b * nw + w] = (uint64_t)l | (uint64_t)h << 32;
    }
  }
}

}  // namespace

const Kernels kAvx2 = {q4_rows, xnor_rows, plane_rows, f16_rows, f16_axpy_rows, exp_sub_sum, planes_from_codes};

}  // namespace decode
#endif
