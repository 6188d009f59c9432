// Llama inference (see include/llmc/llama.hpp).
#include "llmc/llama.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include "llmc/core.hpp"
#include "llmc/gemm.hpp"
#include "llmc/gguf.hpp"
#include "llmc/math.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define LLMC_X86 1
#endif

namespace llmc {

namespace {

#ifdef LLMC_X86
__attribute__((target("avx2,fma"))) float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, int n) {
  __m256 acc = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  float s = hsum256(acc);
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

// p[s] = dot_avx2(q, k + s * ld, n) for s < count: eight keys per pass (eight independent FMA
// chains hide the FMA latency); each key's chain and sum are dot_avx2's, so the bits are equal.
__attribute__((target("avx2,fma"))) void dot_rows_avx2(const float* q, const float* k, size_t ld, int n,
                                                       int count, float* p) {
  const int n8 = n / 8 * 8;
  int s = 0;
  for (; s + 8 <= count; s += 8) {
    __m256 acc[8];
    for (int r = 0; r < 8; r++) acc[r] = _mm256_setzero_ps();
    for (int i = 0; i < n8; i += 8) {
      const __m256 qv = _mm256_loadu_ps(q + i);
      for (int r = 0; r < 8; r++) acc[r] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + (s + r) * ld + i), acc[r]);
    }
    for (int r = 0; r < 8; r++) {
      float v = hsum256(acc[r]);
      for (int i = n8; i < n; i++) v += q[i] * k[(s + r) * ld + i];
      p[s + r] = v;
    }
  }
  for (; s < count; s++) p[s] = dot_avx2(q, k + s * ld, n);
}

// acc[c] += (w[s] * wscale) * v[s * ld + c] for s < count, in ascending s, as a multiply then an
// add (the scalar loop's rounding under -ffp-contract=off); 64 columns of acc stay in registers.
__attribute__((target("avx2,fma"))) void weighted_rows_avx2(const float* w, float wscale, const float* v,
                                                            size_t ld, int count, int n, float* acc) {
  int c0 = 0;
  for (; c0 + 64 <= n; c0 += 64) {
    __m256 a[8];
    for (int r = 0; r < 8; r++) a[r] = _mm256_loadu_ps(acc + c0 + 8 * r);
    for (int s = 0; s < count; s++) {
      const __m256 ws = _mm256_set1_ps(w[s] * wscale);
      const float* vs = v + s * ld + c0;
      for (int r = 0; r < 8; r++) a[r] = _mm256_add_ps(a[r], _mm256_mul_ps(ws, _mm256_loadu_ps(vs + 8 * r)));
    }
    for (int r = 0; r < 8; r++) _mm256_storeu_ps(acc + c0 + 8 * r, a[r]);
  }
  for (; c0 + 8 <= n; c0 += 8) {
    __m256 a = _mm256_loadu_ps(acc + c0);
    for (int s = 0; s < count; s++)
      a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_set1_ps(w[s] * wscale), _mm256_loadu_ps(v + s * ld + c0)));
    _mm256_storeu_ps(acc + c0, a);
  }
  for (int s = 0; s < count; s++) {
    const float ws = w[s] * wscale;
    for (int c = c0; c < n; c++) acc[c] += ws * v[s * ld + c];
  }
}

// x[i] = fexp(x[i] - sub) with the operations of llmc::fexp (math.hpp) on 8 lanes, so each value
// is bit-identical to the scalar fexp; returns the sum over 8 partial lanes combined in a fixed
// order (the scalar path sums the same way).
__attribute__((target("avx2,fma"))) float exp_sub_sum_avx2(float* x, int64_t n, float sub) {
  const __m256 lo = _mm256_set1_ps(-87.0f), hi = _mm256_set1_ps(88.0f), half = _mm256_set1_ps(0.5f);
  const __m256 sign = _mm256_set1_ps(-0.0f), vsub = _mm256_set1_ps(sub);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_sub_ps(_mm256_loadu_ps(x + i), vsub);
    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    const __m256 t = _mm256_mul_ps(v, _mm256_set1_ps(1.44269504088896341f));
    // t + (t >= 0 ? 0.5 : -0.5), truncated: round half away from zero
    const __m256 h = _mm256_or_ps(half, _mm256_and_ps(t, sign));
    const __m256i ni = _mm256_cvttps_epi32(_mm256_add_ps(t, h));
    const __m256 nf = _mm256_cvtepi32_ps(ni);
    __m256 r = _mm256_sub_ps(v, _mm256_mul_ps(nf, _mm256_set1_ps(0.693145751953125f)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(nf, _mm256_set1_ps(1.428606765330187045e-06f)));
    __m256 p = _mm256_set1_ps(1.3981999507e-3f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23);
    p = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    _mm256_storeu_ps(x + i, p);
    acc = _mm256_add_ps(acc, p);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  for (int64_t j = 0; i + j < n; j++) lanes[j] += (x[i + j] = fexp(x[i + j] - sub));
  float sum = 0.f;
  for (int j = 0; j < 8; j++) sum += lanes[j];
  return sum;
}

#endif

bool have_avx2() {
#ifdef LLMC_X86
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
#else
  return false;
#endif
}

float dot_scalar(const float* a, const float* b, int n) {
  // 8 partial sums in the same order as the AVX2 lanes would not be needed: scalar is its own path.
  float s = 0.f;
  for (int i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

}  // namespace

const char* simd_path() { return simd_name(); }  // the GEMM's path: it does nearly all the work

void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn) {
  threads = (int)std::max<int64_t>(1, std::min<int64_t>(threads, n));
  if (threads <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  std::vector<std::thread> pool;
  const int64_t chunk = (n + threads - 1) / threads;
  for (int i = 1; i < threads; i++) {
    const int64_t b = i * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back(fn, b, e);
  }
  fn(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
}

float dot(const float* a, const float* b, int n) {
#ifdef LLMC_X86
  if (have_avx2()) return dot_avx2(a, b, n);
#endif
  return dot_scalar(a, b, n);
}

void dot_rows(const float* q, const float* k, size_t ld, int n, int count, float* p) {
#ifdef LLMC_X86
  if (have_avx2()) return dot_rows_avx2(q, k, ld, n, count, p);
#endif
  for (int s = 0; s < count; s++) p[s] = dot_scalar(q, k + s * ld, n);
}

void weighted_rows(const float* w, float wscale, const float* v, size_t ld, int count, int n, float* acc) {
#ifdef LLMC_X86
  if (have_avx2()) return weighted_rows_avx2(w, wscale, v, ld, count, n, acc);
#endif
  for (int s = 0; s < count; s++) {
    const float ws = w[s] * wscale;
    for (int c = 0; c < n; c++) acc[c] += ws * v[s * ld + c];
  }
}

float exp_sub_sum(float* x, int64_t n, float sub) {
#ifdef LLMC_X86
  if (have_avx2()) return exp_sub_sum_avx2(x, n, sub);
#endif
  float lanes[8] = {0.f};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) lanes[j] += (x[i + j] = fexp(x[i + j] - sub));
  for (int j = 0; i + j < n; j++) lanes[j] += (x[i + j] = fexp(x[i + j] - sub));
  float sum = 0.f;
  for (int j = 0; j < 8; j++) sum += lanes[j];
  return sum;
}

void matmul(float* out, const float* x, const float* w, int T, int K, int N, int threads) {
  set_threads(threads);
  gemm_nt(x, w, out, T, K, N, false);
}

void matmul_ref(double* out, const double* x, const double* w, int T, int K, int N) {
  for (int t = 0; t < T; t++)
    for (int n = 0; n < N; n++) {
      double s = 0;
      for (int k = 0; k < K; k++) s += x[(size_t)t * K + k] * w[(size_t)n * K + k];
      out[(size_t)t * N + n] = s;
    }
}

void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps) {
  for (int t = 0; t < T; t++) {
    const float* xt = x + (size_t)t * C;
    double ss = 0;
    for (int c = 0; c < C; c++) ss += (double)xt[c] * xt[c];
    const float r = (float)(1.0 / std::sqrt(ss / C + eps));
    for (int c = 0; c < C; c++) out[(size_t)t * C + c] = xt[c] * r * w[c];
  }
}

void rmsnorm_ref(double* out, const double* x, const double* w, int T, int C, double eps) {
  for (int t = 0; t < T; t++) {
    double ss = 0;
    for (int c = 0; c < C; c++) ss += x[(size_t)t * C + c] * x[(size_t)t * C + c];
    const double r = 1.0 / std::sqrt(ss / C + eps);
    for (int c = 0; c < C; c++) out[(size_t)t * C + c] = x[(size_t)t * C + c] * r * w[c];
  }
}

void rope(float* x, int T, int n_heads, int head_dim, int rot_dim, double theta, int pos0, int threads) {
  std::vector<double> inv(rot_dim / 2);
  for (int i = 0; i < rot_dim / 2; i++) inv[i] = std::pow(theta, -2.0 * i / rot_dim);
  parallel_for(T, threads, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      for (int i = 0; i < rot_dim / 2; i++) {
        const double a = (double)(pos0 + t) * inv[i];
        const float c = (float)std::cos(a), s = (float)std::sin(a);
        for (int h = 0; h < n_heads; h++) {
          float* p = x + ((size_t)t * n_heads + h) * head_dim + 2 * i;
          const float x0 = p[0], x1 = p[1];
          p[0] = x0 * c - x1 * s;
          p[1] = x0 * s + x1 * c;
        }
      }
    }
  });
}

void rope_ref(double* x, int T, int n_heads, int head_dim, int rot_dim, double theta, int pos0) {
  // Complex form: z_i = x[2i] + j x[2i+1] times exp(j (pos) theta^(-2i/rot_dim)).
  for (int t = 0; t < T; t++)
    for (int h = 0; h < n_heads; h++)
      for (int i = 0; i < rot_dim / 2; i++) {
        double* p = x + ((size_t)t * n_heads + h) * head_dim + 2 * i;
        const double ang = (pos0 + t) * std::exp(-2.0 * i / rot_dim * std::log(theta));
        const double re = p[0] * std::cos(ang) - p[1] * std::sin(ang);
        const double im = p[0] * std::sin(ang) + p[1] * std::cos(ang);
        p[0] = re;
        p[1] = im;
      }
}

void swiglu(float* out, const float* gate, const float* up, int64_t n, int threads) {
  parallel_for(n, threads, [&](int64_t b, int64_t e) {
    float ex[256];  // fexp(-g) of a run of 256, on exp_sub_sum's SIMD path
    for (int64_t i0 = b; i0 < e; i0 += 256) {
      const int len = (int)std::min<int64_t>(256, e - i0);
      for (int j = 0; j < len; j++) ex[j] = -gate[i0 + j];
      exp_sub_sum(ex, len, 0.f);
      for (int j = 0; j < len; j++) out[i0 + j] = gate[i0 + j] / (1.f + ex[j]) * up[i0 + j];
    }
  });
}

void attention_gqa(float* out, const float* q, const float* k, const float* v, int T, int n_heads,
                   int n_kv, int hd, int threads) {
  const int group = n_heads / n_kv, qd = n_heads * hd, kd = n_kv * hd;
  const float scale = 1.f / std::sqrt((float)hd);
  parallel_for((int64_t)T * n_heads, threads, [&](int64_t b, int64_t e) {
    std::vector<float> p(T);
    for (int64_t i = b; i < e; i++) {
      const int t = zigzag_row((int)(i / n_heads), T), h = (int)(i % n_heads), g = h / group;
      const float* qt = q + (size_t)t * qd + h * hd;
      dot_rows(qt, k + g * hd, kd, hd, t + 1, p.data());
      float mx = -INFINITY;
      for (int s = 0; s <= t; s++) {
        p[s] *= scale;
        mx = std::max(mx, p[s]);
      }
      float sum = 0;
      for (int s = 0; s <= t; s++) sum += (p[s] = std::exp(p[s] - mx));
      float* o = out + (size_t)t * qd + h * hd;
      for (int c = 0; c < hd; c++) o[c] = 0;
      for (int s = 0; s <= t; s++) {
        const float a = p[s] / sum;
        const float* vs = v + (size_t)s * kd + g * hd;
        for (int c = 0; c < hd; c++) o[c] += a * vs[c];
      }
    }
  });
}

void attention_gqa_ref(double* out, const double* q, const double* k, const double* v, int T,
                       int n_heads, int n_kv, int hd) {
  // Written per head with the key/value head index spelled out (no shared code with the above).
  for (int h = 0; h < n_heads; h++) {
    const int g = h * n_kv / n_heads;
    for (int t = 0; t < T; t++) {
      std::vector<double> w(t + 1);
      double mx = -1e300, z = 0;
      for (int s = 0; s <= t; s++) {
        double d = 0;
        for (int c = 0; c < hd; c++) d += q[((size_t)t * n_heads + h) * hd + c] * k[((size_t)s * n_kv + g) * hd + c];
        w[s] = d / std::sqrt((double)hd);
        mx = std::max(mx, w[s]);
      }
      for (int s = 0; s <= t; s++) z += (w[s] = std::exp(w[s] - mx));
      for (int c = 0; c < hd; c++) {
        double o = 0;
        for (int s = 0; s <= t; s++) o += w[s] / z * v[((size_t)s * n_kv + g) * hd + c];
        out[((size_t)t * n_heads + h) * hd + c] = o;
      }
    }
  }
}

int64_t LlamaModel::n_params() const {
  int64_t n = (int64_t)tok_emb.size() + (int64_t)out_norm.size() + (int64_t)output.size();
  for (const auto& l : layers)
    n += (int64_t)(l.attn_norm.size() + l.wq.size() + l.wk.size() + l.wv.size() + l.wo.size() +
                   l.ffn_norm.size() + l.w_gate.size() + l.w_up.size() + l.w_down.size());
  return n;
}

LlamaModel load_llama_gguf(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  if (arch != "llama")
    throw GgufError("gguf " + f.path() + ": general.architecture '" + arch + "' is not supported (llama)");
  LlamaModel m;
  LlamaConfig& c = m.cfg;
  c.n_layers = (int)f.get_int("llama.block_count");
  c.d_model = (int)f.get_int("llama.embedding_length");
  c.n_heads = (int)f.get_int("llama.attention.head_count");
  c.n_kv_heads = (int)f.get_int("llama.attention.head_count_kv", c.n_heads);
  c.d_ff = (int)f.get_int("llama.feed_forward_length");
  c.ctx_train = (int)f.get_int("llama.context_length", 0);
  c.rope_theta = f.get_float("llama.rope.freq_base", 10000.0);
  c.rms_eps = f.get_float("llama.attention.layer_norm_rms_epsilon", 1e-5);
  if (c.n_heads <= 0 || c.d_model % c.n_heads || c.n_kv_heads <= 0 || c.n_heads % c.n_kv_heads)
    throw GgufError("gguf " + f.path() + ": head counts " + std::to_string(c.n_heads) + "/" +
                    std::to_string(c.n_kv_heads) + " do not divide embedding_length " + std::to_string(c.d_model));
  c.head_dim = c.d_model / c.n_heads;
  c.rope_dim = (int)f.get_int("llama.rope.dimension_count", c.head_dim);
  const int64_t d = c.d_model, kd = c.kv_dim(), ff = c.d_ff;
  const GgufTensor& emb = f.tensor("token_embd.weight");
  if (emb.dims.size() != 2 || emb.dims[0] != d)
    throw GgufError("gguf " + f.path() + ": token_embd.weight does not have rows of embedding_length " + std::to_string(d));
  c.vocab = (int)emb.dims[1];
  m.tok_emb = f.dequant(emb);
  m.out_norm = f.dequant("output_norm.weight", {d});
  c.tied = f.find("output.weight") == nullptr;
  if (!c.tied) m.output = f.dequant("output.weight", {d, c.vocab});
  m.layers.resize(c.n_layers);
  for (int l = 0; l < c.n_layers; l++) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LlamaLayer& L = m.layers[l];
    L.attn_norm = f.dequant(p + "attn_norm.weight", {d});
    L.wq = f.dequant(p + "attn_q.weight", {d, d});
    L.wk = f.dequant(p + "attn_k.weight", {d, kd});
    L.wv = f.dequant(p + "attn_v.weight", {d, kd});
    L.wo = f.dequant(p + "attn_output.weight", {d, d});
    L.ffn_norm = f.dequant(p + "ffn_norm.weight", {d});
    L.w_gate = f.dequant(p + "ffn_gate.weight", {d, ff});
    L.w_up = f.dequant(p + "ffn_up.weight", {d, ff});
    L.w_down = f.dequant(p + "ffn_down.weight", {ff, d});
  }
  return m;
}

void llama_forward(const LlamaModel& m, const int* tokens, int T, const AttentionFn& attn,
                   float* hidden, int threads) {
  const LlamaConfig& c = m.cfg;
  const int d = c.d_model, kd = c.kv_dim(), ff = c.d_ff;
  const float eps = (float)c.rms_eps;
  std::vector<float> x((size_t)T * d);         // (T, d) residual stream
  std::vector<float> h((size_t)T * d);         // (T, d) normed input of a sub-block
  std::vector<float> q((size_t)T * d);         // (T, n_heads, hd)
  std::vector<float> k((size_t)T * kd), v((size_t)T * kd);  // (T, n_kv, hd)
  std::vector<float> a((size_t)T * d);         // (T, d) attention output before Wo
  std::vector<float> g((size_t)T * ff), u((size_t)T * ff);  // (T, d_ff)
  for (int t = 0; t < T; t++) {
    if (tokens[t] < 0 || tokens[t] >= c.vocab)
      throw std::runtime_error("token id " + std::to_string(tokens[t]) + " outside the vocabulary");
    std::copy_n(m.tok_emb.data() + (size_t)tokens[t] * d, d, x.data() + (size_t)t * d);
  }
  for (int l = 0; l < c.n_layers; l++) {
    const LlamaLayer& L = m.layers[l];
    rmsnorm(h.data(), x.data(), L.attn_norm.data(), T, d, eps);
    matmul(q.data(), h.data(), L.wq.data(), T, d, d, threads);
    matmul(k.data(), h.data(), L.wk.data(), T, d, kd, threads);
    matmul(v.data(), h.data(), L.wv.data(), T, d, kd, threads);
    rope(q.data(), T, c.n_heads, c.head_dim, c.rope_dim, c.rope_theta, 0, threads);
    rope(k.data(), T, c.n_kv_heads, c.head_dim, c.rope_dim, c.rope_theta, 0, threads);
    if (attn) attn(l, q.data(), k.data(), v.data(), T, a.data());
    else attention_gqa(a.data(), q.data(), k.data(), v.data(), T, c.n_heads, c.n_kv_heads, c.head_dim, threads);
    matmul(h.data(), a.data(), L.wo.data(), T, d, d, threads);
    for (size_t i = 0; i < x.size(); i++) x[i] += h[i];
    rmsnorm(h.data(), x.data(), L.ffn_norm.data(), T, d, eps);
    matmul(g.data(), h.data(), L.w_gate.data(), T, d, ff, threads);
    matmul(u.data(), h.data(), L.w_up.data(), T, d, ff, threads);
    swiglu(g.data(), g.data(), u.data(), (int64_t)T * ff, threads);
    matmul(h.data(), g.data(), L.w_down.data(), T, ff, d, threads);
    for (size_t i = 0; i < x.size(); i++) x[i] += h[i];
  }
  rmsnorm(hidden, x.data(), m.out_norm.data(), T, d, eps);
}

void llama_logits(const LlamaModel& m, const float* hidden, const int* rows, int n, float* logits,
                  int threads) {
  const int d = m.cfg.d_model;
  std::vector<float> hs((size_t)n * d);  // (n, d) gathered rows
  for (int i = 0; i < n; i++) std::copy_n(hidden + (size_t)rows[i] * d, d, hs.data() + (size_t)i * d);
  matmul(logits, hs.data(), m.head(), n, d, m.cfg.vocab, threads);
}

}  // namespace llmc
