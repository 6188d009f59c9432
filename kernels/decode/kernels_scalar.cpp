// The portable row kernels (formats.hpp): the definitions every SIMD path is tested against.
#include <cmath>

#include "formats.hpp"

namespace decode {
namespace {

inline int popcount64(uint64_t x) {
  // portable (a -march-less build has no POPCNT instruction); the SIMD paths use the instruction
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return (int)((x * 0x0101010101010101ull) >> 56);
}

float dot_q4q8(const BlockQ4* w, const BlockQ8* x, int nb) {
  float acc = 0;
  for (int b = 0; b < nb; ++b) {
    int isum = 0;
    for (int j = 0; j < QK / 2; ++j) {
      isum += ((int)(w[b].qs[j] & 0x0F) - 8) * x[b].qs[j];
      isum += ((int)(w[b].qs[j] >> 4) - 8) * x[b].qs[j + QK / 2];
    }
    acc += f16_to_f32(w[b].d) * x[b].d * (float)isum;
  }
  return acc;
}

void q4_rows(const BlockQ4* W, const BlockQ8* x, int nb, int rows, float* out) {
  for (int r = 0; r < rows; ++r) out[r] = dot_q4q8(W + (size_t)r * nb, x, nb);
}

void xnor_rows(const uint64_t* K, const uint64_t* q, int nw, int rows, int32_t* out) {
  for (int r = 0; r < rows; ++r) {
    int pop = 0;
    for (int w = 0; w < nw; ++w) pop += popcount64(K[(size_t)r * nw + w] ^ q[w]);
    out[r] = 64 * nw - 2 * pop;
  }
}

void plane_rows(const uint64_t* W, const uint64_t* planes, const int* c, int nw, int rows, int64_t* out) {
  for (int r = 0; r < rows; ++r) {
    int64_t acc = 0;
    for (int b = 0; b < kPlanes; ++b) {
      int64_t pop = 0;
      for (int w = 0; w < nw; ++w) pop += popcount64(W[(size_t)r * nw + w] & planes[(size_t)b * nw + w]);
      acc += c[b] * pop;
    }
    out[r] = acc;
  }
}

void f16_rows(const uint16_t* W, const float* x, int n, int rows, float* out) {
  for (int r = 0; r < rows; ++r) {
    float acc = 0;
    for (int i = 0; i < n; ++i) acc += f16_to_f32(W[(size_t)r * n + i]) * x[i];
    out[r] = acc;
  }
}

void f16_axpy_rows(const uint16_t* V, const float* p, int n, int rows, float* y) {
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < n; ++i) y[i] += p[r] * f16_to_f32(V[(size_t)r * n + i]);
}

float exp_sub_sum(float* s, int n, float m) {
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    s[i] = std::exp(s[i] - m);
    sum += s[i];
  }
  return sum;
}

void planes_from_codes(const uint8_t* codes, int n, uint64_t* planes) {
  const int nw = n / 64;
  for (int b = 0; b < kPlanes; ++b)
    for (int w = 0; w < nw; ++w) {
      uint64_t word = 0;
      for (int t = 0; t < 64; ++t) word |= (uint64_t)(codes[64 * w + t] >> b & 1u) << t;
      planes[(size_t)b * nw + w] = word;
    }
}

}  // namespace

const Kernels kScalar = {q4_rows, xnor_rows, plane_rows, f16_rows, f16_axpy_rows, exp_sub_sum, planes_from_codes};

}  // namespace decode
