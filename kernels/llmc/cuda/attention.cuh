// Causal grouped-query attention over a (possibly quantised) KV cache, one query at a time, with
// an online softmax: a single pass over the keys, no score buffer, so no cap on the context L.
// Plain __host__ __device__ code: the CUDA kernel (layers.cu) runs one thread per query, and the
// CPU tests run the very same routine in loops against the double-precision references.
//
// What a query at position t reads from one side (K or V) of the cache (KvRead): key s < bound(t)
// from the quantised rows `quant`, as mul_t * quant_s + add_t (per-query scale / offset rows of
// the sign formats, each optional), every other key from the `exact` rows (fp32 or fp16-rounded):
//   bound(t) = 0 without quant rows, else max(0, t + 1 - residual) rounded down to `block`.
// QJL keys (QjlRead) replace the quantised key rows by the estimator
//   score_s = c * |k_s| * <P q_t, sign(P k_s)>,  c = sqrt(pi/2) / m.
#pragma once

#include <cmath>

#include "llmc/math.hpp"  // LLMC_HD

namespace llmc {
namespace cuda {

constexpr int kMaxHeadDim = 256;  // per-thread accumulators of attend_query

// One side of one sequence's cache for one layer; rows indexed by token position.
struct KvRead {
  const float* exact = nullptr;  // (T, ld): rows read for s >= bound(t)
  const float* quant = nullptr;  // (T, ld): rows read for s < bound(t); null: bound(t) = 0
  const float* mul = nullptr;    // (T, sld): per-query multiplier of quant rows, or null
  const float* add = nullptr;    // (T, sld): per-query offset of quant rows, or null
  int ld = 0, sld = 0;           // row strides in floats
  int residual = 0;              // most recent tokens read from exact
  int block = 1;                 // bound rounded down to a multiple of block (KIVI key blocks)
};

// QJL keys of one sequence; sgn null when the format is not qjl.
struct QjlRead {
  const float* sgn = nullptr;   // (T, n_kv, m): sign(P k) as +-1
  const float* norm = nullptr;  // (T, n_kv): fp16 |k| per kv head
  const float* qp = nullptr;    // (T, n_heads, m): P q of every query
  int m = 0;
  float c = 0.f;                // sqrt(pi/2) / m
};

LLMC_HD int kv_bound(const KvRead& r, int t) {
  if (!r.quant) return 0;
  int b = t + 1 - r.residual;
  b = b < 0 ? 0 : b;
  return b / r.block * r.block;
}

LLMC_HD float att_exp(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
#else
  return std::exp(x);
#endif
}

// out (hd) = softmax_s<=t(q . K^_s * scale) V^_s for query head h (kv head g) at position t.
// q: this query's head vector (hd); K/V rows of kv head g start at channel g*hd.
LLMC_HD void attend_query(float* out, const float* q, int t, int h, int g, int hd, float scale,
                          const KvRead& K, const KvRead& V, const QjlRead& J, int n_heads, int n_kv) {
  float qm[kMaxHeadDim];   // q * mul_t (sign formats), else q
  float acc[kMaxHeadDim];  // running sum of p_s V^_s
  const int kc = g * hd;
  const float* kmul = K.mul ? K.mul + (size_t)t * K.sld + kc : nullptr;
  const float* kadd = K.add ? K.add + (size_t)t * K.sld + kc : nullptr;
  float kconst = 0.f;  // q . add_t: the offset's share of every quantised key's score
  for (int c = 0; c < hd; c++) {
    qm[c] = kmul ? q[c] * kmul[c] : q[c];
    if (kadd) kconst += q[c] * kadd[c];
    acc[c] = 0.f;
  }
  const float* vmul = V.mul ? V.mul + (size_t)t * V.sld + kc : nullptr;
  const float* vadd = V.add ? V.add + (size_t)t * V.sld + kc : nullptr;
  const float* qp = J.sgn ? J.qp + ((size_t)t * n_heads + h) * J.m : nullptr;
  const int kb = kv_bound(K, t), vb = kv_bound(V, t);
  float mx = -INFINITY, z = 0.f;
  for (int s = 0; s <= t; s++) {
    float sc = 0.f;
    if (s < kb && qp) {
      const float* sg = J.sgn + ((size_t)s * n_kv + g) * J.m;
      for (int r = 0; r < J.m; r++) sc += qp[r] * sg[r];
      sc *= J.c * J.norm[(size_t)s * n_kv + g];
    } else if (s < kb) {
      const float* k = K.quant + (size_t)s * K.ld + kc;
      for (int c = 0; c < hd; c++) sc += qm[c] * k[c];
      sc += kconst;
    } else {
      const float* k = K.exact + (size_t)s * K.ld + kc;
      for (int c = 0; c < hd; c++) sc += q[c] * k[c];
    }
    sc *= scale;
    if (sc > mx) {  // new running maximum: rescale what was summed so far
      const float r = att_exp(mx - sc);
      z *= r;
      for (int c = 0; c < hd; c++) acc[c] *= r;
      mx = sc;
    }
    const float p = att_exp(sc - mx);
    z += p;
    if (s < vb) {
      const float* v = V.quant + (size_t)s * V.ld + kc;
      for (int c = 0; c < hd; c++) {
        float x = vmul ? vmul[c] * v[c] : v[c];
        if (vadd) x += vadd[c];
        acc[c] += p * x;
      }
    } else {
      const float* v = V.exact + (size_t)s * V.ld + kc;
      for (int c = 0; c < hd; c++) acc[c] += p * v[c];
    }
  }
  const float iz = 1.f / z;
  for (int c = 0; c < hd; c++) out[c] = acc[c] * iz;
}

// Causal GQA over B sequences of T tokens: out (B, T, *) row stride out_ld, q (B, T, *) row stride
// q_ld (query head h at channel h*hd); K/V/J describe sequence 0 and advance by T rows per sequence.
struct AttentionArgs {
  float* out = nullptr;
  int out_ld = 0;
  const float* q = nullptr;
  int q_ld = 0;
  KvRead K, V;
  QjlRead J;
  int B = 1, T = 0, n_heads = 0, n_kv = 0, hd = 0;
};

// Query idx of a, idx = (b * n_heads + h) * T + t: consecutive indices are consecutive positions
// of one head (the device's threads of a warp read the same key rows together).
LLMC_HD void attention_at(const AttentionArgs& a, long long idx) {
  const int t = (int)(idx % a.T);
  const int h = (int)((idx / a.T) % a.n_heads);
  const int b = (int)(idx / ((long long)a.T * a.n_heads));
  const int g = h / (a.n_heads / a.n_kv);
  const size_t r0 = (size_t)b * a.T;  // first row of this sequence
  KvRead K = a.K, V = a.V;
  KvRead* sides[2] = {&K, &V};
  for (KvRead* r : sides) {
    if (r->exact) r->exact += r0 * r->ld;
    if (r->quant) r->quant += r0 * r->ld;
    if (r->mul) r->mul += r0 * r->sld;
    if (r->add) r->add += r0 * r->sld;
  }
  QjlRead J = a.J;
  if (J.sgn) {
    J.sgn += r0 * a.n_kv * J.m;
    J.norm += r0 * a.n_kv;
    J.qp += r0 * a.n_heads * J.m;
  }
#if defined(__CUDA_ARCH__)
  const float scale = 1.0f / sqrtf((float)a.hd);
#else
  const float scale = 1.0f / std::sqrt((float)a.hd);
#endif
  attend_query(a.out + (r0 + t) * a.out_ld + (size_t)h * a.hd, a.q + (r0 + t) * a.q_ld + (size_t)h * a.hd, t, h, g,
               a.hd, scale, K, V, J, a.n_heads, a.n_kv);
}

}  // namespace cuda
}  // namespace llmc
