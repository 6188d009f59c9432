// Naive double-precision references (see reference.hpp).
#include "llmc/reference.hpp"

#include <cmath>

namespace llmc {
namespace ref {

Vec layernorm(const Vec& x, const Vec& w, const Vec& b, int N, int C) {
  Vec out(x.size());
  for (int n = 0; n < N; n++) {
    double m = 0, v = 0;
    for (int i = 0; i < C; i++)
      m += x[n * C + i];
    m /= C;
    for (int i = 0; i < C; i++)
      v += (x[n * C + i] - m) * (x[n * C + i] - m);
    v /= C;
    const double s = 1.0 / std::sqrt(v + 1e-5);
    for (int i = 0; i < C; i++)
      out[n * C + i] = (x[n * C + i] - m) * s * w[i] + b[i];
  }
  return out;
}

Vec gelu(const Vec& x) {
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); i++) {
    const double u = std::sqrt(2.0 / M_PI) * (x[i] + 0.044715 * x[i] * x[i] * x[i]);
    out[i] = 0.5 * x[i] * (1.0 + std::tanh(u));
  }
  return out;
}

Vec linear(const Vec& x, const Vec& w, const Vec* b, int N, int C, int OC) {
  Vec out((size_t)N * OC);
  for (int n = 0; n < N; n++)
    for (int o = 0; o < OC; o++) {
      double s = b ? (*b)[o] : 0.0;
      for (int i = 0; i < C; i++)
        s += x[(size_t)n * C + i] * w[(size_t)o * C + i];
      out[(size_t)n * OC + o] = s;
    }
  return out;
}

Vec attention(const Vec& qkv, const AttnShape& s, const int* lens) {
  const int B = s.B, T = s.T, C = s.C, NH = s.NH, hs = s.hs(), group = NH / s.nkv();
  const size_t R = s.row();
  Vec out((size_t)B * T * C, 0.0);
  for (int b = 0; b < B; b++) {
    const int L = lens ? lens[b] : T;
    for (int h = 0; h < NH; h++) {
      const int g = h / group;
      for (int t = 0; t < T; t++) {
        const double* q = &qkv[((size_t)b * T + t) * R + (size_t)h * hs];
        std::vector<double> a(T, 0.0);
        double mx = -1e300;
        int n = 0;
        for (int j = 0; j < T; j++) {
          const bool seen = j < L && (!s.causal || j <= t);
          if (!seen)
            continue;
          n++;
          const double* k = &qkv[((size_t)b * T + j) * R + C + (size_t)g * hs];
          double d = 0;
          for (int i = 0; i < hs; i++)
            d += q[i] * k[i];
          a[j] = d / std::sqrt((double)hs);
          mx = std::max(mx, a[j]);
        }
        double z = 0;
        for (int j = 0; j < T; j++) {
          const bool seen = j < L && (!s.causal || j <= t);
          a[j] = seen ? std::exp(a[j] - mx) : 0.0;
          z += a[j];
        }
        for (int j = 0; j < T && n; j++) {
          const double* v = &qkv[((size_t)b * T + j) * R + C + (size_t)s.kvc() + (size_t)g * hs];
          for (int i = 0; i < hs; i++)
            out[((size_t)b * T + t) * C + (size_t)h * hs + i] += a[j] / z * v[i];
        }
      }
    }
  }
  return out;
}

Vec softmax(const Vec& logits, int N, int V, double temperature) {
  Vec p(logits.size());
  for (int n = 0; n < N; n++) {
    double mx = -1e300, z = 0;
    for (int i = 0; i < V; i++)
      mx = std::max(mx, logits[(size_t)n * V + i] / temperature);
    for (int i = 0; i < V; i++)
      z += std::exp(logits[(size_t)n * V + i] / temperature - mx);
    for (int i = 0; i < V; i++)
      p[(size_t)n * V + i] = std::exp(logits[(size_t)n * V + i] / temperature - mx) / z;
  }
  return p;
}

Vec crossentropy(const Vec& logits, const int* targets, int N, int V) {
  Vec p = softmax(logits, N, V, 1.0), out(N);
  for (int n = 0; n < N; n++)
    out[n] = -std::log(p[(size_t)n * V + targets[n]]);
  return out;
}

Vec kl_distill(const Vec& s, const Vec& t, int N, int V, double tau) {
  Vec ps = softmax(s, N, V, tau), pt = softmax(t, N, V, tau), out(N);
  for (int n = 0; n < N; n++) {
    double kl = 0;
    for (int i = 0; i < V; i++) {
      const size_t j = (size_t)n * V + i;
      kl += pt[j] * (std::log(pt[j]) - std::log(ps[j]));
    }
    out[n] = tau * tau * kl;
  }
  return out;
}

Vec pool(const Vec& x, const int* lens, int B, int T, int C, Pool mode) {
  Vec out((size_t)B * C, 0.0);
  for (int b = 0; b < B; b++) {
    const int L = mode == Pool::kFirst ? 1 : (lens ? lens[b] : T);
    for (int t = 0; t < L; t++)
      for (int i = 0; i < C; i++)
        out[(size_t)b * C + i] += x[((size_t)b * T + t) * C + i] / L;
  }
  return out;
}

}  // namespace ref
}  // namespace llmc
