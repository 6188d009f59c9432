// KV-cache formats on a Llama model's attention, and sliding-window perplexity (llama_kv.hpp).
#include "llama_kv.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "llmc/gemm.hpp"

namespace lm {

namespace {

const double kPi = 3.14159265358979323846;

bool is_fp(KvMode m) { return m == KvMode::FP32 || m == KvMode::FP16; }
bool is_kivi(KvMode m) { return m == KvMode::KIVI2 || m == KvMode::KIVI_BIN; }

// First key / value position a query at t reads in quantised form ends before (see kvquant.hpp).
int key_bound(const KvConfig& kv, int t) {
  if (is_fp(kv.mode)) return 0;
  const int b = std::max(0, t + 1 - kv.residual);
  return is_kivi(kv.mode) ? b / kv.group * kv.group : b;
}
int value_bound(const KvConfig& kv, int t) {
  if (is_fp(kv.mode)) return 0;
  return std::max(0, t + 1 - kv.residual);
}

// Per-token quantisation of one width-kd vector (the value side of every format, the key side of
// the per-token ones), in place.
void quant_token(KvMode m, float* x, int kd, int group) {
  switch (m) {
    case KvMode::INT8:
    case KvMode::INT4:
    case KvMode::INT2:
    case KvMode::KIVI2:
      for (int c = 0; c < kd; c += group) quant_group_int(x + c, std::min(group, kd - c), kv_bits(m == KvMode::KIVI2 ? KvMode::INT2 : m));
      return;
    case KvMode::Q8_0:
      for (int c = 0; c < kd; c += 32) quant_block_q8_0(x + c, std::min(32, kd - c));
      return;
    case KvMode::Q4_0:
      for (int c = 0; c < kd; c += 32) quant_block_q4_0(x + c, std::min(32, kd - c));
      return;
    case KvMode::KIVI_BIN:
      for (int c = 0; c < kd; c += group) quant_group_sign(x + c, std::min(group, kd - c), 1);
      return;
    default:
      return;
  }
}

bool sign_family(KvMode m) { return m == KvMode::BIN || m == KvMode::BIN_C || m == KvMode::QJL; }

// The cached form of one layer's K or V (T, kd): base[s] read for s below the bound, scaled per
// query as mul_t * base[s] + add_t (mul/add empty when not used), fp16 copy for the rest.
struct CachedSide {
  std::vector<float> base, mul, add, half;
};

CachedSide cache_side(const KvConfig& kv, const float* x, int T, int kd, bool keys) {
  CachedSide c;
  c.half.assign(x, x + (size_t)T * kd);
  if (kv.mode != KvMode::FP32)
    for (float& f : c.half) f = round_fp16(f);
  if (is_fp(kv.mode)) return c;
  c.base.assign(x, x + (size_t)T * kd);
  const KvMode m = kv.mode;
  if (sign_family(m)) {
    // bin / bin-c (qjl values are bin): causal per-channel running scale (and mean for bin-c).
    const bool centred = m == KvMode::BIN_C;
    c.mul.resize((size_t)T * kd);
    if (centred) c.add.resize((size_t)T * kd);
    for (int ch = 0; ch < kd; ch++) {
      float S = 0.f, mu = 0.f;
      for (int t = 0; t < T; t++) {
        const float xv = x[(size_t)t * kd + ch];
        float r = xv;
        if (centred) {
          mu = mean_update(mu, xv, t);
          r = xv - mu;
          c.add[(size_t)t * kd + ch] = mu;
        }
        S = bin_scale_update(S, lm_fabs(r), t);
        c.mul[(size_t)t * kd + ch] = S;
        c.base[(size_t)t * kd + ch] = sign_pm1(r);
      }
    }
    return c;
  }
  if (keys && is_kivi(m)) {
    // Keys per channel: each channel's complete blocks of `group` tokens share one quantiser.
    const int G = kv.group;
    for (int t0 = 0; t0 + G <= T; t0 += G)
      for (int ch = 0; ch < kd; ch++) {
        float* p = c.base.data() + (size_t)t0 * kd + ch;
        if (m == KvMode::KIVI2) quant_group_int_strided(p, G, kd, 2);
        else quant_group_sign(p, G, kd);
      }
    return c;
  }
  for (int t = 0; t < T; t++) quant_token(m, c.base.data() + (size_t)t * kd, kd, kv.group);
  return c;
}

// qjl keys: sign(P k) per token and kv head (T, n_kv, m), and fp16 |k| (T, n_kv).
struct QjlKeys {
  std::vector<float> P, sgn, norm;
  int m = 0;
};

QjlKeys qjl_keys(const KvConfig& kv, int layer, const float* k, int T, int n_kv, int hd) {
  QjlKeys q;
  q.m = kv.qjl_dim > 0 ? kv.qjl_dim : hd;
  q.P = qjl_projection(kv.seed, layer, q.m, hd);
  q.sgn.resize((size_t)T * n_kv * q.m);
  q.norm.resize((size_t)T * n_kv);
  for (int t = 0; t < T; t++)
    for (int g = 0; g < n_kv; g++) {
      const float* kk = k + ((size_t)t * n_kv + g) * hd;
      double nn = 0;
      for (int c = 0; c < hd; c++) nn += (double)kk[c] * kk[c];
      q.norm[(size_t)t * n_kv + g] = round_fp16((float)std::sqrt(nn));
      for (int i = 0; i < q.m; i++)
        q.sgn[((size_t)t * n_kv + g) * q.m + i] = sign_pm1(llmc::dot(q.P.data() + (size_t)i * hd, kk, hd));
    }
  return q;
}

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

const std::vector<std::string>& llama_kv_names() {
  static const std::vector<std::string> n = {"fp32", "fp16", "int8", "int4", "int2", "bin",
                                             "q8_0", "q4_0", "kivi2", "kivi-bin", "bin-c", "qjl"};
  return n;
}

KvMode kv_mode_from_name(const std::string& s) {
  static const KvMode modes[] = {KvMode::FP32, KvMode::FP16, KvMode::INT8, KvMode::INT4,
                                 KvMode::INT2, KvMode::BIN, KvMode::Q8_0, KvMode::Q4_0,
                                 KvMode::KIVI2, KvMode::KIVI_BIN, KvMode::BIN_C, KvMode::QJL};
  const auto& n = llama_kv_names();
  for (size_t i = 0; i < n.size(); i++)
    if (n[i] == s) return modes[i];
  throw std::invalid_argument("unknown kv '" + s + "'");
}

std::vector<float> qjl_projection(uint64_t seed, int layer, int m, int hd) {
  uint64_t s = seed * 0x100000001B3ull ^ (0x716A6C00ull + (uint64_t)layer);
  std::vector<float> P((size_t)m * hd);
  for (size_t i = 0; i < P.size(); i += 2) {
    // Box-Muller on two 53-bit uniforms in (0, 1].
    const double u1 = ((splitmix(s) >> 11) + 1) * (1.0 / 9007199254740992.0);
    const double u2 = (splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
    const double r = std::sqrt(-2.0 * std::log(u1));
    P[i] = (float)(r * std::cos(2 * kPi * u2));
    if (i + 1 < P.size()) P[i + 1] = (float)(r * std::sin(2 * kPi * u2));
  }
  return P;
}

double llama_kv_bytes(const llmc::LlamaConfig& c, const KvConfig& kv, int L) {
  const double kd = c.kv_dim(), G = kv.group;
  const KvMode m = kv.mode;
  if (m == KvMode::FP32) return 2.0 * c.n_layers * 4.0 * L * kd;
  if (m == KvMode::FP16) return 2.0 * c.n_layers * 2.0 * L * kd;
  const double nk = key_bound(kv, L - 1), nv = value_bound(kv, L - 1);
  auto bits_bytes = [](double bits) { return std::ceil(bits / 8.0); };
  auto per_token = [&](double n) -> double {  // per-token formats over n tokens
    switch (m) {
      case KvMode::INT8: case KvMode::INT4: case KvMode::INT2:
        return bits_bytes(n * kd * kv_bits(m)) + n * std::ceil(kd / G) * 4.0;
      case KvMode::KIVI2: return bits_bytes(n * kd * 2) + n * std::ceil(kd / G) * 4.0;
      case KvMode::KIVI_BIN: return bits_bytes(n * kd) + n * std::ceil(kd / G) * 2.0;
      case KvMode::Q8_0: return n * kd + n * std::ceil(kd / 32) * 2.0;
      case KvMode::Q4_0: return bits_bytes(n * kd * 4) + n * std::ceil(kd / 32) * 2.0;
      case KvMode::BIN: case KvMode::QJL: return bits_bytes(n * kd) + 2.0 * kd;
      case KvMode::BIN_C: return bits_bytes(n * kd) + 4.0 * kd;
      default: return 0.0;
    }
  };
  double K;
  if (m == KvMode::KIVI2) K = bits_bytes(nk * kd * 2) + (nk / G) * kd * 4.0;
  else if (m == KvMode::KIVI_BIN) K = bits_bytes(nk * kd) + (nk / G) * kd * 2.0;
  else if (m == KvMode::QJL) {
    const double mm = kv.qjl_dim > 0 ? kv.qjl_dim : c.head_dim;
    K = bits_bytes(nk * c.n_kv_heads * mm) + nk * c.n_kv_heads * 2.0;
  } else K = per_token(nk);
  const double V = per_token(nv);
  const double resid = 2.0 * kd * ((L - nk) + (L - nv));  // fp16 residual tokens
  return c.n_layers * (K + V + resid);
}

double llama_kv_bits_per_scalar(const llmc::LlamaConfig& c, const KvConfig& kv, int L) {
  return 8.0 * llama_kv_bytes(c, kv, L) / (2.0 * c.n_layers * (double)L * c.kv_dim());
}

int hadamard_key_block(int hd) {
  if (hd <= 0 || hd % 64 != 0)
    throw std::invalid_argument("hadamard rotation needs a head width divisible by 64 (got " +
                                std::to_string(hd) + ")");
  int n = 64;
  while (hd % (2 * n) == 0) n *= 2;
  return n;
}

int hadamard_value_block(int hd) {
  hadamard_key_block(hd);  // same precondition
  return 64;
}

void hadamard_blocks(float* x, int64_t len, int n) {
  const float norm = 1.f / std::sqrt((float)n);
  for (int64_t b = 0; b + n <= len; b += n) {
    float* p = x + b;
    for (int h = 1; h < n; h *= 2)
      for (int i = 0; i < n; i += 2 * h)
        for (int j = i; j < i + h; j++) {
          const float a = p[j], c = p[j + h];
          p[j] = a + c;
          p[j + h] = a - c;
        }
    for (int i = 0; i < n; i++) p[i] *= norm;
  }
}

namespace {

void kv_attention_plain(const KvConfig& kv, int layer, const float* q, const float* k,
                        const float* v, int T, int n_heads, int n_kv, int hd, float* out,
                        int threads);

}  // namespace

void kv_attention(const KvConfig& kv, int layer, const float* q, const float* k, const float* v,
                  int T, int n_heads, int n_kv, int hd, float* out, int threads) {
  if (kv.rotation == KvRotation::NONE || is_fp(kv.mode)) {
    kv_attention_plain(kv, layer, q, k, v, T, n_heads, n_kv, hd, out, threads);
    return;
  }
  // Rotated copies: q (T, n_heads*hd), k and v (T, n_kv*hd); blocks never straddle heads
  // because both block widths divide hd.
  const int nk = hadamard_key_block(hd), nv = hadamard_value_block(hd);
  std::vector<float> qr(q, q + (size_t)T * n_heads * hd), kr(k, k + (size_t)T * n_kv * hd),
      vr(v, v + (size_t)T * n_kv * hd);
  hadamard_blocks(qr.data(), (int64_t)qr.size(), nk);
  hadamard_blocks(kr.data(), (int64_t)kr.size(), nk);
  hadamard_blocks(vr.data(), (int64_t)vr.size(), nv);
  kv_attention_plain(kv, layer, qr.data(), kr.data(), vr.data(), T, n_heads, n_kv, hd, out, threads);
  hadamard_blocks(out, (int64_t)T * n_heads * hd, nv);  // back from the rotated value basis
}

namespace {

// Columns g*hd .. g*hd+hd of x (T, kd) as a contiguous (T, hd) matrix, for each kv head g:
// out (n_kv, T, hd). Empty when x is.
std::vector<float> split_heads(const std::vector<float>& x, int T, int n_kv, int hd) {
  std::vector<float> out(x.empty() ? 0 : (size_t)n_kv * T * hd);
  if (x.empty()) return out;
  for (int g = 0; g < n_kv; g++)
    for (int t = 0; t < T; t++)
      std::copy_n(x.data() + ((size_t)t * n_kv + g) * hd, hd, out.data() + ((size_t)g * T + t) * hd);
  return out;
}

// Every non-QJL format as matrix products over blocks of QB queries of one head, with the same
// split per query t as the per-row loop of kv_attention_plain: keys s < nb(t) from the quantised
// side (scores on q * K.mul, plus q . K.add), the rest up to t from the fp16 residual; values
// s < nv(t) quantised (then times V.mul, plus V.add times their weight), the rest fp16. A block
// multiplies by keys 0..t1-1 and masks per row; work items (head, block) run on the threads,
// each one whole on one thread, so the result does not depend on the thread count.
void kv_attention_blocked(const KvConfig& kv, const CachedSide& K, const CachedSide& V, const float* q,
                          int T, int n_heads, int n_kv, int hd, float* out, int threads) {
  constexpr int QB = 96;
  const int kd = n_kv * hd, qd = n_heads * hd, group = n_heads / n_kv;
  const float scale = 1.f / std::sqrt((float)hd);
  // per kv head g: (T, hd) blocks of the quantised (base) and fp16 (half) keys and values
  const std::vector<float> kb = split_heads(K.base, T, n_kv, hd), kh = split_heads(K.half, T, n_kv, hd);
  const std::vector<float> vb = split_heads(V.base, T, n_kv, hd), vh = split_heads(V.half, T, n_kv, hd);
  const int blocks = (T + QB - 1) / QB;
  // blocks in zigzag order (llmc::zigzag_row): later blocks see more keys
  llmc::parallel_for((int64_t)blocks * n_heads, threads, [&](int64_t b, int64_t e) {
    std::vector<float> qs((size_t)QB * hd), qh((size_t)QB * hd), kc(QB);  // (QB, hd), (QB, hd), (QB)
    std::vector<float> sb, sh, pb, ph;                                     // (QB, t1) each
    std::vector<float> ob((size_t)QB * hd), oh((size_t)QB * hd), pq(QB);   // (QB, hd), (QB, hd), (QB)
    std::vector<int> nbk(QB), nbv(QB);
    for (int64_t it = b; it < e; it++) {
      const int blk = llmc::zigzag_row((int)(it / n_heads), blocks), h = (int)(it % n_heads), g = h / group;
      const int t0 = blk * QB, t1 = std::min(T, t0 + QB), rows = t1 - t0;
      bool any_kb = false, any_kh = false, any_vb = false, any_vh = false;
      for (int i = 0; i < rows; i++) {
        const int t = t0 + i;
        nbk[i] = std::max(0, std::min(key_bound(kv, t), t + 1));
        nbv[i] = std::max(0, std::min(value_bound(kv, t), t + 1));
        any_kb |= nbk[i] > 0, any_kh |= nbk[i] <= t, any_vb |= nbv[i] > 0, any_vh |= nbv[i] <= t;
        const float* qt = q + (size_t)t * qd + h * hd;
        const size_t tg = (size_t)t * kd + g * hd;  // (t, g) offset into (T, kd)
        std::copy_n(qt, hd, qh.data() + (size_t)i * hd);
        kc[i] = 0.f;
        if (!K.mul.empty()) {
          for (int c = 0; c < hd; c++) qs[(size_t)i * hd + c] = qt[c] * K.mul[tg + c];
          if (!K.add.empty()) kc[i] = llmc::dot(qt, K.add.data() + tg, hd);
        }
      }
      // the query the quantised keys see: q times K.mul where the format scales it, else q
      const float* qm = K.mul.empty() ? qh.data() : qs.data();
      // every score a row reads is written by a product below or the row's own loop
      sb.resize((size_t)rows * t1), sh.resize((size_t)rows * t1);
      const size_t gofs = (size_t)g * T * hd;
      if (any_kb) llmc::gemm_nt(qm, kb.data() + gofs, sb.data(), rows, hd, t1, false, false);
      if (any_kh) llmc::gemm_nt(qh.data(), kh.data() + gofs, sh.data(), rows, hd, t1, false, false);
      pb.assign((size_t)rows * t1, 0.f), ph.assign((size_t)rows * t1, 0.f);
      for (int i = 0; i < rows; i++) {
        const int t = t0 + i;
        float* p = sb.data() + (size_t)i * t1;  // the row's scores, then its weights
        const float* s_half = sh.data() + (size_t)i * t1;
        for (int s = 0; s < nbk[i]; s++) p[s] = (p[s] + kc[i]) * scale;
        for (int s = nbk[i]; s <= t; s++) p[s] = s_half[s] * scale;
        float mx = -INFINITY;
        for (int s = 0; s <= t; s++) mx = std::max(mx, p[s]);
        // std::exp, not llmc::fexp: fexp's few-ulp error tilts the weights enough to move plain
        // q4_0's perplexity by 1.7 % (kernels/BENCHMARKS.md, H2 numerics)
        float sum = 0.f;
        for (int s = 0; s <= t; s++) sum += (p[s] = std::exp(p[s] - mx));
        const float iz = 1.f / sum;
        float w = 0.f;
        for (int s = 0; s < nbv[i]; s++) w += (pb[(size_t)i * t1 + s] = p[s] * iz);
        for (int s = nbv[i]; s <= t; s++) ph[(size_t)i * t1 + s] = p[s] * iz;
        pq[i] = w;
      }
      if (any_vb) llmc::gemm_nn(pb.data(), vb.data() + gofs, ob.data(), rows, t1, hd, false, false);
      if (any_vh) llmc::gemm_nn(ph.data(), vh.data() + gofs, oh.data(), rows, t1, hd, false, false);
      for (int i = 0; i < rows; i++) {
        const int t = t0 + i;
        const size_t tg = (size_t)t * kd + g * hd;
        float* o = out + (size_t)t * qd + h * hd;
        for (int c = 0; c < hd; c++) {
          float val = 0.f;
          if (any_vb) {
            val = V.mul.empty() ? ob[(size_t)i * hd + c] : V.mul[tg + c] * ob[(size_t)i * hd + c];
            if (!V.add.empty()) val += V.add[tg + c] * pq[i];
          }
          o[c] = any_vh ? val + oh[(size_t)i * hd + c] : val;
        }
      }
    }
  });
}

void kv_attention_plain(const KvConfig& kv, int layer, const float* q, const float* k,
                        const float* v, int T, int n_heads, int n_kv, int hd, float* out,
                        int threads) {
  const int kd = n_kv * hd, qd = n_heads * hd, group = n_heads / n_kv;
  const CachedSide K = cache_side(kv, k, T, kd, true);
  const CachedSide V = cache_side(kv, v, T, kd, false);
  if (kv.mode != KvMode::QJL) {
    kv_attention_blocked(kv, K, V, q, T, n_heads, n_kv, hd, out, threads);
    return;
  }
  // QJL: one query row at a time, its keys as signs of the seeded projection (qjl_keys)
  const QjlKeys J = qjl_keys(kv, layer, k, T, n_kv, hd);
  const float scale = 1.f / std::sqrt((float)hd);
  const float qjl_c = (float)(std::sqrt(kPi / 2.0) / J.m);
  // Rows in zigzag order (llmc::zigzag_row): each thread gets the same share of the causal work.
  llmc::parallel_for((int64_t)T * n_heads, threads, [&](int64_t b, int64_t e) {
    std::vector<float> p(T), qm(J.m), acc(hd);  // qm (m): the projected query
    for (int64_t i = b; i < e; i++) {
      const int t = llmc::zigzag_row((int)(i / n_heads), T), h = (int)(i % n_heads), g = h / group;
      const float* qh = q + (size_t)t * qd + h * hd;
      const size_t tg = (size_t)t * kd + g * hd;  // (t, g) offset into (T, kd)
      const int kb = key_bound(kv, t), vb = value_bound(kv, t);
      for (int r = 0; r < J.m; r++) qm[r] = llmc::dot(J.P.data() + (size_t)r * hd, qh, hd);
      // scores: projected keys s < nb, then the full-precision residual window nb..t
      const int nb = std::max(0, std::min(kb, t + 1));
      for (int s = 0; s < nb; s++)
        p[s] = qjl_c * J.norm[(size_t)s * n_kv + g] * llmc::dot(qm.data(), J.sgn.data() + ((size_t)s * n_kv + g) * J.m, J.m) * scale;
      if (nb <= t) {
        llmc::dot_rows(qh, K.half.data() + (size_t)nb * kd + g * hd, kd, hd, t + 1 - nb, p.data() + nb);
        for (int s = nb; s <= t; s++) p[s] *= scale;
      }
      float mx = -INFINITY;
      for (int s = 0; s <= t; s++) mx = std::max(mx, p[s]);
      float sum = 0.f;
      for (int s = 0; s <= t; s++) sum += (p[s] = std::exp(p[s] - mx));
      const float iz = 1.f / sum;
      float* o = out + (size_t)t * qd + h * hd;
      std::fill(acc.begin(), acc.end(), 0.f);
      // values: cached rows s < nv (scaled and shifted after the sum), then the residual window
      const int nv = std::max(0, std::min(vb, t + 1));
      float pq = 0.f;
      if (nv > 0) llmc::weighted_rows(p.data(), iz, V.base.data() + g * hd, kd, nv, hd, acc.data());
      for (int s = 0; s < nv; s++) pq += p[s] * iz;
      for (int c = 0; c < hd; c++) {
        float val = V.mul.empty() ? acc[c] : V.mul[tg + c] * acc[c];
        if (!V.add.empty()) val += V.add[tg + c] * pq;
        o[c] = val;
      }
      const int s0 = std::max(vb, 0);
      if (s0 <= t) llmc::weighted_rows(p.data() + s0, iz, V.half.data() + (size_t)s0 * kd + g * hd, kd, t + 1 - s0, hd, o);
    }
  });
}

// The reference without rotation (kv_attention_ref applies it around this).
void kv_attention_ref_plain(const KvConfig& kv, int layer, const double* q, const double* k,
                            const double* v, int T, int n_heads, int n_kv, int hd, double* out);

// x (rows, width) times the explicit matrix H_n on each block of n columns, in double.
std::vector<double> hadamard_ref(const double* x, int64_t len, int n) {
  std::vector<double> y(x, x + len);
  for (int64_t b = 0; b + n <= len; b += n)
    for (int i = 0; i < n; i++) {
      double acc = 0;
      for (int j = 0; j < n; j++)
        acc += (__builtin_popcount((unsigned)(i & j)) % 2 ? -1.0 : 1.0) * x[b + j];
      y[b + i] = acc / std::sqrt((double)n);
    }
  return y;
}

}  // namespace

void kv_attention_ref(const KvConfig& kv, int layer, const double* q, const double* k,
                      const double* v, int T, int n_heads, int n_kv, int hd, double* out) {
  if (kv.rotation == KvRotation::NONE || is_fp(kv.mode)) {
    kv_attention_ref_plain(kv, layer, q, k, v, T, n_heads, n_kv, hd, out);
    return;
  }
  const int nk = hadamard_key_block(hd), nv = hadamard_value_block(hd);
  const int64_t nq = (int64_t)T * n_heads * hd, nkv = (int64_t)T * n_kv * hd;
  const std::vector<double> qr = hadamard_ref(q, nq, nk), kr = hadamard_ref(k, nkv, nk),
                            vr = hadamard_ref(v, nkv, nv);
  std::vector<double> o((size_t)nq);
  kv_attention_ref_plain(kv, layer, qr.data(), kr.data(), vr.data(), T, n_heads, n_kv, hd, o.data());
  const std::vector<double> back = hadamard_ref(o.data(), nq, nv);
  std::copy(back.begin(), back.end(), out);
}

namespace {

void kv_attention_ref_plain(const KvConfig& kv, int layer, const double* q, const double* k,
                            const double* v, int T, int n_heads, int n_kv, int hd, double* out) {
  const int kd = n_kv * hd;
  const KvMode m = kv.mode;
  const int G = kv.group;
  std::vector<float> kf((size_t)T * kd), vf((size_t)T * kd);
  for (size_t i = 0; i < kf.size(); i++) { kf[i] = (float)k[i]; vf[i] = (float)v[i]; }
  std::vector<float> P;
  const int mq = kv.qjl_dim > 0 ? kv.qjl_dim : hd;
  if (m == KvMode::QJL) P = qjl_projection(kv.seed, layer, mq, hd);
  // Per-channel running statistics up to each t, by their recursions (as a cache keeps them).
  auto running = [&](const std::vector<float>& x, bool centred, std::vector<double>& S,
                     std::vector<double>& mu, std::vector<double>& sg) {
    S.assign((size_t)T * kd, 0); mu.assign((size_t)T * kd, 0); sg.assign((size_t)T * kd, 0);
    for (int ch = 0; ch < kd; ch++) {
      float s = 0, u = 0;
      for (int t = 0; t < T; t++) {
        float r = x[(size_t)t * kd + ch];
        if (centred) { u = mean_update(u, r, t); r -= u; }
        s = bin_scale_update(s, std::fabs(r), t);
        S[(size_t)t * kd + ch] = s; mu[(size_t)t * kd + ch] = centred ? u : 0.0;
        sg[(size_t)t * kd + ch] = r >= 0 ? 1.0 : -1.0;
      }
    }
  };
  std::vector<double> kS, kmu, ksg, vS, vmu, vsg;
  running(kf, m == KvMode::BIN_C, kS, kmu, ksg);
  running(vf, m == KvMode::BIN_C, vS, vmu, vsg);
  for (int t = 0; t < T; t++) {
    // Explicit cached K^(t), V^(t) for s <= t.
    std::vector<double> Kh((size_t)(t + 1) * kd), Vh((size_t)(t + 1) * kd);
    for (int s = 0; s <= t; s++) {
      const bool fp = m == KvMode::FP32 || m == KvMode::FP16;
      const bool kq = !fp && (m == KvMode::KIVI2 || m == KvMode::KIVI_BIN
                                   ? (s / G + 1) * G <= t + 1 - kv.residual
                                   : s <= t - kv.residual);
      const bool vq = !fp && s <= t - kv.residual;
      for (int side = 0; side < 2; side++) {
        const std::vector<float>& x = side ? vf : kf;
        std::vector<double>& H = side ? Vh : Kh;
        const bool quant = side ? vq : kq;
        std::vector<float> row(x.begin() + (size_t)s * kd, x.begin() + (size_t)(s + 1) * kd);
        if (!quant) {
          for (int c = 0; c < kd; c++) H[(size_t)s * kd + c] = m == KvMode::FP32 ? row[c] : round_fp16(row[c]);
          continue;
        }
        const std::vector<double>& S = side ? vS : kS;
        const std::vector<double>& mu = side ? vmu : kmu;
        const std::vector<double>& sg = side ? vsg : ksg;
        if (m == KvMode::BIN || m == KvMode::BIN_C || (m == KvMode::QJL && side == 1)) {
          for (int c = 0; c < kd; c++)
            H[(size_t)s * kd + c] = mu[(size_t)t * kd + c] + S[(size_t)t * kd + c] * sg[(size_t)s * kd + c];
        } else if (m == KvMode::QJL) {
          // k^ = sqrt(pi/2)/m |k| P^T sign(P k): its inner product with q is the estimator.
          for (int g = 0; g < n_kv; g++) {
            double nn = 0;
            for (int c = 0; c < hd; c++) nn += (double)row[g * hd + c] * row[g * hd + c];
            const double nk = round_fp16((float)std::sqrt(nn));
            for (int c = 0; c < hd; c++) H[(size_t)s * kd + g * hd + c] = 0;
            for (int r = 0; r < mq; r++) {
              double pk = 0;
              for (int c = 0; c < hd; c++) pk += (double)P[(size_t)r * hd + c] * row[g * hd + c];
              const double sgn = pk >= 0 ? 1.0 : -1.0;
              for (int c = 0; c < hd; c++)
                H[(size_t)s * kd + g * hd + c] += std::sqrt(kPi / 2) / mq * nk * sgn * P[(size_t)r * hd + c];
            }
          }
        } else if (side == 0 && (m == KvMode::KIVI2 || m == KvMode::KIVI_BIN)) {
          // This channel's block of G tokens, quantised together.
          const int b0 = s / G * G;
          for (int c = 0; c < kd; c++) {
            std::vector<float> blk(G);
            for (int j = 0; j < G; j++) blk[j] = x[(size_t)(b0 + j) * kd + c];
            if (m == KvMode::KIVI2) quant_group_int(blk.data(), G, 2);
            else quant_group_sign(blk.data(), G, 1);
            H[(size_t)s * kd + c] = blk[s - b0];
          }
        } else {
          const KvMode pm = m == KvMode::KIVI2 ? KvMode::INT2 : m;
          const int gs = (pm == KvMode::Q8_0 || pm == KvMode::Q4_0) ? 32 : G;
          for (int c0 = 0; c0 < kd; c0 += gs) {
            const int n = std::min(gs, kd - c0);
            if (pm == KvMode::Q8_0) quant_block_q8_0(row.data() + c0, n);
            else if (pm == KvMode::Q4_0) quant_block_q4_0(row.data() + c0, n);
            else if (pm == KvMode::KIVI_BIN) quant_group_sign(row.data() + c0, n, 1);
            else quant_group_int(row.data() + c0, n, kv_bits(pm));
          }
          for (int c = 0; c < kd; c++) H[(size_t)s * kd + c] = row[c];
        }
      }
    }
    for (int h = 0; h < n_heads; h++) {
      const int g = h / (n_heads / n_kv);
      std::vector<double> w(t + 1);
      double mx = -1e300, z = 0;
      for (int s = 0; s <= t; s++) {
        double d = 0;
        for (int c = 0; c < hd; c++) d += q[((size_t)t * n_heads + h) * hd + c] * Kh[(size_t)s * kd + g * hd + c];
        w[s] = d / std::sqrt((double)hd);
        mx = std::max(mx, w[s]);
      }
      for (int s = 0; s <= t; s++) z += (w[s] = std::exp(w[s] - mx));
      for (int c = 0; c < hd; c++) {
        double o = 0;
        for (int s = 0; s <= t; s++) o += w[s] / z * Vh[(size_t)s * kd + g * hd + c];
        out[((size_t)t * n_heads + h) * hd + c] = o;
      }
    }
  }
}

}  // namespace

std::vector<PplWindow> ppl_windows(int64_t n, int L, int stride) {
  std::vector<PplWindow> w;
  if (stride <= 0) {
    for (int64_t i = 0; (i + 1) * L <= n; i++) w.push_back({i * L, L / 2 + 1});
  } else {
    if (n <= L) return w;
    const int64_t nw = (n - L + stride - 1) / stride;
    for (int64_t i = 0; i < nw; i++) w.push_back({i * stride, L - stride});
  }
  return w;
}

PplResult eval_ppl(const llmc::LlamaModel& m, const std::vector<int>& tokens,
                   const std::vector<PplWindow>& windows, int L, const KvConfig& kv, int threads,
                   const std::function<void(size_t)>& progress, std::vector<float>* first_logits) {
  using Clock = std::chrono::steady_clock;
  const llmc::LlamaConfig& c = m.cfg;
  PplResult r;
  std::vector<float> hidden((size_t)L * c.d_model);  // (L, d)
  const int chunk = 64;                               // logits rows at a time: (chunk, vocab)
  std::vector<float> logits((size_t)chunk * c.vocab);
  std::vector<double> row_nll(chunk);
  std::vector<char> row_hit(chunk);
  llmc::AttentionFn attn;
  if (kv.mode != KvMode::FP32)
    attn = [&](int layer, const float* q, const float* k, const float* v, int T, float* out) {
      kv_attention(kv, layer, q, k, v, T, c.n_heads, c.n_kv_heads, c.head_dim, out, threads);
    };
  for (size_t wi = 0; wi < windows.size(); wi++) {
    const PplWindow& w = windows[wi];
    const auto t0 = Clock::now();
    llmc::llama_forward(m, tokens.data() + w.start, L, attn, hidden.data(), threads);
    double wsum = 0;
    int wcount = 0;
    // Logit row j (position j) predicts the token at j + 1; targets first_target .. L-1.
    for (int j0 = w.first_target - 1; j0 < L - 1; j0 += chunk) {
      const int n = std::min(chunk, L - 1 - j0);
      std::vector<int> rows(n);
      for (int i = 0; i < n; i++) rows[i] = j0 + i;
      llmc::llama_logits(m, hidden.data(), rows.data(), n, logits.data(), threads);
      if (first_logits && wi == 0)
        first_logits->insert(first_logits->end(), logits.begin(), logits.begin() + (size_t)n * c.vocab);
      // per-row NLL and top-1 on the threads, summed here in row order (the same sum for any
      // thread count)
      llmc::parallel_for(n, threads, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) {
          const float* lg = logits.data() + (size_t)i * c.vocab;
          const int target = tokens[w.start + j0 + i + 1];
          double mx = lg[0];
          int arg = 0;
          for (int x = 1; x < c.vocab; x++)
            if (lg[x] > mx) { mx = lg[x]; arg = x; }
          double z = 0;
          for (int x = 0; x < c.vocab; x++) z += std::exp((double)lg[x] - mx);
          row_nll[i] = -((double)lg[target] - mx - std::log(z));
          row_hit[i] = arg == target;
        }
      });
      for (int i = 0; i < n; i++) {
        wsum += row_nll[i];
        wcount++;
        r.hits += row_hit[i];
      }
    }
    r.add_window(w.start, wsum, wcount, std::chrono::duration<double>(Clock::now() - t0).count());
    if (progress) progress(wi + 1);
  }
  return r;
}

}  // namespace lm
