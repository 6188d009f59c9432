// Quantisers of llmc (see quant.hpp).
#include "llmc/quant.hpp"

#include <cmath>

namespace llmc {

// The NF4 code book: quantiles of N(0,1) normalised to [-1, 1], with an exact zero
// (QLoRA paper, Appendix E; the values bitsandbytes ships).
const float kNf4[16] = {-1.0f,
                        -0.6961928009986877f,
                        -0.5250730514526367f,
                        -0.39491748809814453f,
                        -0.28444138169288635f,
                        -0.18477343022823334f,
                        -0.09105003625154495f,
                        0.0f,
                        0.07958029955625534f,
                        0.16093020141124725f,
                        0.24611230194568634f,
                        0.33791524171829224f,
                        0.44070982933044434f,
                        0.5626170039176941f,
                        0.7229568362236023f,
                        1.0f};

void int4_fake_quant(float* wq, const float* w, size_t n, int group, float* scales) {
  for (size_t g0 = 0; g0 < n; g0 += group) {
    float amax = 0.f;
    for (int i = 0; i < group; i++)
      amax = std::fmax(amax, std::fabs(w[g0 + i]));
    const float s = amax / 7.0f;
    if (scales)
      scales[g0 / group] = s;
    for (int i = 0; i < group; i++) {
      if (s == 0.f) {
        wq[g0 + i] = 0.f;
        continue;
      }
      float q = round_half_away(w[g0 + i] / s);
      q = q > 7.f ? 7.f : (q < -7.f ? -7.f : q);
      wq[g0 + i] = q * s;
    }
  }
}

void nf4_quantize(uint8_t* codes, float* absmax, const float* w, size_t n, int block) {
  for (size_t b0 = 0; b0 < n; b0 += block) {
    float a = 0.f;
    for (int i = 0; i < block; i++)
      a = std::fmax(a, std::fabs(w[b0 + i]));
    absmax[b0 / block] = a;
    for (int i = 0; i < block; i++) {
      const float x = a > 0.f ? w[b0 + i] / a : 0.f;
      int best = 0;
      float bd = std::fabs(x - kNf4[0]);
      for (int c = 1; c < 16; c++) {
        const float d = std::fabs(x - kNf4[c]);
        if (d < bd) {
          bd = d;
          best = c;
        }
      }
      codes[b0 + i] = (uint8_t)best;
    }
  }
}

void nf4_dequantize(float* w, const uint8_t* codes, const float* absmax, size_t n, int block) {
  for (size_t i = 0; i < n; i++)
    w[i] = kNf4[codes[i]] * absmax[i / block];
}

void binary_fake_quant(float* wq, const float* w, int rows, int cols, float* beta) {
  for (int o = 0; o < rows; o++) {
    const float* r = w + (size_t)o * cols;  // (cols)
    double s = 0;
    for (int j = 0; j < cols; j++)
      s += std::fabs(r[j]);
    const float b = (float)(s / cols);
    if (beta)
      beta[o] = b;
    float* q = wq + (size_t)o * cols;
    for (int j = 0; j < cols; j++)
      q[j] = r[j] >= 0.f ? b : -b;
  }
}

float ternary_fake_quant(float* wq, const float* w, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += std::fabs(w[i]);
  const float g = (float)(s / (double)n);
  for (size_t i = 0; i < n; i++) {
    float q = round_half_away(w[i] / (g + 1e-8f));
    q = q > 1.f ? 1.f : (q < -1.f ? -1.f : q);
    wq[i] = q * g;
  }
  return g;
}

void act8_fake_quant(float* xq, const float* x, int N, int C) {
#pragma omp parallel for schedule(static)
  for (int n = 0; n < N; n++) {
    const float* r = x + (size_t)n * C;  // (C)
    float* q = xq + (size_t)n * C;       // (C)
    float amax = 0.f;
    for (int i = 0; i < C; i++)
      amax = std::fmax(amax, std::fabs(r[i]));
    if (amax == 0.f) {
      for (int i = 0; i < C; i++)
        q[i] = 0.f;
      continue;
    }
    const float s = 127.0f / amax;
    for (int i = 0; i < C; i++) {
      float v = round_half_away(r[i] * s);
      v = v > 127.f ? 127.f : (v < -128.f ? -128.f : v);
      q[i] = v / s;
    }
  }
}

}  // namespace llmc
