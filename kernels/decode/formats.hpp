// binllm-decode-bench: the storage formats of weights and KV caches, and the dot products on
// them. Every optimised routine here has a naive scalar twin in the same file set (dots_scalar.cpp)
// and the tests compare the two, and both with a double-precision reference (tests/test_decode.cpp).
//
// Formats (one block = the unit a dot product walks):
//   Q4  (int4 weights and int4 KV): 32 values, one fp16 scale d and 16 bytes of nibbles,
//       value_j = (nibble_j - 8) * d; byte i holds element i (low nibble) and i+16 (high nibble).
//       18 bytes per 32 values = 4.5 bits/value (the layout of llama.cpp's Q4_0, written anew).
//   Q8  (activations, attention probabilities for int4 V): 32 values, fp32 scale, 32 int8.
//   bits (binary weights and binary KV): 1 bit per value in uint64 words, bit set = +1, clear = -1,
//       plus one fp32 scale per output channel (weights: per row; K/V: per head channel).
//   fp16: IEEE binary16 values, fp32 arithmetic.
//
// Dot products (the row kernels below apply them to many rows):
//   dot_q4q8(w, x, nb)            = sum_b d_w[b] * d_x[b] * sum_j (q4 - 8) * q8          (int4 GEMV, K·q, Vᵀ·p)
//   xnor_dot(a, b, nw)            = 64*nw - 2 * popcount(a XOR b) = sum_i s_a,i * s_b,i  (bin K·q, binarised q)
//   plane_dot(w, planes, c, nw)   = sum_b c[b] * popcount(w AND plane_b)                (bin GEMV, bin Vᵀ·p)
//       with x = sum_b c[b] * plane_b (bit planes of an 8-bit code), sum_i s_i x_i = 2*plane_dot - sum_i x_i.
//   dot_f16(w, x, n)              = sum_i f16(w_i) * x_i                                 (fp16 GEMV, K·q)
//   axpy_f16(y, a, w, n)          : y += a * f16(w)                                      (fp16 p·V)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#if defined(__CUDACC__)
#define DECODE_HD __host__ __device__
#else
#define DECODE_HD
#endif

namespace decode {

constexpr int QK = 32;       // values per Q4 / Q8 block
constexpr int kPlanes = 8;   // bit planes of an 8-bit activation code
constexpr int kPChunk = 512; // tokens per chunk of a padded cache (bin: one p-code scale per chunk)

struct BlockQ4 {
  uint16_t d;       // fp16 scale
  uint8_t qs[16];   // 32 nibbles (see above)
};
static_assert(sizeof(BlockQ4) == 18, "BlockQ4 is 18 bytes");

struct BlockQ8 {
  float d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8) == 36, "BlockQ8 is 36 bytes");

// ---------------------------------------------------------------- fp16 <-> fp32 (portable)
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);  // round to nearest even, saturating to +-65504

// ---------------------------------------------------------------- quantisers (scalar, exact)
// Q8 of n floats (n % 32 == 0): d = amax / 127, q = round-half-away(x / d).
void quantize_q8(const float* x, BlockQ8* out, int n);
// One 8-bit code per value with a single scale, then its bit planes:
//   signed   (activations): q = round(x / d) in [-127, 127], d = amax/127, two's complement planes,
//                           coefficients c = {1, 2, ..., 64, -128};
//   unsigned (probabilities >= 0): q in [0, 255], d = max/255, coefficients c = {1, ..., 128}.
// planes: [8][nw] words (plane b of word w at planes[b*nw + w]); n <= 64*nw, the tail is zero.
// Returns d; *qsum = sum of the codes q.
float quantize_planes(const float* x, int n, int nw, bool is_signed, uint64_t* planes, int64_t* qsum);
const int* plane_coefficients(bool is_signed);

// ---------------------------------------------------------------- dot products
// The SIMD level actually used; chosen once from CPUID (see dots.cpp), or forced for tests.
enum class Simd { Scalar, Avx2, Avx512 };
const char* simd_name(Simd s);
Simd simd_detect();          // the best level this CPU supports and this build compiled
Simd simd_active();
void simd_force(Simd s);     // tests: run the same math through another path

// Row kernels: one call walks many rows, so the per-row work is inlined in each SIMD file.
struct Kernels {
  // out[r] = dot_q4q8(W + r*nb, x, nb), r < rows                      (int4 GEMV, K·q, Vᵀ·p)
  void (*q4_rows)(const BlockQ4* W, const BlockQ8* x, int nb, int rows, float* out);
  // out[r] = xnor_dot(K + r*nw, q, nw)                                  (bin K·q)
  void (*xnor_rows)(const uint64_t* K, const uint64_t* q, int nw, int rows, int32_t* out);
  // out[r] = plane_dot(W + r*nw, planes, c, nw)                         (bin GEMV, bin Vᵀ·p)
  void (*plane_rows)(const uint64_t* W, const uint64_t* planes, const int* c, int nw, int rows,
                     int64_t* out);
  // out[r] = dot_f16(W + r*n, x, n)                                     (fp16 GEMV, K·q)
  void (*f16_rows)(const uint16_t* W, const float* x, int n, int rows, float* out);
  // y[0..n) += sum_r p[r] * f16(V + r*n)                                (fp16 p·V)
  void (*f16_axpy_rows)(const uint16_t* V, const float* p, int n, int rows, float* y);
  // s[i] = exp(s[i] - m); returns the sum (softmax numerators over fp scores)
  float (*exp_sub_sum)(float* s, int n, float m);
  // bit planes of n byte codes (n % 64 == 0): plane b, word w = bits b of codes[64w .. 64w+63]
  void (*planes_from_codes)(const uint8_t* codes, int n, uint64_t* planes);
};
const Kernels& kernels();            // of simd_active()
const Kernels& kernels_for(Simd s);  // s must be <= simd_detect()

extern const Kernels kScalar;
extern const Kernels kAvx2;    // AVX2 + FMA + F16C + POPCNT
extern const Kernels kAvx512;  // AVX-512 F/BW/VL/VPOPCNTDQ

// ---------------------------------------------------------------- counter-based random codes
// rand_word(seed, stream, i): the i-th 64-bit word of a stream, so that the CPU and the GPU fill
// the same weights and caches independently and in parallel (splitmix64 of a counter).
DECODE_HD inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
DECODE_HD inline uint64_t rand_word(uint64_t seed, uint64_t stream, uint64_t i) {
  return mix64(mix64(seed * 0x100000001B3ull + stream) ^ i);
}
// uniform in [0, 1) from the top 24 bits
DECODE_HD inline float rand_unit(uint64_t seed, uint64_t stream, uint64_t i) {
  return (float)(rand_word(seed, stream, i) >> 40) * (1.0f / 16777216.0f);
}

}  // namespace decode
