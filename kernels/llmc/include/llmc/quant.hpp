// Weight / activation quantisers of llmc. Each works on fp32 latent values and returns the
// de-quantised ("fake-quant") fp32 values the forward pass multiplies with; training passes the
// gradient straight through (STE: d loss / d w := d loss / d w_q), see linear.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace llmc {

// int4, group-wise symmetric absmax: for each group of `group` consecutive weights of a row,
// s = max|w| / 7, q = clamp(round(w / s), -7, 7) (round half away from zero), w_q = q * s; an
// all-zero group gives w_q = 0. wq and w (n) may alias; n % group == 0. scales (n / group) optional.
void int4_fake_quant(float* wq, const float* w, size_t n, int group, float* scales = nullptr);

// NF4 (QLoRA, Dettmers et al. 2023): blockwise absmax a = max|w| over `block` consecutive weights,
// code = argmin_c |w / a - kNf4[c]| (ties to the lower code), w_q = kNf4[code] * a.
extern const float kNf4[16];
// codes (n) in 0..15, absmax (n / block); n % block == 0.
void nf4_quantize(uint8_t* codes, float* absmax, const float* w, size_t n, int block);
// w (n) = kNf4[codes] * absmax[block]
void nf4_dequantize(float* w, const uint8_t* codes, const float* absmax, size_t n, int block);

// BitLinear, binary: per output row o, beta_o = mean_j |w_oj|, w_q = beta_o * sign(w) (sign(0) = +1).
// w, wq (rows, cols); beta (rows) optional.
void binary_fake_quant(float* wq, const float* w, int rows, int cols, float* beta = nullptr);

// BitLinear b1.58, ternary absmean (Ma et al. 2024): gamma = mean |w| over the whole matrix,
// w_q = gamma * clamp(round(w / (gamma + 1e-8)), -1, 1). Returns gamma.
float ternary_fake_quant(float* wq, const float* w, size_t n);

// 8-bit absmax activations per token (BitNet): for each row, s = 127 / max|x|,
// x_q = clamp(round(x * s), -128, 127) / s (an all-zero row stays zero). x, xq (N, C) may alias.
void act8_fake_quant(float* xq, const float* x, int N, int C);

// round half away from zero (the rounding every quantiser above uses)
inline float round_half_away(float x) {
  return x >= 0.f ? (float)(int64_t)(x + 0.5f) : -(float)(int64_t)(-x + 0.5f);
}

}  // namespace llmc
