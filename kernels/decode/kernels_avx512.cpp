// AVX-512 (F, BW, VL, VPOPCNTDQ) row kernels (formats.hpp), same math as kernels_scalar.cpp.
// Picked at run time only when CPUID reports all four (Ice Lake / Sapphire Rapids / Zen 4 and
// later); a Skylake-X without VPOPCNTDQ runs the AVX2 path.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cmath>

#include "formats.hpp"

// GCC 12 reports false "__Y may be used uninitialized" inside its own avx512fintrin.h helpers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define T_512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vpopcntdq,avx2,fma,f16c,popcnt")))

namespace decode {
namespace {

T_512 inline __m256i unpack_q4(const uint8_t* qs) {
  __m128i b = _mm_loadu_si128((const __m128i*)qs);
  __m128i lo = _mm_and_si128(b, _mm_set1_epi8(0x0F));
  __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), _mm_set1_epi8(0x0F));
  return _mm256_sub_epi8(_mm256_set_m128i(hi, lo), _mm256_set1_epi8(8));
}

// 64 signed-byte products of two blocks, summed to 16 int32 lanes (8 per block)
T_512 inline __m512i dot_i8x64(__m512i a, __m512i x) {
  __mmask64 neg = _mm512_movepi8_mask(a);
  __m512i xs = _mm512_mask_sub_epi8(x, neg, _mm512_setzero_si512(), x);  // x * sign(a)
  __m512i p16 = _mm512_maddubs_epi16(_mm512_abs_epi8(a), xs);
  return _mm512_madd_epi16(p16, _mm512_set1_epi16(1));
}

T_512 void q4_rows(const BlockQ4* W, const BlockQ8* x, int nb, int rows, float* out) {
  for (int r = 0; r < rows; ++r) {
    const BlockQ4* w = W + (size_t)r * nb;
    __m512 acc = _mm512_setzero_ps();
    int b = 0;
    for (; b + 1 < nb; b += 2) {
      __m512i a = _mm512_inserti64x4(_mm512_castsi256_si512(unpack_q4(w[b].qs)), unpack_q4(w[b + 1].qs), 1);
      __m512i xv = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i*)x[b].qs)),
                                      _mm256_loadu_si256((const __m256i*)x[b + 1].qs), 1);
      __m512 d = _mm512_mask_blend_ps((__mmask16)0xFF00, _mm512_set1_ps(_cvtsh_ss(w[b].d) * x[b].d),
                                      _mm512_set1_ps(_cvtsh_ss(w[b + 1].d) * x[b + 1].d));
      acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(dot_i8x64(a, xv)), acc);
    }
    float sum = _mm512_reduce_add_ps(acc);
    if (b < nb) {  // odd block count: the last block through the low half
      __m512i a = _mm512_castsi256_si512(unpack_q4(w[b].qs));
      __m512i xv = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i*)x[b].qs));
      a = _mm512_inserti64x4(a, _mm256_setzero_si256(), 1);
      xv = _mm512_inserti64x4(xv, _mm256_setzero_si256(), 1);
      sum += _cvtsh_ss(w[b].d) * x[b].d * (float)_mm512_reduce_add_epi32(dot_i8x64(a, xv));
    }
    out[r] = sum;
  }
}

T_512 void xnor_rows(const uint64_t* K, const uint64_t* q, int nw, int rows, int32_t* out) {
  int r = 0;
  if (nw == 2) {  // head_dim 128: 8 rows = 16 words per iteration
    const __m512i qv = _mm512_set_epi64((long long)q[1], (long long)q[0], (long long)q[1], (long long)q[0],
                                        (long long)q[1], (long long)q[0], (long long)q[1], (long long)q[0]);
    const __m512i ev = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), od = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
    for (; r + 8 <= rows; r += 8) {
      __m512i a = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(K + 2 * (size_t)r), qv));
      __m512i b = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(K + 2 * (size_t)r + 8), qv));
      __m512i s = _mm512_add_epi64(_mm512_permutex2var_epi64(a, ev, b), _mm512_permutex2var_epi64(a, od, b));
      __m256i s32 = _mm512_cvtepi64_epi32(s);
      _mm256_storeu_si256((__m256i*)(out + r), _mm256_sub_epi32(_mm256_set1_epi32(128), _mm256_slli_epi32(s32, 1)));
    }
  }
  for (; r < rows; ++r) {
    int pop = 0;
    for (int w = 0; w < nw; ++w) pop += (int)_mm_popcnt_u64(K[(size_t)r * nw + w] ^ q[w]);
    out[r] = 64 * nw - 2 * pop;
  }
}

T_512 void plane_rows(const uint64_t* W, const uint64_t* planes, const int* c, int nw, int rows, int64_t* out) {
  for (int r = 0; r < rows; ++r) {
    const uint64_t* w = W + (size_t)r * nw;
    __m512i acc[kPlanes];
    for (int b = 0; b < kPlanes; ++b) acc[b] = _mm512_setzero_si512();
    int i = 0;
    for (; i + 8 <= nw; i += 8) {
      __m512i wv = _mm512_loadu_si512(w + i);
      for (int b = 0; b < kPlanes; ++b)
        acc[b] = _mm512_add_epi64(acc[b], _mm512_popcnt_epi64(_mm512_and_si512(wv, _mm512_loadu_si512(planes + (size_t)b * nw + i))));
    }
    int64_t total = 0;
    for (int b = 0; b < kPlanes; ++b) {
      int64_t pop = _mm512_reduce_add_epi64(acc[b]);
      for (int t = i; t < nw; ++t) pop += (int64_t)_mm_popcnt_u64(w[t] & planes[(size_t)b * nw + t]);
      total += c[b] * pop;
    }
    out[r] = total;
  }
}

T_512 void f16_rows(const uint16_t* W, const float* x, int n, int rows, float* out) {
  for (int r = 0; r < rows; ++r) {
    const uint16_t* w = W + (size_t)r * n;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
      a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(w + i))), _mm512_loadu_ps(x + i), a0);
      a1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(w + i + 16))), _mm512_loadu_ps(x + i + 16), a1);
    }
    float acc = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    for (; i < n; ++i) acc += _cvtsh_ss(w[i]) * x[i];
    out[r] = acc;
  }
}

T_512 void f16_axpy_rows(const uint16_t* V, const float* p, int n, int rows, float* y) {
  int i0 = 0;
  for (; i0 + 64 <= n; i0 += 64) {  // 64 channels = 4 accumulators held across all rows
    __m512 acc[4];
    for (int k = 0; k < 4; ++k) acc[k] = _mm512_loadu_ps(y + i0 + 16 * k);
    for (int r = 0; r < rows; ++r) {
      __m512 pr = _mm512_set1_ps(p[r]);
      const uint16_t* v = V + (size_t)r * n + i0;
      for (int k = 0; k < 4; ++k)
        acc[k] = _mm512_fmadd_ps(pr, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)(v + 16 * k))), acc[k]);
    }
    for (int k = 0; k < 4; ++k) _mm512_storeu_ps(y + i0 + 16 * k, acc[k]);
  }
  for (int r = 0; r < rows; ++r)
    for (int i = i0; i < n; ++i) y[i] += p[r] * _cvtsh_ss(V[(size_t)r * n + i]);
}

// exp(x) for x <= 0: as the AVX2 path, with scalef for the 2^n.
T_512 inline __m512 exp_neg(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

T_512 float exp_sub_sum(float* s, int n, float m) {
  __m512 mv = _mm512_set1_ps(m), acc = _mm512_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 e = exp_neg(_mm512_sub_ps(_mm512_loadu_ps(s + i), mv));
    _mm512_storeu_ps(s + i, e);
    acc = _mm512_add_ps(acc, e);
  }
  float sum = _mm512_reduce_add_ps(acc);
  for (; i < n; ++i) {
    s[i] = std::exp(s[i] - m);
    sum += s[i];
  }
  return sum;
}

// movepi8_mask collects bit 7 of 64 bytes: one whole plane word per instruction
T_512 void planes_from_codes(const uint8_t* codes, int n, uint64_t* planes) {
  const int nw = n / 64;
  for (int w = 0; w < nw; ++w) {
    __m512i v = _mm512_loadu_si512(codes + 64 * w);
    for (int b = 0; b < kPlanes; ++b)
      planes[(size_t)b * nw + w] = (uint64_t)_mm512_movepi8_mask(_mm512_sll_epi16(v, _mm_cvtsi32_si128(7 - b)));
  }
}

}  // namespace

const Kernels kAvx512 = {q4_rows, xnor_rows, plane_rows, f16_rows, f16_axpy_rows, exp_sub_sum, planes_from_codes};

}  // namespace decode
#endif
