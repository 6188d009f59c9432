// Softmax, cross entropy, KL distillation and pooling (see layers.hpp).
#pragma GCC optimize("no-trapping-math")
#include <cmath>

#include "llmc/layers.hpp"
#include "llmc/math.hpp"

namespace llmc {

void softmax_forward(float* probs, const float* logits, int N, int V, float temperature) {
  const float inv_t = 1.0f / temperature;
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* l = logits + (size_t)n * V;  // (V)
    float* p = probs + (size_t)n * V;         // (V)
    float mx = l[0] * inv_t;
    for (int i = 1; i < V; i++)
      mx = l[i] * inv_t > mx ? l[i] * inv_t : mx;
    double sum = 0.0;
    for (int i = 0; i < V; i++) {
      p[i] = fexp(l[i] * inv_t - mx);
      sum += p[i];
    }
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < V; i++)
      p[i] *= inv;
  }
}

void crossentropy_forward(float* probs, float* losses, const float* logits, const int* targets, int N,
                          int V) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* l = logits + (size_t)n * V;  // (V)
    float* p = probs + (size_t)n * V;         // (V)
    float mx = l[0];
    for (int i = 1; i < V; i++)
      mx = l[i] > mx ? l[i] : mx;
    for (int i = 0; i < V; i++)
      p[i] = fexp(l[i] - mx);
    double sum = 0.0;
    for (int i = 0; i < V; i++)
      sum += p[i];
    const float inv = (float)(1.0 / sum);
    for (int i = 0; i < V; i++)
      p[i] *= inv;
    losses[n] = (float)((double)mx + std::log(sum) - (double)l[targets[n]]);
  }
}

void crossentropy_backward(float* dlogits, const float* probs, const int* targets, int N, int V,
                           float scale) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* p = probs + (size_t)n * V;  // (V)
    float* d = dlogits + (size_t)n * V;      // (V)
    for (int i = 0; i < V; i++)
      d[i] = p[i] * scale;
    d[targets[n]] -= scale;
  }
}

void kl_distill_forward(float* losses, float* ps, float* pt, const float* student_logits,
                        const float* teacher_logits, int N, int V, float tau) {
  softmax_forward(ps, student_logits, N, V, tau);
  softmax_forward(pt, teacher_logits, N, V, tau);
  const float inv_t = 1.0f / tau;
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* s = student_logits + (size_t)n * V;  // (V)
    const float* t = teacher_logits + (size_t)n * V;  // (V)
    const float* q = pt + (size_t)n * V;              // (V)
    // log-softmax in double from the logits: exact for tiny probabilities, unlike log(p)
    double ms = s[0] * inv_t, mt = t[0] * inv_t;
    for (int i = 1; i < V; i++) {
      ms = s[i] * inv_t > ms ? s[i] * inv_t : ms;
      mt = t[i] * inv_t > mt ? t[i] * inv_t : mt;
    }
    double zs = 0, zt = 0;
    for (int i = 0; i < V; i++) {
      zs += std::exp(s[i] * (double)inv_t - ms);
      zt += std::exp(t[i] * (double)inv_t - mt);
    }
    const double ls = ms + std::log(zs), lt = mt + std::log(zt);
    double kl = 0;
    for (int i = 0; i < V; i++)
      kl += (double)q[i] * ((t[i] * (double)inv_t - lt) - (s[i] * (double)inv_t - ls));
    losses[n] = (float)(kl * tau * tau);
  }
}

void kl_distill_backward(float* dstudent, const float* ps, const float* pt, int N, int V, float tau,
                         float scale) {
  const float k = scale * tau;  // d/ds [tau^2 KL] = tau^2 * (ps - pt) / tau
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++)
    for (int i = 0; i < V; i++) {
      const size_t j = (size_t)n * V + i;
      dstudent[j] += k * (ps[j] - pt[j]);
    }
}

void pool_forward(float* out, const float* inp, const int* lens, int B, int T, int C, Pool mode) {
  for (int b = 0; b < B; b++) {
    float* o = out + (size_t)b * C;            // (C)
    const float* x = inp + (size_t)b * T * C;  // (T,C)
    if (mode == Pool::kFirst) {
      for (int i = 0; i < C; i++)
        o[i] = x[i];
      continue;
    }
    const int L = lens ? lens[b] : T;
    for (int i = 0; i < C; i++)
      o[i] = 0.f;
    for (int t = 0; t < L; t++)
      for (int i = 0; i < C; i++)
        o[i] += x[(size_t)t * C + i];
    const float inv = 1.0f / (float)(L > 0 ? L : 1);
    for (int i = 0; i < C; i++)
      o[i] *= inv;
  }
}

void pool_backward(float* dinp, const float* dout, const int* lens, int B, int T, int C, Pool mode) {
  for (int b = 0; b < B; b++) {
    const float* d = dout + (size_t)b * C;  // (C)
    float* dx = dinp + (size_t)b * T * C;   // (T,C)
    if (mode == Pool::kFirst) {
      for (int i = 0; i < C; i++)
        dx[i] += d[i];
      continue;
    }
    const int L = lens ? lens[b] : T;
    const float inv = 1.0f / (float)(L > 0 ? L : 1);
    for (int t = 0; t < L; t++)
      for (int i = 0; i < C; i++)
        dx[(size_t)t * C + i] += d[i] * inv;
  }
}

}  // namespace llmc
