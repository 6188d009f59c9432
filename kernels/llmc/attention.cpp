// Multi-head / grouped-query attention with a causal or bidirectional mask (see layers.hpp).
#pragma GCC optimize("no-trapping-math")
#include <cmath>
#include <stdexcept>
#include <vector>

#include "llmc/layers.hpp"
#include "llmc/math.hpp"

namespace llmc {
namespace {

inline float fma_(float a, float b, float c) {
#if defined(__FMA__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

// Scores a[0..n) of query q (hs) against keys given transposed, kt (hs, T): a[s] = q . k_s; the
// sum over i runs in a fixed order for every s (blocks of 64 scores accumulate in registers).
inline void scores_t(float* a, const float* q, const float* kt, int n, int T, int hs) {
  constexpr int SB = 64;
  int s0 = 0;
  for (; s0 + SB <= n; s0 += SB) {
    float acc[SB];
    for (int j = 0; j < SB; j++)
      acc[j] = 0.f;
    for (int i = 0; i < hs; i++) {
      const float qi = q[i];
      const float* k = kt + (size_t)i * T + s0;
#pragma omp simd
      for (int j = 0; j < SB; j++)
        acc[j] = fma_(qi, k[j], acc[j]);
    }
    for (int j = 0; j < SB; j++)
      a[s0 + j] = acc[j];
  }
  for (; s0 < n; s0 += 16) {
    const int w = n - s0 < 16 ? n - s0 : 16;
    float acc[16];
    for (int j = 0; j < 16; j++)
      acc[j] = 0.f;
    for (int i = 0; i < hs; i++) {
      const float qi = q[i];
      const float* k = kt + (size_t)i * T + s0;
      for (int j = 0; j < w; j++)
        acc[j] = fma_(qi, k[j], acc[j]);
    }
    for (int j = 0; j < w; j++)
      a[s0 + j] = acc[j];
  }
}

// kt (hs, T) = the (T, hs) slice starting at base with row stride `stride`, transposed.
inline void gather_t(float* kt, const float* base, size_t stride, int T, int hs) {
  for (int s = 0; s < T; s++) {
    const float* k = base + (size_t)s * stride;
    for (int i = 0; i < hs; i++)
      kt[(size_t)i * T + s] = k[i];
  }
}

// a[0..n) = softmax(sc * a) in place; max and sum over 16 interleaved lanes combined in a fixed
// order (vectorizable, the same for every thread count).
inline void softmax_scaled(float* a, int n, float sc) {
  constexpr int W = 16;
  float m[W];
  for (int j = 0; j < W; j++)
    m[j] = -1e30f;
  int s0 = 0;
  for (; s0 + W <= n; s0 += W)
    for (int j = 0; j < W; j++) {
      const float v = a[s0 + j] * sc;
      a[s0 + j] = v;
      m[j] = v > m[j] ? v : m[j];
    }
  for (int j = 0; s0 + j < n; j++) {
    const float v = a[s0 + j] * sc;
    a[s0 + j] = v;
    m[j] = v > m[j] ? v : m[j];
  }
  float mx = m[0];
  for (int j = 1; j < W; j++)
    mx = m[j] > mx ? m[j] : mx;
  for (int s = 0; s < n; s++)
    a[s] = fexp(a[s] - mx);
  float ps[W] = {0.f};
  s0 = 0;
  for (; s0 + W <= n; s0 += W)
    for (int j = 0; j < W; j++)
      ps[j] += a[s0 + j];
  for (int j = 0; s0 + j < n; j++)
    ps[j] += a[s0 + j];
  float sum = 0.f;
  for (int j = 0; j < W; j++)
    sum += ps[j];
  const float inv = 1.0f / sum;
  for (int s = 0; s < n; s++)
    a[s] *= inv;
}

// sum_s a[s] * b[s] over 16 interleaved partial lanes, combined in a fixed order.
inline float dot_lanes(const float* a, const float* b, int n) {
  constexpr int W = 16;
  float ps[W] = {0.f};
  int s0 = 0;
  for (; s0 + W <= n; s0 += W)
    for (int j = 0; j < W; j++)
      ps[j] = fma_(a[s0 + j], b[s0 + j], ps[j]);
  for (int j = 0; s0 + j < n; j++)
    ps[j] = fma_(a[s0 + j], b[s0 + j], ps[j]);
  float sum = 0.f;
  for (int j = 0; j < W; j++)
    sum += ps[j];
  return sum;
}

// o (hs) = sum_{s<n} p[s] * rows[s * stride + i], 4 interleaved partial sums over s (fixed order).
inline void weighted_rows(float* o, const float* p, const float* rows, size_t stride, int n, int hs) {
  constexpr int W = 16;
  for (int i0 = 0; i0 < hs; i0 += W) {
    const int w = hs - i0 < W ? hs - i0 : W;
    float a0[W], a1[W], a2[W], a3[W];
    for (int j = 0; j < W; j++)
      a0[j] = a1[j] = a2[j] = a3[j] = 0.f;
    int s = 0;
    if (w == W) {
      for (; s + 4 <= n; s += 4) {
        const float* v0 = rows + (size_t)s * stride + i0;
        const float* v1 = v0 + stride;
        const float* v2 = v1 + stride;
        const float* v3 = v2 + stride;
        const float p0 = p[s], p1 = p[s + 1], p2 = p[s + 2], p3 = p[s + 3];
#pragma omp simd
        for (int j = 0; j < W; j++) {
          a0[j] = fma_(p0, v0[j], a0[j]);
          a1[j] = fma_(p1, v1[j], a1[j]);
          a2[j] = fma_(p2, v2[j], a2[j]);
          a3[j] = fma_(p3, v3[j], a3[j]);
        }
      }
    }
    for (; s < n; s++) {
      const float* v = rows + (size_t)s * stride + i0;
      for (int j = 0; j < w; j++)
        a0[j] = fma_(p[s], v[j], a0[j]);
    }
    for (int j = 0; j < w; j++)
      o[i0 + j] = (a0[j] + a1[j]) + (a2[j] + a3[j]);
  }
}

void check_shape(const AttnShape& s) {
  if (s.NH <= 0 || s.C % s.NH != 0 || s.nkv() <= 0 || s.NH % s.nkv() != 0)
    throw std::invalid_argument("llmc attention: NH must divide C and NKV must divide NH");
}

}  // namespace

void attention_forward(float* out, float* att, float* qkv, const AttnShape& s, const int* lens,
                       const KvHook* hook) {
  check_shape(s);
  const int B = s.B, T = s.T, C = s.C, NH = s.NH, hs = s.hs(), group = NH / s.nkv();
  const int KVC = s.kvc();
  const size_t R = s.row();
  const float sc = 1.0f / std::sqrt((float)hs);
  if (hook && hook->kv_transform)
    hook->kv_transform(qkv, hook->kscale, hook->vscale, s, hook->ctx);
  const float* kscale = hook ? hook->kscale : nullptr;  // (B,T,KVC)
  const float* vscale = hook ? hook->vscale : nullptr;  // (B,T,KVC)
#pragma omp parallel for schedule(static)
  for (int bh = 0; bh < B * NH; bh++) {
    const int b = bh / NH, h = bh % NH, g = h / group;
    const int L = lens ? lens[b] : T;
    std::vector<float> kt((size_t)hs * T), qs(hs), own(att ? 0 : T);    // kt (hs,T)
    const float* kbase = qkv + (size_t)b * T * R + C + (size_t)g * hs;  // k rows of head g
    const float* vbase = kbase + KVC;                                   // v rows of head g
    gather_t(kt.data(), kbase, R, T, hs);
    for (int t = 0; t < T; t++) {
      const int n = s.causal ? (t + 1 < L ? t + 1 : L) : L;                    // keys seen by query t
      const float* q = qkv + ((size_t)b * T + t) * R + (size_t)h * hs;         // (hs)
      float* a = att ? att + (((size_t)b * NH + h) * T + t) * T : own.data();  // (T)
      if (kscale) {
        const float* ks = kscale + ((size_t)b * T + t) * KVC + (size_t)g * hs;
        for (int i = 0; i < hs; i++)
          qs[i] = q[i] * ks[i];
      } else {
        for (int i = 0; i < hs; i++)
          qs[i] = q[i];
      }
      scores_t(a, qs.data(), kt.data(), n, T, hs);
      softmax_scaled(a, n, sc);
      if (att)
        for (int j = n; j < T; j++)
          a[j] = 0.f;
      float* o = out + ((size_t)b * T + t) * C + (size_t)h * hs;  // (hs)
      weighted_rows(o, a, vbase, R, n, hs);
      if (vscale) {
        const float* vs = vscale + ((size_t)b * T + t) * KVC + (size_t)g * hs;
        for (int i = 0; i < hs; i++)
          o[i] *= vs[i];
      }
    }
  }
}

void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* att,
                        const AttnShape& s, const int* lens) {
  check_shape(s);
  if (s.nkv() != s.NH)
    throw std::invalid_argument("llmc attention_backward: needs NKV == NH");
  const int B = s.B, T = s.T, C = s.C, NH = s.NH, hs = s.hs();
  const size_t R = s.row();
  const float sc = 1.0f / std::sqrt((float)hs);
#pragma omp parallel for schedule(static)
  for (int bh = 0; bh < B * NH; bh++) {
    const int b = bh / NH, h = bh % NH;
    const int L = lens ? lens[b] : T;
    std::vector<float> datt(T), vt((size_t)hs * T), dqt(hs);  // datt (T), vt (hs,T), dqt (hs)
    const float* kbase = qkv + (size_t)b * T * R + C + (size_t)h * hs;
    gather_t(vt.data(), kbase + C, R, T, hs);
    for (int t = 0; t < T; t++) {
      const int n = s.causal ? (t + 1 < L ? t + 1 : L) : L;
      const float* a = att + (((size_t)b * NH + h) * T + t) * T;         // (T)
      const float* g = dout + ((size_t)b * T + t) * C + (size_t)h * hs;  // (hs)
      const float* q = qkv + ((size_t)b * T + t) * R + (size_t)h * hs;   // (hs)
      float* dq = dqkv + ((size_t)b * T + t) * R + (size_t)h * hs;       // (hs)
      scores_t(datt.data(), g, vt.data(), n, T, hs);                     // datt[s] = g . v_s
      const float dot = dot_lanes(a, datt.data(), n);
      for (int j = 0; j < n; j++) {
        float* dv = dqkv + ((size_t)b * T + j) * R + 2 * (size_t)C + (size_t)h * hs;
        const float as = a[j];
#pragma omp simd
        for (int i = 0; i < hs; i++)
          dv[i] = fma_(as, g[i], dv[i]);
      }
      for (int j = 0; j < n; j++) {
        const float dpre = a[j] * (datt[j] - dot) * sc;
        datt[j] = dpre;
        float* dk = dqkv + ((size_t)b * T + j) * R + C + (size_t)h * hs;
#pragma omp simd
        for (int i = 0; i < hs; i++)
          dk[i] = fma_(dpre, q[i], dk[i]);
      }
      weighted_rows(dqt.data(), datt.data(), kbase, R, n, hs);
      for (int i = 0; i < hs; i++)
        dq[i] += dqt[i];
    }
  }
}

}  // namespace llmc
