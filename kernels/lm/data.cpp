#include "data.hpp"

#include <cmath>
#include <fstream>
#include <iterator>

namespace lm {

void MarkovSource::init(int vocab, int order, double sharpness, uint64_t seed) {
  V = vocab;
  k = order;
  n_states = 1;
  for (int i = 0; i < k; i++) n_states *= V;
  P.assign((size_t)n_states * V, 0.0);
  cdf.assign((size_t)n_states * V, 0.0);
  Rng rng(seed ^ 0x4D61726B6F76ull);
  std::vector<double> z(V);
  for (long s = 0; s < n_states; s++) {
    double mx = -1e300;
    for (int i = 0; i < V; i++) {
      z[i] = sharpness * rng.normal();
      mx = z[i] > mx ? z[i] : mx;
    }
    double sum = 0.0;
    for (int i = 0; i < V; i++) sum += (z[i] = std::exp(z[i] - mx));
    double c = 0.0;
    for (int i = 0; i < V; i++) {
      P[(size_t)s * V + i] = z[i] / sum;
      c += z[i] / sum;
      cdf[(size_t)s * V + i] = c;
    }
    cdf[(size_t)s * V + V - 1] = 1.0;
  }
}

double MarkovSource::entropy_rate() const {
  std::vector<double> pi(n_states, 1.0 / n_states), nx(n_states);
  for (int it = 0; it < 1000; it++) {
    std::fill(nx.begin(), nx.end(), 0.0);
    for (long s = 0; s < n_states; s++) {
      const double w = pi[s];
      const long base = (s * V) % n_states;
      for (int x = 0; x < V; x++) nx[base + x] += w * P[(size_t)s * V + x];
    }
    double diff = 0.0;
    for (long s = 0; s < n_states; s++) diff += std::fabs(nx[s] - pi[s]);
    pi.swap(nx);
    if (diff < 1e-13) break;
  }
  double H = 0.0;
  for (long s = 0; s < n_states; s++) {
    double h = 0.0;
    for (int x = 0; x < V; x++) {
      const double p = P[(size_t)s * V + x];
      if (p > 0) h -= p * std::log(p);
    }
    H += pi[s] * h;
  }
  return H;
}

std::vector<int> MarkovSource::generate(long n, Rng& rng) const {
  std::vector<int> out((size_t)n);
  long s = (long)rng.below((uint64_t)n_states);
  for (int burn = 0; burn < 64; burn++) {  // start near stationarity
    const double u = rng.uniform();
    const double* c = cdf.data() + (size_t)s * V;
    int x = 0;
    while (x < V - 1 && c[x] <= u) x++;
    s = (s * V + x) % n_states;
  }
  for (long t = 0; t < n; t++) {
    const double u = rng.uniform();
    const double* c = cdf.data() + (size_t)s * V;
    int x = 0;
    while (x < V - 1 && c[x] <= u) x++;
    out[(size_t)t] = x;
    s = (s * V + x) % n_states;
  }
  return out;
}

double MarkovSource::stream_nll(const std::vector<int>& st) const {
  double sum = 0.0;
  long n = 0;
  for (size_t t = (size_t)k; t < st.size(); t++) {
    long s = 0;
    for (int i = 0; i < k; i++) s = s * V + st[t - k + i];
    sum -= std::log(P[(size_t)s * V + st[t]]);
    n++;
  }
  return n ? sum / n : 0.0;
}

bool read_text_tokens(const std::string& path, std::vector<int>& out, std::string& err) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    err = "cannot open '" + path + "'";
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  out.resize(bytes.size());
  for (size_t i = 0; i < bytes.size(); i++) out[i] = (int)(unsigned char)bytes[i];
  return true;
}

}  // namespace lm
