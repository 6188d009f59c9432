// Embedding, LayerNorm, GELU, residual and the fp32 linear layer (see layers.hpp).
//
// No FP-exception semantics are needed; this lets GCC if-convert and vectorize the loops that call
// fexp. It does not change any computed value.
#pragma GCC optimize("no-trapping-math")
#include "llmc/layers.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "llmc/gemm.hpp"
#include "llmc/math.hpp"

namespace llmc {

void embedding_forward(float* out, const int* tokens, const float* wte, const float* wpe, int B, int T,
                       int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      float* o = out + ((size_t)b * T + t) * C;               // (C)
      const float* we = wte + (size_t)tokens[b * T + t] * C;  // (C)
      if (wpe) {
        const float* wp = wpe + (size_t)t * C;  // (C)
        for (int i = 0; i < C; i++)
          o[i] = we[i] + wp[i];
      } else {
        for (int i = 0; i < C; i++)
          o[i] = we[i];
      }
    }
}

void embedding_backward(float* dwte, float* dwpe, const float* dout, const int* tokens, int B, int T, int C) {
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      const float* d = dout + ((size_t)b * T + t) * C;  // (C)
      if (dwte) {
        float* we = dwte + (size_t)tokens[b * T + t] * C;
        for (int i = 0; i < C; i++)
          we[i] += d[i];
      }
      if (dwpe) {
        float* wp = dwpe + (size_t)t * C;
        for (int i = 0; i < C; i++)
          wp[i] += d[i];
      }
    }
}

void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b,
                       int N, int C) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* x = inp + (size_t)n * C;  // (C)
    float m = 0.f;
    for (int i = 0; i < C; i++)
      m += x[i];
    m /= C;
    float v = 0.f;
    for (int i = 0; i < C; i++) {
      float d = x[i] - m;
      v += d * d;
    }
    v /= C;
    float s = 1.0f / std::sqrt(v + 1e-5f);
    float* o = out + (size_t)n * C;  // (C)
    for (int i = 0; i < C; i++)
      o[i] = (s * (x[i] - m)) * w[i] + b[i];
    if (mean)
      mean[n] = m;
    if (rstd)
      rstd[n] = s;
  }
}

void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                        const float* w, const float* mean, const float* rstd, int N, int C) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* x = inp + (size_t)n * C;   // (C)
    const float* g = dout + (size_t)n * C;  // (C)
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
    float* di = dinp + (size_t)n * C;  // (C)
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

void gelu_forward(float* out, const float* inp, int n) {
#pragma omp parallel for simd schedule(static)
  for (int i = 0; i < n; i++)
    out[i] = gelu_f(inp[i]);
}

void gelu_backward(float* dinp, const float* inp, const float* dout, int n) {
#pragma omp parallel for simd schedule(static)
  for (int i = 0; i < n; i++)
    dinp[i] += gelu_grad(inp[i]) * dout[i];
}

void residual_forward(float* out, const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; i++)
    out[i] = a[i] + b[i];
}

void linear_forward(float* out, const float* inp, const float* w, const float* b, int N, int C, int OC,
                    float* scratch) {
  transpose(w, scratch, OC, C);  // scratch: (C,OC) = w^T
  if (b) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
      std::memcpy(out + (size_t)n * OC, b, sizeof(float) * OC);
  }
  gemm_nn(inp, scratch, out, N, C, OC, b != nullptr);
}

void linear_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                     const float* w, int N, int C, int OC, float* scratch) {
  (void)scratch;                                      // kept for the interface; gemm_tn needs none
  if (dinp) gemm_nn(dout, w, dinp, N, OC, C, true);  // (N,OC) @ (OC,C)
  if (dw) gemm_tn(dout, inp, dw, OC, N, C, true);    // (N,OC)^T @ (N,C)
  if (db) {
    // per output channel, ascending n (the order of the former transpose-then-sum)
    const int blocks = (OC + 63) / 64;
#pragma omp parallel for schedule(static)
    for (int ob = 0; ob < blocks; ob++) {
      const int o0 = ob * 64, o1 = std::min(OC, o0 + 64);
      float acc[64];
      for (int o = o0; o < o1; o++) acc[o - o0] = db[o];
      for (int n = 0; n < N; n++) {
        const float* g = dout + (size_t)n * OC;  // (OC)
        for (int o = o0; o < o1; o++) acc[o - o0] += g[o];
      }
      for (int o = o0; o < o1; o++) db[o] = acc[o - o0];
    }
  }
}

}  // namespace llmc
