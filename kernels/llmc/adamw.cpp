#include "llmc/adamw.hpp"

#include <cmath>

namespace llmc {

float AdamW::update(float* params, const float* grads, const uint8_t* kinds, size_t n, float lr, float beta1,
                    float beta2, float eps, float weight_decay, float clip) {
  step++;
  return adamw_step(params, grads, m.data(), v.data(), kinds, n, step, lr, beta1, beta2, eps, weight_decay,
                    clip);
}

float adamw_step(float* params, const float* grads, float* m, float* v, const uint8_t* kinds, size_t n,
                 int step, float lr, float beta1, float beta2, float eps, float weight_decay, float clip) {
  double ss = 0.0;
  for (size_t i = 0; i < n; i++)
    if (!kinds || kinds[i] != kFrozen)
      ss += (double)grads[i] * grads[i];
  const float norm = (float)std::sqrt(ss);
  const float gscale = (clip > 0.f && norm > clip) ? clip / norm : 1.0f;
  const float bc1 = 1.0f - std::pow(beta1, (float)step);
  const float bc2 = 1.0f - std::pow(beta2, (float)step);
  const long nn = (long)n;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < nn; i++) {
    const uint8_t k = kinds ? kinds[i] : (uint8_t)kDecay;
    if (k == kFrozen)
      continue;
    const float gi = grads[i] * gscale;
    m[i] = beta1 * m[i] + (1.0f - beta1) * gi;
    v[i] = beta2 * v[i] + (1.0f - beta2) * gi * gi;
    const float mh = m[i] / bc1, vh = v[i] / bc2;
    params[i] -= lr * (mh / (std::sqrt(vh) + eps) + (k == kDecay ? weight_decay * params[i] : 0.f));
  }
  return norm;
}

}  // namespace llmc
