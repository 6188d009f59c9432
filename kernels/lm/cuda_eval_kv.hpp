// The Llama KV-cache formats (kvquant.hpp, llama_kv.hpp) as independent units of work, for the
// CUDA eval (one thread per unit, cuda_eval.cu) and for the CPU test that runs the same units in
// loops against kv_attention_ref. Every function is LM_HD plain arithmetic on the kvquant.hpp
// quantisers, so host and device compute the same cached values.
//
// One side (K or V) of one layer over a window x (T, kd) becomes:
//   half (T, kd): x rounded to fp16 (fp32: x itself), read for the fp16 residual / fp formats;
//   base (T, kd): the quantised rows (a copy of x, quantised in place by the units);
//   mul, add (T, kd): per-query scale and mean rows of the sign formats (bin, bin-c, qjl values).
// Units: sign formats one per channel (the running statistics are sequential in t); KIVI keys one
// per channel (each channel's complete blocks of `group` tokens); per-token formats one per
// (token, channel group).
#pragma once

#include <cmath>

#include <vector>

#include "cuda/attention.cuh"
#include "kvquant.hpp"

namespace lm {

struct KvSidePlan {
  KvMode mode = KvMode::FP32;
  int group = 32;
  int residual = 0;
  bool keys = true;
};

LM_HD bool kv_is_fp(KvMode m) { return m == KvMode::FP32 || m == KvMode::FP16; }
LM_HD bool kv_is_kivi(KvMode m) { return m == KvMode::KIVI2 || m == KvMode::KIVI_BIN; }
LM_HD bool kv_is_sign(KvMode m) { return m == KvMode::BIN || m == KvMode::BIN_C || m == KvMode::QJL; }
LM_HD bool kv_centred(KvMode m) { return m == KvMode::BIN_C; }

// Channels per quantiser of a per-token format (llama.cpp's blocks are 32 wide).
LM_HD int kv_token_chunk(const KvSidePlan& p) {
  return p.mode == KvMode::Q8_0 || p.mode == KvMode::Q4_0 ? 32 : p.group;
}

// Number of units of one side of a (T, kd) window; 0 for the fp formats (no quantised rows).
LM_HD long kv_side_units(const KvSidePlan& p, int T, int kd) {
  if (kv_is_fp(p.mode)) return 0;
  if (kv_is_sign(p.mode) || (p.keys && kv_is_kivi(p.mode))) return kd;
  const int ch = kv_token_chunk(p);
  return (long)T * ((kd + ch - 1) / ch);
}

// Unit u of one side: fills its part of base (already holding a copy of x) and mul / add.
LM_HD void kv_side_unit(const KvSidePlan& p, long u, const float* x, int T, int kd, float* base, float* mul,
                        float* add) {
  const KvMode m = p.mode;
  if (kv_is_sign(m)) {  // channel u: causal running scale (and mean for bin-c)
    const int ch = (int)u;
    float S = 0.f, mu = 0.f;
    for (int t = 0; t < T; t++) {
      const size_t i = (size_t)t * kd + ch;
      float r = x[i];
      if (kv_centred(m)) {
        mu = mean_update(mu, x[i], t);
        r = x[i] - mu;
        add[i] = mu;
      }
      S = bin_scale_update(S, lm_fabs(r), t);
      mul[i] = S;
      base[i] = sign_pm1(r);
    }
    return;
  }
  if (p.keys && kv_is_kivi(m)) {  // channel u: every complete block of G tokens
    const int ch = (int)u, G = p.group;
    for (int t0 = 0; t0 + G <= T; t0 += G) {
      float* b = base + (size_t)t0 * kd + ch;
      if (m == KvMode::KIVI2) quant_group_int_strided(b, G, kd, 2);
      else quant_group_sign(b, G, kd);
    }
    return;
  }
  // (token t, channel group j)
  const int chunk = kv_token_chunk(p);
  const int ng = (kd + chunk - 1) / chunk;
  const int t = (int)(u / ng), c0 = (int)(u % ng) * chunk;
  const int n = chunk < kd - c0 ? chunk : kd - c0;
  float* b = base + (size_t)t * kd + c0;
  switch (m) {
    case KvMode::INT8: case KvMode::INT4: case KvMode::INT2: quant_group_int(b, n, kv_bits(m)); break;
    case KvMode::KIVI2: quant_group_int(b, n, 2); break;
    case KvMode::Q8_0: quant_block_q8_0(b, n); break;
    case KvMode::Q4_0: quant_block_q4_0(b, n); break;
    case KvMode::KIVI_BIN: quant_group_sign(b, n, 1); break;
    default: break;
  }
}

// half[i] of element i.
LM_HD float kv_half(KvMode m, float x) { return m == KvMode::FP32 ? x : round_fp16(x); }

// Residual window and block of the bound below which a query reads quantised rows
// (llama_kv.cpp's key_bound / value_bound): bound(t) = max(0, t + 1 - residual) down to block.
LM_HD int kv_side_block(const KvSidePlan& p) { return p.keys && kv_is_kivi(p.mode) ? p.group : 1; }

// qjl key of kv head g at token t: sgn (m) = sign(P k), norm = fp16 |k| (|k| in double as the CPU).
LM_HD void qjl_key_unit(const float* k /* (hd) */, const float* P /* (m, hd) */, int m, int hd, float* sgn,
                        float* norm) {
  double nn = 0;
  for (int c = 0; c < hd; c++) nn += (double)k[c] * k[c];
  *norm = round_fp16((float)sqrt(nn));
  for (int r = 0; r < m; r++) {
    float d = 0.f;
    for (int c = 0; c < hd; c++) d += P[(size_t)r * hd + c] * k[c];
    sgn[r] = sign_pm1(d);
  }
}

// qp (m) = P q of one query head.
LM_HD void qjl_query_unit(const float* q /* (hd) */, const float* P /* (m, hd) */, int m, int hd, float* qp) {
  for (int r = 0; r < m; r++) {
    float d = 0.f;
    for (int c = 0; c < hd; c++) d += P[(size_t)r * hd + c] * q[c];
    qp[r] = d;
  }
}

// How attend_query reads one side, given its buffers (T, kd) for one sequence.
LM_HD llmc::cuda::KvRead kv_read(const KvSidePlan& p, const float* half, const float* base, const float* mul,
                                 const float* add, int kd) {
  llmc::cuda::KvRead r;
  r.exact = half;
  r.quant = kv_is_fp(p.mode) ? nullptr : base;
  r.mul = kv_is_sign(p.mode) ? mul : nullptr;
  r.add = kv_centred(p.mode) ? add : nullptr;
  r.ld = r.sld = kd;
  r.residual = p.residual;
  r.block = kv_side_block(p);
  return r;
}

// The cached K and V of one layer over a window (T, kd) each, and the qjl key data.
struct KvLayerBuffers {
  const float *half[2], *base[2], *mul[2], *add[2];  // side 0 = K, 1 = V; (T, kd)
  const float *sgn = nullptr, *norm = nullptr, *qp = nullptr;  // qjl: (T, nkv, m), (T, nkv), (T, nh, m)
  int m = 0;
};

// The attention of one Llama layer over its cache in format `mode`: q (T, nh*hd) -> out (T, nh*hd).
// The one place that maps the buffers to attend_query's reads (device and host tests alike).
inline llmc::cuda::AttentionArgs kv_layer_args(KvMode mode, int group, int residual, const KvLayerBuffers& b,
                                               const float* q, float* out, int T, int nh, int nkv, int hd) {
  llmc::cuda::AttentionArgs a;
  const int kd = nkv * hd;
  for (int s = 0; s < 2; s++) {
    const KvSidePlan p{mode, group, residual, s == 0};
    (s ? a.V : a.K) = kv_read(p, b.half[s], b.base[s], b.mul[s], b.add[s], kd);
  }
  if (mode == KvMode::QJL) {
    a.J.sgn = b.sgn;
    a.J.norm = b.norm;
    a.J.qp = b.qp;
    a.J.m = b.m;
    a.J.c = (float)(std::sqrt(3.14159265358979323846 / 2.0) / b.m);
  }
  a.out = out;
  a.out_ld = nh * hd;
  a.q = q;
  a.q_ld = nh * hd;
  a.T = T;
  a.n_heads = nh;
  a.n_kv = nkv;
  a.hd = hd;
  return a;
}

// The GPT eval's attention: atty (B*T, C) from the packed qkv (B*T, 3C) after the in-place K/V
// quantisation; bin: signs in qkv, the running scales ks / vs (B*T, C) applied per query.
inline llmc::cuda::AttentionArgs gpt_attention_args(float* atty, const float* qkv, const float* ks, const float* vs,
                                                    bool bin, int B, int T, int C, int NH) {
  llmc::cuda::AttentionArgs a;
  a.out = atty;
  a.out_ld = C;
  a.q = qkv;
  a.q_ld = 3 * C;
  a.K.exact = qkv + C;
  a.V.exact = qkv + 2 * C;
  a.K.ld = a.V.ld = 3 * C;
  if (bin) {  // every key is x^_s = sign_s * S_t
    a.K.quant = a.K.exact;
    a.V.quant = a.V.exact;
    a.K.mul = ks;
    a.V.mul = vs;
    a.K.sld = a.V.sld = C;
  }
  a.B = B;
  a.T = T;
  a.n_heads = a.n_kv = NH;
  a.hd = C / NH;
  return a;
}

// The CUDA eval's KV attention of one layer run on the host, unit by unit in loops where the
// device runs one thread per unit (cuda_eval.cu): q (T, nh*hd), k, v (T, nkv*hd) -> out (T, nh*hd).
// P (m, hd): the layer's qjl projection (qjl only). For the CPU tests against kv_attention_ref.
inline void kv_attention_units_host(KvMode mode, int group, int residual, const float* q, const float* k,
                                    const float* v, int T, int nh, int nkv, int hd, const float* P, int m,
                                    float* out) {
  const int kd = nkv * hd;
  const size_t n = (size_t)T * kd;
  std::vector<float> half[2], base[2], mul[2], add[2];
  KvLayerBuffers B;
  for (int side = 0; side < 2; side++) {
    const float* x = side ? v : k;
    const KvSidePlan p{mode, group, residual, side == 0};
    half[side].resize(n);
    for (size_t i = 0; i < n; i++) half[side][i] = kv_half(mode, x[i]);
    base[side].assign(x, x + n);
    mul[side].assign(n, 0.f);
    add[side].assign(n, 0.f);
    for (long u = 0; u < kv_side_units(p, T, kd); u++)
      kv_side_unit(p, u, x, T, kd, base[side].data(), mul[side].data(), add[side].data());
    B.half[side] = half[side].data();
    B.base[side] = base[side].data();
    B.mul[side] = mul[side].data();
    B.add[side] = add[side].data();
  }
  std::vector<float> sgn, norm, qp;
  if (mode == KvMode::QJL) {
    sgn.resize((size_t)T * nkv * m);
    norm.resize((size_t)T * nkv);
    qp.resize((size_t)T * nh * m);
    for (int i = 0; i < T * nkv; i++) qjl_key_unit(k + (size_t)i * hd, P, m, hd, sgn.data() + (size_t)i * m, norm.data() + i);
    for (int i = 0; i < T * nh; i++) qjl_query_unit(q + (size_t)i * hd, P, m, hd, qp.data() + (size_t)i * m);
    B.sgn = sgn.data();
    B.norm = norm.data();
    B.qp = qp.data();
    B.m = m;
  }
  const llmc::cuda::AttentionArgs a = kv_layer_args(mode, group, residual, B, q, out, T, nh, nkv, hd);
  for (long long idx = 0; idx < (long long)nh * T; idx++) llmc::cuda::attention_at(a, idx);
}

}  // namespace lm
