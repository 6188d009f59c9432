// Elementwise math shared by the CPU layers and CUDA code: a vectorizable exp (no libm call, so
// GCC can vectorize loops that use it) and the tanh-GELU built on it.
// exp: range reduction x = n*ln2 + r, |r| <= ln2/2, degree-6 polynomial for e^r, exact 2^n scaling;
// max relative error ~2e-7 on [-87, 88]; inputs are clamped to that range.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define LLMC_HD __host__ __device__ __forceinline__
#else
#define LLMC_HD inline
#endif

namespace llmc {

LLMC_HD float fexp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float t = x * 1.44269504088896341f;
  const int32_t ni = (int32_t)(t + (t >= 0.f ? 0.5f : -0.5f));  // round half away from zero
  const float n = (float)ni;
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  float p = 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t e = (ni + 127) << 23;
#if defined(__CUDA_ARCH__)
  return p * __int_as_float(e);
#elif defined(__CUDACC__)
  float s;
  std::memcpy(&s, &e, 4);
  return p * s;
#else
  return p * __builtin_bit_cast(float, e);
#endif
}

LLMC_HD float ftanh(float u) {
  return 1.0f - 2.0f / (1.0f + fexp(2.0f * u));
}

constexpr float kGeluS = 0.7978845608028654f;  // sqrt(2/pi)

// tanh-approximated GELU (GPT-2) and its derivative.
LLMC_HD float gelu_f(float x) {
  const float u = kGeluS * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + ftanh(u));
}

LLMC_HD float gelu_grad(float x) {
  const float u = kGeluS * (x + 0.044715f * x * x * x);
  const float th = ftanh(u);
  const float sech2 = 1.0f - th * th;
  const float du = kGeluS * (1.0f + 3.0f * 0.044715f * x * x);
  return 0.5f * (1.0f + th) + 0.5f * x * sech2 * du;
}

}  // namespace llmc
