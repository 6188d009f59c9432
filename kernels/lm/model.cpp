// CPU reference of the LM kernel: forward, backward, AdamW, quantized-KV evaluation.
//
// No FP-exception semantics are needed here; this lets GCC if-convert and vectorize the loops
// that call fexp (GELU, softmax). It does not change any computed value.
#pragma GCC optimize("no-trapping-math")
#include "model.hpp"

#include "lm_math.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace lm {

#if defined(__FMA__)
#define LM_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define LM_FMA(a, b, c) ((a) * (b) + (c))
#endif

// ------------------------------------------------------------------------------------------
// RNG
// (Rng is binllm::Rng from the shared header.)

// ------------------------------------------------------------------------------------------
// Layout and init
void ParamLayout::build(const ModelShape& s) {
  size_t V = s.vocab, T = s.ctx, C = s.d_model, Lr = s.n_layers;
  size_t off = 0;
  auto take = [&](size_t n) {
    size_t o = off;
    off += n;
    return o;
  };
  wte = take(V * C);
  wpe = take(T * C);
  ln1w = take(Lr * C);
  ln1b = take(Lr * C);
  qkvw = take(Lr * 3 * C * C);
  qkvb = take(Lr * 3 * C);
  attprojw = take(Lr * C * C);
  attprojb = take(Lr * C);
  ln2w = take(Lr * C);
  ln2b = take(Lr * C);
  fcw = take(Lr * 4 * C * C);
  fcb = take(Lr * 4 * C);
  fcprojw = take(Lr * C * 4 * C);
  fcprojb = take(Lr * C);
  lnfw = take(C);
  lnfb = take(C);
  lmw = take(s.tied ? 0 : V * C);
  total = off;
}

void Model::init(const ModelShape& s, uint64_t seed) {
  shape = s;
  L.build(s);
  params.assign(L.total, 0.f);
  Rng rng(seed ^ 0x6C6D2D696E697421ull);
  const float std0 = 0.02f;
  const float stdres = 0.02f / std::sqrt(2.0f * s.n_layers);
  auto fill = [&](size_t off, size_t n, float sd) {
    for (size_t i = 0; i < n; i++) params[off + i] = sd * rng.normal();
  };
  size_t V = s.vocab, T = s.ctx, C = s.d_model, Lr = s.n_layers;
  fill(L.wte, V * C, std0);
  fill(L.wpe, T * C, std0 * 0.5f);
  fill(L.qkvw, Lr * 3 * C * C, std0);
  fill(L.attprojw, Lr * C * C, stdres);
  fill(L.fcw, Lr * 4 * C * C, std0);
  fill(L.fcprojw, Lr * C * 4 * C, stdres);
  if (!s.tied) fill(L.lmw, V * C, std0);
  for (size_t i = 0; i < Lr * C; i++) params[L.ln1w + i] = params[L.ln2w + i] = 1.f;
  for (size_t i = 0; i < C; i++) params[L.lnfw + i] = 1.f;
}

void set_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n > 0 ? n : 1);
#else
  (void)n;
#endif
}

// ------------------------------------------------------------------------------------------
// GEMM: C[M,N] (+)= A[M,K] @ B[K,N]. Rows are split in fixed tiles of RT rows; the column
// panel is NB wide. Every element is a fixed-order sum over k, whatever the thread count.
namespace {
constexpr int RT = 8;
constexpr int NB = 32;

inline void tile_full(const float* A, const float* B, float* Cm, int K, int N, int i0, int j0,
                      bool acc) {
  float c[RT][NB];
  for (int i = 0; i < RT; i++)
    for (int j = 0; j < NB; j++) c[i][j] = acc ? Cm[(size_t)(i0 + i) * N + j0 + j] : 0.f;
  const float* a = A + (size_t)i0 * K;
  for (int k = 0; k < K; k++) {
    const float* b = B + (size_t)k * N + j0;
#pragma GCC unroll 8
    for (int i = 0; i < RT; i++) {
      const float av = a[(size_t)i * K + k];
#pragma omp simd
      for (int j = 0; j < NB; j++) c[i][j] = LM_FMA(av, b[j], c[i][j]);
    }
  }
  for (int i = 0; i < RT; i++)
    for (int j = 0; j < NB; j++) Cm[(size_t)(i0 + i) * N + j0 + j] = c[i][j];
}

inline void tile_edge(const float* A, const float* B, float* Cm, int K, int N, int i0, int rows,
                      int j0, int cols, bool acc) {
  float c[RT][NB];
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) c[i][j] = acc ? Cm[(size_t)(i0 + i) * N + j0 + j] : 0.f;
  for (int k = 0; k < K; k++) {
    const float* b = B + (size_t)k * N + j0;
    for (int i = 0; i < rows; i++) {
      const float av = A[(size_t)(i0 + i) * K + k];
      for (int j = 0; j < cols; j++) c[i][j] = LM_FMA(av, b[j], c[i][j]);
    }
  }
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) Cm[(size_t)(i0 + i) * N + j0 + j] = c[i][j];
}
}  // namespace

void gemm_nn(const float* A, const float* B, float* Cm, int M, int K, int N, bool accumulate) {
  const int tiles = (M + RT - 1) / RT;
#pragma omp parallel for schedule(static)
  for (int tile = 0; tile < tiles; tile++) {
    const int i0 = tile * RT;
    const int rows = std::min(RT, M - i0);
    for (int j0 = 0; j0 < N; j0 += NB) {
      const int cols = std::min(NB, N - j0);
      if (rows == RT && cols == NB)
        tile_full(A, B, Cm, K, N, i0, j0, accumulate);
      else
        tile_edge(A, B, Cm, K, N, i0, rows, j0, cols, accumulate);
    }
  }
}

void transpose(const float* A, float* AT, int rows, int cols) {
  constexpr int BS = 32;
  const int cblocks = (cols + BS - 1) / BS;
#pragma omp parallel for schedule(static)
  for (int cb = 0; cb < cblocks; cb++) {
    const int c0 = cb * BS, c1 = std::min(cols, c0 + BS);
    for (int r0 = 0; r0 < rows; r0 += BS) {
      const int r1 = std::min(rows, r0 + BS);
      for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) AT[(size_t)c * rows + r] = A[(size_t)r * cols + c];
    }
  }
}

// ------------------------------------------------------------------------------------------
// Layers
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w,
                       const float* b, int N, int C) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* x = inp + (size_t)n * C;
    float m = 0.f;
    for (int i = 0; i < C; i++) m += x[i];
    m /= C;
    float v = 0.f;
    for (int i = 0; i < C; i++) {
      float d = x[i] - m;
      v += d * d;
    }
    v /= C;
    float s = 1.0f / std::sqrt(v + 1e-5f);
    float* o = out + (size_t)n * C;
    for (int i = 0; i < C; i++) o[i] = (s * (x[i] - m)) * w[i] + b[i];
    if (mean) mean[n] = m;
    if (rstd) rstd[n] = s;
  }
}

// dinp += ..., dw += ..., db += ...
void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                        const float* w, const float* mean, const float* rstd, int N, int C) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* x = inp + (size_t)n * C;
    const float* g = dout + (size_t)n * C;
    const float m = mean[n], s = rstd[n];
    float dnorm_mean = 0.f, dnorm_norm_mean = 0.f;
    for (int i = 0; i < C; i++) {
      float norm = (x[i] - m) * s;
      float dn = w[i] * g[i];
      dnorm_mean += dn;
      dnorm_norm_mean += dn * norm;
    }
    dnorm_mean /= C;
    dnorm_norm_mean /= C;
    float* di = dinp + (size_t)n * C;
    for (int i = 0; i < C; i++) {
      float norm = (x[i] - m) * s;
      float dn = w[i] * g[i];
      di[i] += (dn - dnorm_mean - norm * dnorm_norm_mean) * s;
    }
  }
  // parameter grads: per channel, a fixed-order (ascending n) reduction over rows
#pragma omp parallel for schedule(static)
  for (int i = 0; i < C; i++) {
    float w_ = dw[i], b_ = db[i];
    for (int n = 0; n < N; n++) {
      const float g = dout[(size_t)n * C + i];
      w_ += (inp[(size_t)n * C + i] - mean[n]) * rstd[n] * g;
      b_ += g;
    }
    dw[i] = w_;
    db[i] = b_;
  }
}

// out[N,OC] = inp[N,C] @ w[OC,C]^T + b
void linear_forward(float* out, const float* inp, const float* w, const float* b, int N, int C,
                    int OC, float* scratch) {
  transpose(w, scratch, OC, C);  // scratch: C x OC
  if (b) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) std::memcpy(out + (size_t)n * OC, b, sizeof(float) * OC);
  }
  gemm_nn(inp, scratch, out, N, C, OC, b != nullptr);
}

// dinp += dout @ w; dw += dout^T @ inp; db += sum_n dout
void linear_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                     const float* w, int N, int C, int OC, float* scratch) {
  if (dinp) gemm_nn(dout, w, dinp, N, OC, C, true);
  transpose(dout, scratch, N, OC);  // scratch: OC x N
  gemm_nn(scratch, inp, dw, OC, N, C, true);
  if (db) {
#pragma omp parallel for schedule(static)
    for (int o = 0; o < OC; o++) {
      const float* g = scratch + (size_t)o * N;
      float acc = db[o];
      for (int n = 0; n < N; n++) acc += g[n];
      db[o] = acc;
    }
  }
}

void gelu_forward(float* out, const float* inp, int n) {
#pragma omp parallel for simd schedule(static)
  for (int i = 0; i < n; i++) out[i] = gelu_f(inp[i]);
}

void gelu_backward(float* dinp, const float* inp, const float* dout, int n) {
#pragma omp parallel for simd schedule(static)
  for (int i = 0; i < n; i++) dinp[i] += gelu_grad(inp[i]) * dout[i];
}

// Scores of query q against keys 0..t of one (b, h), with the keys given transposed
// (kt[i*T + s]); the sum over i runs in a fixed order for every s.
static inline void scores_t(float* a, const float* q, const float* kt, int t, int T, int hs) {
  // blocks of 64 scores accumulate in registers over i (same per-element order as a plain loop)
  constexpr int SB = 64;
  const int n = t + 1;
  int s0 = 0;
  for (; s0 + SB <= n; s0 += SB) {
    float acc[SB];
    for (int j = 0; j < SB; j++) acc[j] = 0.f;
    for (int i = 0; i < hs; i++) {
      const float qi = q[i];
      const float* k = kt + (size_t)i * T + s0;
#pragma omp simd
      for (int j = 0; j < SB; j++) acc[j] = LM_FMA(qi, k[j], acc[j]);
    }
    for (int j = 0; j < SB; j++) a[s0 + j] = acc[j];
  }
  for (; s0 < n; s0 += 16) {
    const int w = n - s0 < 16 ? n - s0 : 16;
    float acc[16];
    for (int j = 0; j < 16; j++) acc[j] = 0.f;
    for (int i = 0; i < hs; i++) {
      const float qi = q[i];
      const float* k = kt + (size_t)i * T + s0;
      for (int j = 0; j < w; j++) acc[j] = LM_FMA(qi, k[j], acc[j]);
    }
    for (int j = 0; j < w; j++) a[s0 + j] = acc[j];
  }
}

// Gathers the (T, hs) slice at column `col` of rows of width `stride` into kt (hs, T).
static inline void gather_t(float* kt, const float* base, size_t stride, int T, int hs) {
  for (int s = 0; s < T; s++) {
    const float* k = base + (size_t)s * stride;
    for (int i = 0; i < hs; i++) kt[(size_t)i * T + s] = k[i];
  }
}

// Softmax of a[0..n) scaled by sc, in place: a[s] = exp(sc*a[s] - max) / sum. The max and the sum
// are taken over 16 interleaved partial lanes combined in a fixed order (vectorizable, and the
// same result for every thread count).
static inline void softmax_scaled(float* a, int n, float sc) {
  constexpr int W = 16;
  float m[W];
  for (int j = 0; j < W; j++) m[j] = -1e30f;
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
  for (int j = 1; j < W; j++) mx = m[j] > mx ? m[j] : mx;
  for (int s = 0; s < n; s++) a[s] = fexp(a[s] - mx);
  float ps[W] = {0.f};
  s0 = 0;
  for (; s0 + W <= n; s0 += W)
    for (int j = 0; j < W; j++) ps[j] += a[s0 + j];
  for (int j = 0; s0 + j < n; j++) ps[j] += a[s0 + j];
  float sum = 0.f;
  for (int j = 0; j < W; j++) sum += ps[j];
  const float inv = 1.0f / sum;
  for (int s = 0; s < n; s++) a[s] *= inv;
}

// sum_s a[s] * b[s] over 16 interleaved partial lanes, combined in a fixed order.
static inline float dot_lanes(const float* a, const float* b, int n) {
  constexpr int W = 16;
  float ps[W] = {0.f};
  int s0 = 0;
  for (; s0 + W <= n; s0 += W)
    for (int j = 0; j < W; j++) ps[j] = LM_FMA(a[s0 + j], b[s0 + j], ps[j]);
  for (int j = 0; s0 + j < n; j++) ps[j] = LM_FMA(a[s0 + j], b[s0 + j], ps[j]);
  float sum = 0.f;
  for (int j = 0; j < W; j++) sum += ps[j];
  return sum;
}

// o[i] = sum_{s<n} p[s] * rows[s * stride + i] for i < hs, with 4 interleaved partial sums over s
// (register accumulators instead of a read-modify-write chain through memory; fixed order).
static inline void weighted_rows(float* o, const float* p, const float* rows, size_t stride, int n,
                                 int hs) {
  constexpr int W = 16;
  for (int i0 = 0; i0 < hs; i0 += W) {
    const int w = hs - i0 < W ? hs - i0 : W;
    float a0[W], a1[W], a2[W], a3[W];
    for (int j = 0; j < W; j++) a0[j] = a1[j] = a2[j] = a3[j] = 0.f;
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
          a0[j] = LM_FMA(p0, v0[j], a0[j]);
          a1[j] = LM_FMA(p1, v1[j], a1[j]);
          a2[j] = LM_FMA(p2, v2[j], a2[j]);
          a3[j] = LM_FMA(p3, v3[j], a3[j]);
        }
      }
    }
    for (; s < n; s++) {
      const float* v = rows + (size_t)s * stride + i0;
      for (int j = 0; j < w; j++) a0[j] = LM_FMA(p[s], v[j], a0[j]);
    }
    for (int j = 0; j < w; j++) o[i0 + j] = (a0[j] + a1[j]) + (a2[j] + a3[j]);
  }
}

// qkv: (B,T,3C) with q | k | v; out: (B,T,C); att: (B,NH,T,T) softmax probabilities.
void attention_forward(float* out, float* att, const float* qkv, int B, int T, int C, int NH) {
  const int hs = C / NH;
  const float sc = 1.0f / std::sqrt((float)hs);
  const size_t C3 = 3 * (size_t)C;
#pragma omp parallel for schedule(static)
  for (int bh = 0; bh < B * NH; bh++) {
    const int b = bh / NH, h = bh % NH;
    std::vector<float> kt((size_t)hs * T);
    gather_t(kt.data(), qkv + (size_t)b * T * C3 + C + h * hs, C3, T, hs);
    for (int t = 0; t < T; t++) {
      const float* q = qkv + ((size_t)b * T + t) * C3 + h * hs;
      float* a = att + (((size_t)b * NH + h) * T + t) * T;
      scores_t(a, q, kt.data(), t, T, hs);
      softmax_scaled(a, t + 1, sc);
      for (int s = t + 1; s < T; s++) a[s] = 0.f;
      float* o = out + ((size_t)b * T + t) * C + h * hs;
      weighted_rows(o, a, qkv + (size_t)b * T * C3 + 2 * C + h * hs, C3, t + 1, hs);
    }
  }
}

// dqkv += ...
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* att, int B,
                        int T, int C, int NH) {
  const int hs = C / NH;
  const float sc = 1.0f / std::sqrt((float)hs);
  const size_t C3 = 3 * (size_t)C;
#pragma omp parallel for schedule(static)
  for (int bh = 0; bh < B * NH; bh++) {
    const int b = bh / NH, h = bh % NH;
    std::vector<float> datt(T), vt((size_t)hs * T), dqt(hs);
    gather_t(vt.data(), qkv + (size_t)b * T * C3 + 2 * C + h * hs, C3, T, hs);
    for (int t = 0; t < T; t++) {
      const float* a = att + (((size_t)b * NH + h) * T + t) * T;
      const float* g = dout + ((size_t)b * T + t) * C + h * hs;
      const float* q = qkv + ((size_t)b * T + t) * C3 + h * hs;
      float* dq = dqkv + ((size_t)b * T + t) * C3 + h * hs;
      scores_t(datt.data(), g, vt.data(), t, T, hs);  // datt[s] = g . v_s
      const float dot = dot_lanes(a, datt.data(), t + 1);
      for (int s = 0; s <= t; s++) {
        float* dv = dqkv + ((size_t)b * T + s) * C3 + 2 * C + h * hs;
        const float as = a[s];
#pragma omp simd
        for (int i = 0; i < hs; i++) dv[i] = LM_FMA(as, g[i], dv[i]);
      }
      for (int s = 0; s <= t; s++) {
        const float dpre = a[s] * (datt[s] - dot) * sc;
        datt[s] = dpre;
        float* dk = dqkv + ((size_t)b * T + s) * C3 + C + h * hs;
#pragma omp simd
        for (int i = 0; i < hs; i++) dk[i] = LM_FMA(dpre, q[i], dk[i]);
      }
      weighted_rows(dqt.data(), datt.data(), qkv + (size_t)b * T * C3 + C + h * hs, C3, t + 1, hs);
      for (int i = 0; i < hs; i++) dq[i] += dqt[i];
    }
  }
}

void crossentropy_forward(float* probs, float* losses, const float* logits, const int* targets,
                          int N, int V) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* l = logits + (size_t)n * V;
    float* p = probs + (size_t)n * V;
    float mx = l[0];
    for (int i = 1; i < V; i++) mx = l[i] > mx ? l[i] : mx;
    for (int i = 0; i < V; i++) p[i] = fexp(l[i] - mx);
    double sum = 0.0;
    for (int i = 0; i < V; i++) sum += p[i];
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < V; i++) p[i] *= inv;
    losses[n] = (float)((double)mx + std::log(sum) - (double)l[targets[n]]);
  }
}

void crossentropy_backward(float* dlogits, const float* probs, const int* targets, int N, int V,
                           float scale) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* p = probs + (size_t)n * V;
    float* d = dlogits + (size_t)n * V;
    for (int i = 0; i < V; i++) d[i] = p[i] * scale;
    d[targets[n]] -= scale;
  }
}

// ------------------------------------------------------------------------------------------
// Trainer
namespace {
struct Acts {
  size_t encoded, ln1, ln1m, ln1r, qkv, atty, att, attproj, res2, ln2, ln2m, ln2r, fch, fchg,
      fcproj, res3, lnf, lnfm, lnfr, logits, probs, losses,
      // backward temporaries
      dres, dtmp, dtmp4, dtmp4b, dqkv, dlogits, total;
  void build(const ModelShape& s, int B, int T) {
    size_t BT = (size_t)B * T, C = s.d_model, V = s.vocab, Lr = s.n_layers, NH = s.n_heads;
    size_t off = 0;
    auto take = [&](size_t n) {
      size_t o = off;
      off += n;
      return o;
    };
    encoded = take(BT * C);
    ln1 = take(Lr * BT * C);
    ln1m = take(Lr * BT);
    ln1r = take(Lr * BT);
    qkv = take(Lr * BT * 3 * C);
    atty = take(Lr * BT * C);
    att = take(Lr * B * NH * T * T);
    attproj = take(Lr * BT * C);
    res2 = take(Lr * BT * C);
    ln2 = take(Lr * BT * C);
    ln2m = take(Lr * BT);
    ln2r = take(Lr * BT);
    fch = take(Lr * BT * 4 * C);
    fchg = take(Lr * BT * 4 * C);
    fcproj = take(Lr * BT * C);
    res3 = take(Lr * BT * C);
    lnf = take(BT * C);
    lnfm = take(BT);
    lnfr = take(BT);
    logits = take(BT * V);
    probs = take(BT * V);
    losses = take(BT);
    dres = take(BT * C);
    dtmp = take(BT * C);
    dtmp4 = take(BT * 4 * C);
    dtmp4b = take(BT * 4 * C);
    dqkv = take(BT * 3 * C);
    dlogits = take(BT * V);
    total = off;
  }
};
}  // namespace

void Trainer::setup(Model* mdl, int B_, int T_) {
  model = mdl;
  B = B_;
  T = T_;
  const size_t n = mdl->num_params();
  grads.assign(n, 0.f);
  m.assign(n, 0.f);
  v.assign(n, 0.f);
  Acts a;
  a.build(mdl->shape, B, T);
  acts.assign(a.total, 0.f);
  const size_t C = mdl->shape.d_model, V = mdl->shape.vocab, BT = (size_t)B * T;
  scratch.assign(std::max({V * C, 4 * C * C, 3 * C * C, V * BT, 4 * C * BT, 3 * C * BT}), 0.f);
  step = 0;
}

const float* Trainer::logits() const {
  Acts a;
  a.build(model->shape, B, T);
  return acts.data() + a.logits;
}
const float* Trainer::probs() const {
  Acts a;
  a.build(model->shape, B, T);
  return acts.data() + a.probs;
}

float Trainer::forward(const int* inputs, const int* targets) {
  const ModelShape& s = model->shape;
  const ParamLayout& P = model->L;
  const float* p = model->params.data();
  Acts a;
  a.build(s, B, T);
  float* A = acts.data();
  const int C = s.d_model, V = s.vocab, NH = s.n_heads, BT = B * T;
  float* sc = scratch.data();
  // embeddings
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      float* o = A + a.encoded + ((size_t)b * T + t) * C;
      const float* we = p + P.wte + (size_t)inputs[b * T + t] * C;
      const float* wp = p + P.wpe + (size_t)t * C;
      for (int i = 0; i < C; i++) o[i] = we[i] + wp[i];
    }
  for (int l = 0; l < s.n_layers; l++) {
    const float* res = l == 0 ? A + a.encoded : A + a.res3 + (size_t)(l - 1) * BT * C;
    float* ln1 = A + a.ln1 + (size_t)l * BT * C;
    float* qkv = A + a.qkv + (size_t)l * BT * 3 * C;
    float* atty = A + a.atty + (size_t)l * BT * C;
    float* att = A + a.att + (size_t)l * B * NH * T * T;
    float* attproj = A + a.attproj + (size_t)l * BT * C;
    float* res2 = A + a.res2 + (size_t)l * BT * C;
    float* ln2 = A + a.ln2 + (size_t)l * BT * C;
    float* fch = A + a.fch + (size_t)l * BT * 4 * C;
    float* fchg = A + a.fchg + (size_t)l * BT * 4 * C;
    float* fcproj = A + a.fcproj + (size_t)l * BT * C;
    float* res3 = A + a.res3 + (size_t)l * BT * C;
    layernorm_forward(ln1, A + a.ln1m + (size_t)l * BT, A + a.ln1r + (size_t)l * BT, res,
                      p + P.ln1w + (size_t)l * C, p + P.ln1b + (size_t)l * C, BT, C);
    linear_forward(qkv, ln1, p + P.qkvw + (size_t)l * 3 * C * C, p + P.qkvb + (size_t)l * 3 * C,
                   BT, C, 3 * C, sc);
    attention_forward(atty, att, qkv, B, T, C, NH);
    linear_forward(attproj, atty, p + P.attprojw + (size_t)l * C * C,
                   p + P.attprojb + (size_t)l * C, BT, C, C, sc);
    for (size_t i = 0; i < (size_t)BT * C; i++) res2[i] = res[i] + attproj[i];
    layernorm_forward(ln2, A + a.ln2m + (size_t)l * BT, A + a.ln2r + (size_t)l * BT, res2,
                      p + P.ln2w + (size_t)l * C, p + P.ln2b + (size_t)l * C, BT, C);
    linear_forward(fch, ln2, p + P.fcw + (size_t)l * 4 * C * C, p + P.fcb + (size_t)l * 4 * C, BT,
                   C, 4 * C, sc);
    gelu_forward(fchg, fch, BT * 4 * C);
    linear_forward(fcproj, fchg, p + P.fcprojw + (size_t)l * C * 4 * C,
                   p + P.fcprojb + (size_t)l * C, BT, 4 * C, C, sc);
    for (size_t i = 0; i < (size_t)BT * C; i++) res3[i] = res2[i] + fcproj[i];
  }
  const float* last = A + a.res3 + (size_t)(s.n_layers - 1) * BT * C;
  layernorm_forward(A + a.lnf, A + a.lnfm, A + a.lnfr, last, p + P.lnfw, p + P.lnfb, BT, C);
  linear_forward(A + a.logits, A + a.lnf, model->lm_head(), nullptr, BT, C, V, sc);
  if (!targets) return 0.f;
  crossentropy_forward(A + a.probs, A + a.losses, A + a.logits, targets, BT, V);
  double sum = 0.0;
  for (int i = 0; i < BT; i++) sum += A[a.losses + i];
  return (float)(sum / BT);
}

void Trainer::backward(const int* inputs, const int* targets) {
  const ModelShape& s = model->shape;
  const ParamLayout& P = model->L;
  const float* p = model->params.data();
  float* g = grads.data();
  std::fill(grads.begin(), grads.end(), 0.f);
  Acts a;
  a.build(s, B, T);
  float* A = acts.data();
  const int C = s.d_model, V = s.vocab, NH = s.n_heads, BT = B * T;
  float* sc = scratch.data();
  float* dres = A + a.dres;
  float* dtmp = A + a.dtmp;
  float* dtmp4 = A + a.dtmp4;
  float* dtmp4b = A + a.dtmp4b;
  float* dqkv = A + a.dqkv;
  float* dlogits = A + a.dlogits;

  crossentropy_backward(dlogits, A + a.probs, targets, BT, V, 1.0f / BT);
  std::fill(dtmp, dtmp + (size_t)BT * C, 0.f);
  linear_backward(dtmp, g + (s.tied ? P.wte : P.lmw), nullptr, dlogits, A + a.lnf,
                  model->lm_head(), BT, C, V, sc);
  std::fill(dres, dres + (size_t)BT * C, 0.f);
  const float* last = A + a.res3 + (size_t)(s.n_layers - 1) * BT * C;
  layernorm_backward(dres, g + P.lnfw, g + P.lnfb, dtmp, last, p + P.lnfw, A + a.lnfm, A + a.lnfr,
                     BT, C);
  for (int l = s.n_layers - 1; l >= 0; l--) {
    const float* res = l == 0 ? A + a.encoded : A + a.res3 + (size_t)(l - 1) * BT * C;
    const float* ln1 = A + a.ln1 + (size_t)l * BT * C;
    const float* qkv = A + a.qkv + (size_t)l * BT * 3 * C;
    const float* atty = A + a.atty + (size_t)l * BT * C;
    const float* att = A + a.att + (size_t)l * B * NH * T * T;
    const float* res2 = A + a.res2 + (size_t)l * BT * C;
    const float* ln2 = A + a.ln2 + (size_t)l * BT * C;
    const float* fch = A + a.fch + (size_t)l * BT * 4 * C;
    const float* fchg = A + a.fchg + (size_t)l * BT * 4 * C;
    // residual3 = residual2 + fcproj: dres is d(res3) = d(fcproj), and flows into d(res2)
    std::fill(dtmp4, dtmp4 + (size_t)BT * 4 * C, 0.f);
    linear_backward(dtmp4, g + P.fcprojw + (size_t)l * C * 4 * C, g + P.fcprojb + (size_t)l * C,
                    dres, fchg, p + P.fcprojw + (size_t)l * C * 4 * C, BT, 4 * C, C, sc);
    std::fill(dtmp4b, dtmp4b + (size_t)BT * 4 * C, 0.f);
    gelu_backward(dtmp4b, fch, dtmp4, BT * 4 * C);
    std::fill(dtmp, dtmp + (size_t)BT * C, 0.f);
    linear_backward(dtmp, g + P.fcw + (size_t)l * 4 * C * C, g + P.fcb + (size_t)l * 4 * C, dtmp4b,
                    ln2, p + P.fcw + (size_t)l * 4 * C * C, BT, C, 4 * C, sc);
    layernorm_backward(dres, g + P.ln2w + (size_t)l * C, g + P.ln2b + (size_t)l * C, dtmp, res2,
                       p + P.ln2w + (size_t)l * C, A + a.ln2m + (size_t)l * BT,
                       A + a.ln2r + (size_t)l * BT, BT, C);
    // now dres = d(res2) = d(attproj) and flows into d(res)
    std::fill(dtmp, dtmp + (size_t)BT * C, 0.f);
    linear_backward(dtmp, g + P.attprojw + (size_t)l * C * C, g + P.attprojb + (size_t)l * C, dres,
                    atty, p + P.attprojw + (size_t)l * C * C, BT, C, C, sc);
    std::fill(dqkv, dqkv + (size_t)BT * 3 * C, 0.f);
    attention_backward(dqkv, dtmp, qkv, att, B, T, C, NH);
    std::fill(dtmp, dtmp + (size_t)BT * C, 0.f);
    linear_backward(dtmp, g + P.qkvw + (size_t)l * 3 * C * C, g + P.qkvb + (size_t)l * 3 * C, dqkv,
                    ln1, p + P.qkvw + (size_t)l * 3 * C * C, BT, C, 3 * C, sc);
    layernorm_backward(dres, g + P.ln1w + (size_t)l * C, g + P.ln1b + (size_t)l * C, dtmp, res,
                       p + P.ln1w + (size_t)l * C, A + a.ln1m + (size_t)l * BT,
                       A + a.ln1r + (size_t)l * BT, BT, C);
  }
  // embeddings (fixed order)
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      const float* d = dres + ((size_t)b * T + t) * C;
      float* we = g + P.wte + (size_t)inputs[b * T + t] * C;
      float* wp = g + P.wpe + (size_t)t * C;
      for (int i = 0; i < C; i++) {
        we[i] += d[i];
        wp[i] += d[i];
      }
    }
}

float Trainer::update(float lr, float beta1, float beta2, float eps, float weight_decay,
                      float clip) {
  const ParamLayout& P = model->L;
  const ModelShape& s = model->shape;
  double ss = 0.0;
  for (float x : grads) ss += (double)x * x;
  const float norm = (float)std::sqrt(ss);
  const float gscale = (clip > 0.f && norm > clip) ? clip / norm : 1.0f;
  step++;
  const float bc1 = 1.0f - std::pow(beta1, (float)step);
  const float bc2 = 1.0f - std::pow(beta2, (float)step);
  // weight decay on matrices (embeddings and linear weights), not on biases / LayerNorm
  const size_t C = s.d_model, Lr = s.n_layers;
  struct Range {
    size_t off, n;
  };
  std::vector<Range> decay = {{P.wte, (size_t)s.vocab * C},    {P.wpe, (size_t)s.ctx * C},
                              {P.qkvw, Lr * 3 * C * C},        {P.attprojw, Lr * C * C},
                              {P.fcw, Lr * 4 * C * C},         {P.fcprojw, Lr * 4 * C * C},
                              {P.lmw, s.tied ? 0 : (size_t)s.vocab * C}};
  std::vector<uint8_t> wd(P.total, 0);
  for (auto& r : decay) std::fill(wd.begin() + r.off, wd.begin() + r.off + r.n, 1);
  float* w = model->params.data();
  const long n = (long)P.total;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++) {
    const float gi = grads[i] * gscale;
    m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
    v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    const float mh = m[i] / bc1, vh = v[i] / bc2;
    w[i] -= lr * (mh / (std::sqrt(vh) + eps) + (wd[i] ? weight_decay * w[i] : 0.f));
  }
  return norm;
}

// ------------------------------------------------------------------------------------------
// Evaluation with a quantized KV cache
// Quantize the K and V parts of qkv (B,T,3C) in place. For BIN, K/V become signs and the running
// per-channel scales go to kscale / vscale (B,T,C).
void quantize_kv(float* qkv, float* kscale, float* vscale, int B, int T, int C,
                 const EvalOptions& opt) {
  const size_t C3 = 3 * (size_t)C;
  switch (opt.kv) {
    case KvMode::FP32: return;
    case KvMode::FP16:
#pragma omp parallel for schedule(static)
      for (long r = 0; r < (long)B * T; r++)
        for (int i = C; i < 3 * C; i++) qkv[r * C3 + i] = round_fp16(qkv[r * C3 + i]);
      return;
    case KvMode::INT8:
    case KvMode::INT4:
    case KvMode::INT2: {
      const int bits = kv_bits(opt.kv), G = opt.kv_group;
#pragma omp parallel for schedule(static)
      for (long r = 0; r < (long)B * T; r++)
        for (int g0 = C; g0 < 3 * C; g0 += G) quant_group_int(qkv + r * C3 + g0, G, bits);
      return;
    }
    case KvMode::BIN: {
#pragma omp parallel for schedule(static)
      for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
          float* row = qkv + ((size_t)b * T + t) * C3;
          float* ks = kscale + ((size_t)b * T + t) * C;
          float* vs = vscale + ((size_t)b * T + t) * C;
          const float* ksp = ks - C;
          const float* vsp = vs - C;
          for (int i = 0; i < C; i++) {
            float k = row[C + i], v = row[2 * C + i];
            ks[i] = bin_scale_update(t ? ksp[i] : 0.f, lm_fabs(k), t);
            vs[i] = bin_scale_update(t ? vsp[i] : 0.f, lm_fabs(v), t);
            row[C + i] = sign_pm1(k);
            row[2 * C + i] = sign_pm1(v);
          }
        }
      return;
    }
  }
}

// Causal attention over the (quantized) cache. With scales, the query at t sees
// k^_s = k_s * kscale_t and v^_s = v_s * vscale_t.
void attention_eval(float* out, const float* qkv, const float* kscale, const float* vscale, int B,
                    int T, int C, int NH) {
  const int hs = C / NH;
  const float sc = 1.0f / std::sqrt((float)hs);
  const size_t C3 = 3 * (size_t)C;
#pragma omp parallel for schedule(static)
  for (int bh = 0; bh < B * NH; bh++) {
    const int b = bh / NH, h = bh % NH;
    std::vector<float> a(T), qs(hs), kt((size_t)hs * T);
    gather_t(kt.data(), qkv + (size_t)b * T * C3 + C + h * hs, C3, T, hs);
    for (int t = 0; t < T; t++) {
      const float* q = qkv + ((size_t)b * T + t) * C3 + h * hs;
      if (kscale) {
        const float* ks = kscale + ((size_t)b * T + t) * C + h * hs;
        for (int i = 0; i < hs; i++) qs[i] = q[i] * ks[i];
      } else {
        for (int i = 0; i < hs; i++) qs[i] = q[i];
      }
      scores_t(a.data(), qs.data(), kt.data(), t, T, hs);
      softmax_scaled(a.data(), t + 1, sc);
      float* o = out + ((size_t)b * T + t) * C + h * hs;
      weighted_rows(o, a.data(), qkv + (size_t)b * T * C3 + 2 * C + h * hs, C3, t + 1, hs);
      if (vscale) {
        const float* vs = vscale + ((size_t)b * T + t) * C + h * hs;
        for (int i = 0; i < hs; i++) o[i] *= vs[i];
      }
    }
  }
}

void eval_forward(const Model& model, const int* inputs, const int* targets, int B, int T,
                  const EvalOptions& opt, float* logits_out, double* nll,
                  unsigned char* correct) {
  const ModelShape& s = model.shape;
  const ParamLayout& P = model.L;
  const float* p = model.params.data();
  const int C = s.d_model, V = s.vocab, NH = s.n_heads;
  const size_t BT = (size_t)B * T;
  std::vector<float> x(BT * C), ln(BT * C), qkv(BT * 3 * C), atty(BT * C), tmp(BT * C),
      fch(BT * 4 * C);
  std::vector<float> sc(std::max({(size_t)V * C, 4 * (size_t)C * C, 3 * (size_t)C * C}));
  std::vector<float> ks, vs;
  if (opt.kv == KvMode::BIN) {
    ks.resize(BT * C);
    vs.resize(BT * C);
  }
  std::vector<float> own_logits;
  float* lg = logits_out;
  if (!lg) {
    own_logits.resize(BT * V);
    lg = own_logits.data();
  }
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      float* o = x.data() + ((size_t)b * T + t) * C;
      const float* we = p + P.wte + (size_t)inputs[b * T + t] * C;
      const float* wp = p + P.wpe + (size_t)t * C;
      for (int i = 0; i < C; i++) o[i] = we[i] + wp[i];
    }
  for (int l = 0; l < s.n_layers; l++) {
    layernorm_forward(ln.data(), nullptr, nullptr, x.data(), p + P.ln1w + (size_t)l * C,
                      p + P.ln1b + (size_t)l * C, (int)BT, C);
    linear_forward(qkv.data(), ln.data(), p + P.qkvw + (size_t)l * 3 * C * C,
                   p + P.qkvb + (size_t)l * 3 * C, (int)BT, C, 3 * C, sc.data());
    quantize_kv(qkv.data(), ks.empty() ? nullptr : ks.data(), vs.empty() ? nullptr : vs.data(), B,
                T, C, opt);
    attention_eval(atty.data(), qkv.data(), ks.empty() ? nullptr : ks.data(),
                   vs.empty() ? nullptr : vs.data(), B, T, C, NH);
    linear_forward(tmp.data(), atty.data(), p + P.attprojw + (size_t)l * C * C,
                   p + P.attprojb + (size_t)l * C, (int)BT, C, C, sc.data());
    for (size_t i = 0; i < BT * C; i++) x[i] += tmp[i];
    layernorm_forward(ln.data(), nullptr, nullptr, x.data(), p + P.ln2w + (size_t)l * C,
                      p + P.ln2b + (size_t)l * C, (int)BT, C);
    linear_forward(fch.data(), ln.data(), p + P.fcw + (size_t)l * 4 * C * C,
                   p + P.fcb + (size_t)l * 4 * C, (int)BT, C, 4 * C, sc.data());
    gelu_forward(fch.data(), fch.data(), (int)(BT * 4 * C));
    linear_forward(tmp.data(), fch.data(), p + P.fcprojw + (size_t)l * C * 4 * C,
                   p + P.fcprojb + (size_t)l * C, (int)BT, 4 * C, C, sc.data());
    for (size_t i = 0; i < BT * C; i++) x[i] += tmp[i];
  }
  layernorm_forward(ln.data(), nullptr, nullptr, x.data(), p + P.lnfw, p + P.lnfb, (int)BT, C);
  linear_forward(lg, ln.data(), model.lm_head(), nullptr, (int)BT, C, V, sc.data());
  if (targets && nll) {
#pragma omp parallel for schedule(static)
    for (long r = 0; r < (long)BT; r++) {
      const float* l = lg + r * V;
      float mx = l[0];
      for (int i = 1; i < V; i++) mx = l[i] > mx ? l[i] : mx;
      double sum = 0.0;
      for (int i = 0; i < V; i++) sum += fexp(l[i] - mx);
      nll[r] = (double)mx + std::log(sum) - (double)l[targets[r]];
      if (correct) correct[r] = l[targets[r]] == mx ? 1 : 0;
    }
  }
}

double eval_stream(const Model& model, const std::vector<int>& stream, int L, int batch,
                   const EvalOptions& opt, long* count) {
  const long nw = stream.size() > 1 ? ((long)stream.size() - 1) / L : 0;
  double total = 0.0;
  long n = 0;
  std::vector<int> in, tg;
  std::vector<double> nll;
  for (long w0 = 0; w0 < nw; w0 += batch) {
    const int B = (int)std::min<long>(batch, nw - w0);
    in.resize((size_t)B * L);
    tg.resize((size_t)B * L);
    nll.resize((size_t)B * L);
    for (int b = 0; b < B; b++)
      for (int t = 0; t < L; t++) {
        const size_t pos = (size_t)(w0 + b) * L + t;
        in[(size_t)b * L + t] = stream[pos];
        tg[(size_t)b * L + t] = stream[pos + 1];
      }
    eval_forward(model, in.data(), tg.data(), B, L, opt, nullptr, nll.data());
    for (double x : nll) total += x;
    n += (long)B * L;
  }
  if (count) *count = n;
  return n ? total / n : 0.0;
}

double kv_cache_bytes(const ModelShape& s, KvMode m, int L, int group) {
  return 2.0 * s.n_layers * kv_bytes_one(m, L, s.d_model, group);
}

// ------------------------------------------------------------------------------------------
// Serialization
static const char kMagic[8] = {'B', 'L', 'L', 'M', 'L', 'M', '0', '1'};

bool save_model(const std::string& path, const Model& m, const std::vector<double>& meta) {
  const std::string tmp = path + ".tmp" + std::to_string((long)::getpid());
  std::ofstream f(tmp, std::ios::binary);
  if (!f) return false;
  int32_t hdr[7] = {m.shape.vocab,   m.shape.ctx, m.shape.d_model, m.shape.n_layers,
                    m.shape.n_heads, m.shape.tied ? 1 : 0, (int32_t)meta.size()};
  f.write(kMagic, 8);
  f.write(reinterpret_cast<const char*>(hdr), sizeof(hdr));
  f.write(reinterpret_cast<const char*>(meta.data()), sizeof(double) * meta.size());
  uint64_t n = m.params.size();
  f.write(reinterpret_cast<const char*>(&n), 8);
  f.write(reinterpret_cast<const char*>(m.params.data()), sizeof(float) * n);
  f.close();
  if (!f) return false;
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

bool load_model(const std::string& path, Model& m, std::vector<double>& meta) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  char mg[8];
  int32_t hdr[7];
  if (!f.read(mg, 8) || std::memcmp(mg, kMagic, 8) != 0) return false;
  if (!f.read(reinterpret_cast<char*>(hdr), sizeof(hdr))) return false;
  ModelShape s;
  s.vocab = hdr[0];
  s.ctx = hdr[1];
  s.d_model = hdr[2];
  s.n_layers = hdr[3];
  s.n_heads = hdr[4];
  s.tied = hdr[5] != 0;
  if (hdr[6] < 0 || hdr[6] > 1024) return false;
  meta.resize(hdr[6]);
  if (!f.read(reinterpret_cast<char*>(meta.data()), sizeof(double) * meta.size())) return false;
  uint64_t n = 0;
  if (!f.read(reinterpret_cast<char*>(&n), 8)) return false;
  m.shape = s;
  m.L.build(s);
  if (n != m.L.total) return false;
  m.params.resize(n);
  if (!f.read(reinterpret_cast<char*>(m.params.data()), sizeof(float) * n)) return false;
  return true;
}

}  // namespace lm
