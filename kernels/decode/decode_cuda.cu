// CUDA path of binllm-decode-bench (decode_cuda.hpp): the decode step of model.cpp on one GPU.
//
// Same model, same seeded contents (filled on the device from formats.hpp rand_word with the
// CPU's element indices), same quantised math; the physical layouts are GPU-friendly:
//   Q4 tensors are split into nibble words [n_blocks][4] (uint32, 16 B aligned) and fp16 scales
//   [n_blocks] — block i holds the same 32 values as the CPU's BlockQ4 i;
//   bit tensors are the CPU's uint64 words read as uint32 pairs (little endian: same bit order).
// Kernels, one per operation:
//   GEMV: one warp per output row, lanes over Q4 blocks (8 dp4a per block), over 32-bit weight
//         words (binary: 8-bit sign tables in shared memory, dp4a with int8 activations), or over
//         half2 pairs (fp16);
//   attention: flash-decoding split over L — one block per (chunk of kPChunk tokens, KV head,
//         sequence) for all query heads of the GQA group, writing (max, sum, unnormalised o),
//         then a combine kernel per (query head, sequence) that adds the current token. Shared
//         memory per block is fixed by kPChunk, so L has no cap beyond device memory.
// Float summation orders differ from the CPU; tests/test_decode_cuda.cu bounds the difference.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "binllm/errors.hpp"
#include "cuda/cuda_probe.cuh"
#include "decode_cuda.hpp"

namespace decode {
namespace {

#define DK(call)                                                                                   \
  do {                                                                                             \
    cudaError_t e_ = (call);                                                                       \
    if (e_ != cudaSuccess) {                                                                       \
      if (e_ == cudaErrorMemoryAllocation)                                                         \
        throw binllm::ResourceError(std::string("out of device memory: ") + #call);              \
      throw std::runtime_error(std::string(#call) + ": " + cudaGetErrorString(e_));              \
    }                                                                                              \
  } while (0)

constexpr int kWarps = 8;                 // rows per GEMV block
constexpr int kAttnThreads = 128;
constexpr int kMaxGroup = 8;              // query heads per KV head on the GPU path (static smem < 48 KB)
constexpr int kMaxHd = 256;               // head_dim on the GPU path

template <typename T>
struct DevBuf {  // owns one cudaMalloc: movable, not copyable
  T* p = nullptr;
  size_t n = 0;
  DevBuf() = default;
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  DevBuf(DevBuf&& o) noexcept : p(o.p), n(o.n) { o.p = nullptr, o.n = 0; }
  DevBuf& operator=(DevBuf&& o) noexcept {
    if (this != &o) {
      release();
      p = o.p, n = o.n;
      o.p = nullptr, o.n = 0;
    }
    return *this;
  }
  void alloc(size_t count) {
    release();
    n = count;
    if (count) DK(cudaMalloc(&p, count * sizeof(T)));
  }
  void release() {
    if (p) cudaFree(p);
    p = nullptr;
    n = 0;
  }
  ~DevBuf() { release(); }
  size_t bytes() const { return n * sizeof(T); }
};

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ int round_away(float v) { return (int)(v < 0 ? -floorf(-v + 0.5f) : floorf(v + 0.5f)); }

// ---------------------------------------------------------------- seeded fills (CPU indices)
__global__ void k_fill_q4(uint32_t* qs, __half* d, size_t n_blocks, uint64_t seed, uint64_t st, float base) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n_blocks; i += (size_t)gridDim.x * blockDim.x) {
    uint64_t w0 = rand_word(seed, st, 3 * i), w1 = rand_word(seed, st, 3 * i + 1);
    qs[4 * i] = (uint32_t)w0;
    qs[4 * i + 1] = (uint32_t)(w0 >> 32);
    qs[4 * i + 2] = (uint32_t)w1;
    qs[4 * i + 3] = (uint32_t)(w1 >> 32);
    d[i] = __float2half_rn(base * (0.75f + 0.5f * rand_unit(seed, st, 3 * i + 2)));
  }
}
__global__ void k_fill_bits(uint64_t* w, size_t n, uint64_t seed, uint64_t st) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    w[i] = rand_word(seed, st, i);
}
__global__ void k_fill_scales(float* v, size_t n, uint64_t seed, uint64_t st, float base) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    v[i] = base * (0.8f + 0.4f * rand_unit(seed, st, i));
}
__global__ void k_fill_f16(__half* v, size_t n, uint64_t seed, uint64_t st, float base) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
    v[i] = __float2half_rn(base * 1.7320508f * (2.0f * rand_unit(seed, st, i) - 1.0f));
}

int fill_grid(size_t n) { return (int)std::min<size_t>((n + 255) / 256, 65535); }

// ---------------------------------------------------------------- elementwise / norms
// y = x / sqrt(mean(x^2) + 1e-6), one block per row, double accumulation like the CPU
__global__ void k_rmsnorm(const float* x, float* y, int n) {
  const float* xr = x + (size_t)blockIdx.x * n;
  float* yr = y + (size_t)blockIdx.x * n;
  __shared__ double part[32];
  double ss = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) ss += (double)xr[i] * xr[i];
  for (int o = 16; o; o >>= 1) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = ss;
  __syncthreads();
  if (threadIdx.x == 0) {
    double t = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); ++w) t += part[w];
    part[0] = t;
  }
  __syncthreads();
  const float r = (float)(1.0 / sqrt(part[0] / n + 1e-6));
  for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = xr[i] * r;
}
__global__ void k_add(float* x, const float* y, size_t n) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i < n) x[i] += y[i];
}
__global__ void k_silu(const float* u, float* h, size_t n) {
  size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
  if (i < n) h[i] = u[i] / (1.0f + expf(-u[i]));
}

// ---------------------------------------------------------------- activation quantisers
// Q8 per 32 values (quant.cpp quantize_q8): one warp per block; qx: int8 [n], dx: [n/32]
__global__ void k_quant_q8(const float* x, int8_t* qx, float* dx, int n_blocks) {
  const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
  if (warp >= n_blocks) return;
  const float v = x[(size_t)warp * 32 + lane];
  const float amax = warp_max(fabsf(v));
  const float d = amax / 127.0f;
  const float id = d > 0 ? 1.0f / d : 0.0f;
  qx[(size_t)warp * 32 + lane] = (int8_t)round_away(v * id);
  if (lane == 0) dx[warp] = d;
}
// one int8 code per value with one scale per row (quantize_planes, signed): one block per row
__global__ void k_quant_row(const float* x, int8_t* qx, float* dx, int n) {
  const float* xr = x + (size_t)blockIdx.x * n;
  __shared__ float part[32];
  float m = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, fabsf(xr[i]));
  m = warp_max(m);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = m;
  __syncthreads();
  if (threadIdx.x == 0) {
    float t = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); ++w) t = fmaxf(t, part[w]);
    part[0] = t;
  }
  __syncthreads();
  const float d = part[0] / 127.0f;
  const float id = d > 0 ? 1.0f / d : 0.0f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) qx[(size_t)blockIdx.x * n + i] = (int8_t)round_away(xr[i] * id);
  if (threadIdx.x == 0) dx[blockIdx.x] = d;
}

// ---------------------------------------------------------------- GEMV
// sum over one Q4 block (nibble words w[0..3]) times Q8 codes x (8 words)
__device__ __forceinline__ int dot_q4_block(uint4 w, const int* x) {
  int acc = 0;
  const uint32_t ws[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
  for (int k = 0; k < 4; ++k) {
    const int lo = (int)__vsub4(ws[k] & 0x0F0F0F0Fu, 0x08080808u);         // elements 4k..4k+3
    const int hi = (int)__vsub4((ws[k] >> 4) & 0x0F0F0F0Fu, 0x08080808u);  // elements 16+4k..
    acc = __dp4a(lo, x[k], acc);
    acc = __dp4a(hi, x[k + 4], acc);
  }
  return acc;
}

// y[b][r] = sum_blocks d_w d_x dot; grid (rows / kWarps, B)
__global__ void k_gemv_q4(const uint32_t* qs, const __half* d, const int8_t* qx, const float* dx, float* y,
                          int rows, int nb) {
  const int row = blockIdx.x * kWarps + (threadIdx.x >> 5), lane = threadIdx.x & 31, b = blockIdx.y;
  if (row >= rows) return;
  const int* xb = (const int*)(qx + (size_t)b * nb * 32);
  const float* db = dx + (size_t)b * nb;
  float acc = 0;
  for (int blk = lane; blk < nb; blk += 32) {
    const size_t i = (size_t)row * nb + blk;
    const uint4 w = *(const uint4*)(qs + 4 * i);
    acc += __half2float(d[i]) * db[blk] * (float)dot_q4_block(w, xb + 8 * blk);
  }
  acc = warp_sum(acc);
  if (lane == 0) y[(size_t)b * rows + row] = acc;
}

// sign bytes of 8 bits: table[v] = 8 bytes of +1 / -1 (bit set = +1), built in shared memory
__device__ __forceinline__ void sign_table(uint2* tab) {
  for (int v = threadIdx.x; v < 256; v += blockDim.x) {
    uint32_t lo = 0, hi = 0;
    for (int j = 0; j < 4; ++j) lo |= (uint32_t)((v >> j & 1) ? 0x01 : 0xFF) << (8 * j);
    for (int j = 0; j < 4; ++j) hi |= (uint32_t)((v >> (j + 4) & 1) ? 0x01 : 0xFF) << (8 * j);
    tab[v] = make_uint2(lo, hi);
  }
  __syncthreads();
}

// binary weights: y = alpha_r d_x sum_i s_i q_i; bits [rows][cols/32] uint32
__global__ void k_gemv_bin(const uint32_t* bits, const float* alpha, const int8_t* qx, const float* dx, float* y,
                           int rows, int cols) {
  __shared__ uint2 tab[256];
  sign_table(tab);
  const int row = blockIdx.x * kWarps + (threadIdx.x >> 5), lane = threadIdx.x & 31, b = blockIdx.y;
  if (row >= rows) return;
  const int nw = cols / 32;
  const int* xb = (const int*)(qx + (size_t)b * cols);
  int acc = 0;
  for (int w = lane; w < nw; w += 32) {
    const uint32_t word = bits[(size_t)row * nw + w];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const uint2 s = tab[(word >> (8 * k)) & 0xFF];
      acc = __dp4a((int)s.x, xb[8 * w + 2 * k], acc);
      acc = __dp4a((int)s.y, xb[8 * w + 2 * k + 1], acc);
    }
  }
  for (int o = 16; o; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
  if (lane == 0) y[(size_t)b * rows + row] = alpha[row] * dx[b] * (float)acc;
}

__global__ void k_gemv_f16(const __half* w, const float* x, float* y, int rows, int cols) {
  const int row = blockIdx.x * kWarps + (threadIdx.x >> 5), lane = threadIdx.x & 31, b = blockIdx.y;
  if (row >= rows) return;
  const __half2* wr = (const __half2*)(w + (size_t)row * cols);
  const float2* xb = (const float2*)(x + (size_t)b * cols);
  float acc = 0;
  for (int i = lane; i < cols / 2; i += 32) {
    const float2 wv = __half22float2(wr[i]);
    const float2 xv = xb[i];
    acc = fmaf(wv.x, xv.x, acc);
    acc = fmaf(wv.y, xv.y, acc);
  }
  acc = warp_sum(acc);
  if (lane == 0) y[(size_t)b * rows + row] = acc;
}

// ---------------------------------------------------------------- attention, split over L
struct AttnArgs {
  const float* q;  // [B][H*hd]
  int H, Hk, hd, L, Lp, n_splits;
  float* part_m;   // [B][H][S]
  float* part_l;   // [B][H][S]
  float* part_o;   // [B][H][S][hd]
};

__device__ __forceinline__ float block_max(float v, float* red) {
  v = warp_max(v);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  float t = red[0];
  for (int w = 1; w < (int)(blockDim.x >> 5); ++w) t = fmaxf(t, red[w]);
  __syncthreads();
  return t;
}
__device__ __forceinline__ float block_sum(float v, float* red) {
  v = warp_sum(v);
  if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
  __syncthreads();
  float t = 0;
  for (int w = 0; w < (int)(blockDim.x >> 5); ++w) t += red[w];
  __syncthreads();
  return t;
}

// int4: K nibbles [B][Hk][L][hd/32] blocks, Vᵀ [B][Hk][hd][Lp/32] blocks (CPU indices)
__global__ void __launch_bounds__(kAttnThreads) k_attn_q4(AttnArgs a, const uint32_t* kq, const __half* kd,
                                                          const uint32_t* vq, const __half* vd) {
  const int split = blockIdx.x, kh = blockIdx.y, b = blockIdx.z;
  const int G = a.H / a.Hk, hd = a.hd, nbk = hd / 32;
  const int t0 = split * kPChunk, t1 = min(a.L, t0 + kPChunk);
  const size_t head = (size_t)b * a.Hk + kh;
  __shared__ int qq[kMaxGroup][kMaxHd / 4];       // Q8 codes of the group's queries
  __shared__ float qd[kMaxGroup][kMaxHd / 32];
  __shared__ float s[kMaxGroup][kPChunk];          // scores, then numerators
  __shared__ int pq[kMaxGroup][kPChunk / 4];       // Q8 codes of the numerators
  __shared__ float pd[kMaxGroup][kPChunk / 32];
  __shared__ float red[32];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nwarps = blockDim.x >> 5;
  // queries -> Q8 (warp per 32-value block)
  for (int job = warp; job < G * nbk; job += nwarps) {
    const int g = job / nbk, blk = job % nbk;
    const float v = a.q[(size_t)b * a.H * hd + (size_t)(kh * G + g) * hd + blk * 32 + lane];
    const float d = warp_max(fabsf(v)) / 127.0f;
    const int8_t c = (int8_t)round_away(v * (d > 0 ? 1.0f / d : 0.0f));
    ((int8_t*)qq[g])[blk * 32 + lane] = c;
    if (lane == 0) qd[g][blk] = d;
  }
  __syncthreads();
  const float scale = rsqrtf((float)hd);
  for (int t = t0 + threadIdx.x; t < t0 + kPChunk; t += blockDim.x) {
    if (t < t1) {
      float acc[kMaxGroup];
      for (int g = 0; g < G; ++g) acc[g] = 0;
      for (int blk = 0; blk < nbk; ++blk) {
        const size_t i = (head * a.L + t) * nbk + blk;
        const uint4 w = *(const uint4*)(kq + 4 * i);
        const float dk = __half2float(kd[i]);
        for (int g = 0; g < G; ++g) acc[g] += dk * qd[g][blk] * (float)dot_q4_block(w, qq[g] + 8 * blk);
      }
      for (int g = 0; g < G; ++g) s[g][t - t0] = acc[g] * scale;
    } else {
      for (int g = 0; g < G; ++g) s[g][t - t0] = -INFINITY;
    }
  }
  __syncthreads();
  for (int g = 0; g < G; ++g) {
    float m = -INFINITY;
    for (int i = threadIdx.x; i < kPChunk; i += blockDim.x) m = fmaxf(m, s[g][i]);
    m = block_max(m, red);
    float l = 0;
    for (int i = threadIdx.x; i < kPChunk; i += blockDim.x) {
      const float e = i < t1 - t0 ? expf(s[g][i] - m) : 0.0f;
      s[g][i] = e;
      l += e;
    }
    l = block_sum(l, red);
    if (threadIdx.x == 0) {
      a.part_m[(head * G + g) * a.n_splits + split] = m;  // (b, h) with h = kh * G + g
      a.part_l[(head * G + g) * a.n_splits + split] = l;
    }
  }
  __syncthreads();
  // numerators -> Q8 per 32 tokens
  for (int job = warp; job < G * (kPChunk / 32); job += nwarps) {
    const int g = job / (kPChunk / 32), blk = job % (kPChunk / 32);
    const float v = s[g][blk * 32 + lane];
    const float d = warp_max(fabsf(v)) / 127.0f;
    ((int8_t*)pq[g])[blk * 32 + lane] = (int8_t)round_away(v * (d > 0 ? 1.0f / d : 0.0f));
    if (lane == 0) pd[g][blk] = d;
  }
  __syncthreads();
  const int nbv = a.Lp / 32, b0 = t0 / 32;
  for (int c = threadIdx.x; c < hd; c += blockDim.x) {
    float acc[kMaxGroup];
    for (int g = 0; g < G; ++g) acc[g] = 0;
    for (int blk = 0; blk < kPChunk / 32; ++blk) {
      const size_t i = (head * hd + c) * nbv + b0 + blk;
      const uint4 w = *(const uint4*)(vq + 4 * i);
      const float dv = __half2float(vd[i]);
      for (int g = 0; g < G; ++g) acc[g] += dv * pd[g][blk] * (float)dot_q4_block(w, pq[g] + 8 * blk);
    }
    for (int g = 0; g < G; ++g) a.part_o[((head * G + g) * a.n_splits + split) * hd + c] = acc[g];
  }
}

// bin: K bits [B][Hk][L][hd/64] u64, Vᵀ bits [B][Hk][Lp/kPChunk][hd][kPChunk/64] u64, scales [B][Hk][hd]
__global__ void __launch_bounds__(kAttnThreads) k_attn_bin(AttnArgs a, const uint64_t* kb, const uint64_t* vtb,
                                                           const float* ks, const float* vs) {
  const int split = blockIdx.x, kh = blockIdx.y, b = blockIdx.z;
  const int G = a.H / a.Hk, hd = a.hd, nw = hd / 64;
  const int t0 = split * kPChunk, t1 = min(a.L, t0 + kPChunk);
  const size_t head = (size_t)b * a.Hk + kh;
  __shared__ uint64_t qb[kMaxGroup][kMaxHd / 64];
  __shared__ float unit[kMaxGroup];
  __shared__ short si[kMaxGroup][kPChunk];
  __shared__ uint32_t codes[kMaxGroup][kPChunk / 4];  // 8-bit codes, 4 per word
  __shared__ float red[32];
  __shared__ float dps[kMaxGroup];
  __shared__ int qsums[kMaxGroup];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nwarps = blockDim.x >> 5;
  // binarised queries: q'_c = ks_c q_c, sign bits, s_q = mean |q'|
  for (int g = warp; g < G; g += nwarps) {
    const float* q = a.q + (size_t)b * a.H * hd + (size_t)(kh * G + g) * hd;
    float sa = 0;
    for (int w = 0; w < nw; ++w) {
      const float v0 = ks[head * hd + w * 64 + lane] * q[w * 64 + lane];
      const float v1 = ks[head * hd + w * 64 + 32 + lane] * q[w * 64 + 32 + lane];
      sa += fabsf(v0) + fabsf(v1);
      const uint32_t lo = __ballot_sync(0xffffffffu, v0 >= 0), hi = __ballot_sync(0xffffffffu, v1 >= 0);
      if (lane == 0) qb[g][w] = (uint64_t)lo | (uint64_t)hi << 32;
    }
    sa = warp_sum(sa);
    if (lane == 0) unit[g] = sa / hd * rsqrtf((float)hd);
  }
  __syncthreads();
  for (int t = t0 + threadIdx.x; t < t0 + kPChunk; t += blockDim.x) {
    int pop[kMaxGroup];
    for (int g = 0; g < G; ++g) pop[g] = 0;
    if (t < t1) {
      for (int w = 0; w < nw; ++w) {
        const uint64_t k = kb[(head * a.L + t) * nw + w];
        for (int g = 0; g < G; ++g) pop[g] += __popcll(k ^ qb[g][w]);
      }
      for (int g = 0; g < G; ++g) si[g][t - t0] = (short)(hd - 2 * pop[g]);
    } else {
      for (int g = 0; g < G; ++g) si[g][t - t0] = (short)-32768;  // no token
    }
  }
  __syncthreads();
  for (int g = 0; g < G; ++g) {
    float smax = -1e30f;
    for (int i = threadIdx.x; i < kPChunk; i += blockDim.x) smax = fmaxf(smax, (float)si[g][i]);
    smax = block_max(smax, red);
    const float u = unit[g], m = u * smax;
    // codes relative to this chunk's max (code scale d = 1/255 of exp(0) = 1)
    float l = 0;
    int qs = 0;
    for (int i4 = threadIdx.x; i4 < kPChunk / 4; i4 += blockDim.x) {
      uint32_t word = 0;
      for (int j = 0; j < 4; ++j) {
        const int i = 4 * i4 + j;
        uint32_t c = 0;
        if (si[g][i] != -32768) {
          const float e = expf(u * (float)si[g][i] - m);
          l += e;
          c = (uint32_t)fminf(255.0f, floorf(e * 255.0f + 0.5f));
        }
        qs += (int)c;
        word |= c << (8 * j);
      }
      codes[g][i4] = word;
    }
    l = block_sum(l, red);
    const float qsf = block_sum((float)qs, red);  // < 2^24: exact
    if (threadIdx.x == 0) {
      a.part_m[(head * G + g) * a.n_splits + split] = m;
      a.part_l[(head * G + g) * a.n_splits + split] = l;
      dps[g] = 1.0f / 255.0f;
      qsums[g] = (int)qsf;
    }
  }
  __syncthreads();
  const int words = kPChunk / 64;
  const uint64_t* vchunk = vtb + (head * (a.Lp / kPChunk) + split) * (size_t)hd * words;
  for (int c = threadIdx.x; c < hd; c += blockDim.x) {
    unsigned r[kMaxGroup];
    for (int g = 0; g < G; ++g) r[g] = 0;
    for (int w = 0; w < words; ++w) {
      const uint64_t v = vchunk[(size_t)c * words + w];
#pragma unroll 4
      for (int n = 0; n < 16; ++n) {  // 4 tokens per step: bits -> 0/1 bytes, dp4a with 4 codes
        const uint32_t nib = (uint32_t)(v >> (4 * n)) & 0xF;
        const uint32_t m01 = (nib * 0x00204081u) & 0x01010101u;
        for (int g = 0; g < G; ++g) r[g] = __dp4a(m01, codes[g][w * 16 + n], r[g]);
      }
    }
    for (int g = 0; g < G; ++g)
      a.part_o[((head * G + g) * a.n_splits + split) * hd + c] = vs[head * hd + c] * dps[g] * (float)(2 * (int)r[g] - qsums[g]);
  }
}

// fp16: K, V [B][Hk][L][hd]
__global__ void __launch_bounds__(kAttnThreads) k_attn_f16(AttnArgs a, const __half* k16, const __half* v16) {
  const int split = blockIdx.x, kh = blockIdx.y, b = blockIdx.z;
  const int G = a.H / a.Hk, hd = a.hd;
  const int t0 = split * kPChunk, t1 = min(a.L, t0 + kPChunk);
  const size_t head = (size_t)b * a.Hk + kh;
  __shared__ float qs[kMaxGroup][kMaxHd];
  __shared__ float s[kMaxGroup][kPChunk];
  __shared__ float red[32];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nwarps = blockDim.x >> 5;
  for (int i = threadIdx.x; i < G * hd; i += blockDim.x)
    qs[i / hd][i % hd] = a.q[(size_t)b * a.H * hd + (size_t)(kh * G) * hd + i];
  __syncthreads();
  const float scale = rsqrtf((float)hd);
  for (int t = t0 + warp; t < t0 + kPChunk; t += nwarps) {  // warp per token: coalesced rows
    if (t >= t1) {
      if (lane == 0)
        for (int g = 0; g < G; ++g) s[g][t - t0] = -INFINITY;
      continue;
    }
    const __half* kr = k16 + (head * a.L + t) * hd;
    for (int g = 0; g < G; ++g) {
      float acc = 0;
      for (int i = lane; i < hd; i += 32) acc = fmaf(__half2float(kr[i]), qs[g][i], acc);
      acc = warp_sum(acc);
      if (lane == 0) s[g][t - t0] = acc * scale;
    }
  }
  __syncthreads();
  for (int g = 0; g < G; ++g) {
    float m = -INFINITY;
    for (int i = threadIdx.x; i < kPChunk; i += blockDim.x) m = fmaxf(m, s[g][i]);
    m = block_max(m, red);
    float l = 0;
    for (int i = threadIdx.x; i < kPChunk; i += blockDim.x) {
      const float e = i < t1 - t0 ? expf(s[g][i] - m) : 0.0f;
      s[g][i] = e;
      l += e;
    }
    l = block_sum(l, red);
    if (threadIdx.x == 0) {
      a.part_m[(head * G + g) * a.n_splits + split] = m;
      a.part_l[(head * G + g) * a.n_splits + split] = l;
    }
  }
  __syncthreads();
  for (int c = threadIdx.x; c < hd; c += blockDim.x) {
    float acc[kMaxGroup];
    for (int g = 0; g < G; ++g) acc[g] = 0;
    for (int t = t0; t < t1; ++t) {
      const float v = __half2float(v16[(head * a.L + t) * hd + c]);
      for (int g = 0; g < G; ++g) acc[g] = fmaf(s[g][t - t0], v, acc[g]);
    }
    for (int g = 0; g < G; ++g) a.part_o[((head * G + g) * a.n_splits + split) * hd + c] = acc[g];
  }
}

// out[b][h] = (sum_j o_j e^{m_j - M} + e^{self - M} v_cur) / (sum_j l_j e^{m_j - M} + e^{self - M});
// grid (H, B), block hd threads
__global__ void k_attn_combine(AttnArgs a, const float* k, const float* v, float* out) {
  const int h = blockIdx.x, b = blockIdx.y, c = threadIdx.x, hd = a.hd, G = a.H / a.Hk, kh = h / G;
  const size_t bh = (size_t)b * a.H + h;
  __shared__ float red[32];
  const float* q = a.q + (size_t)b * a.H * hd + (size_t)h * hd;
  const float* kc = k + (size_t)b * a.Hk * hd + (size_t)kh * hd;
  const float* vc = v + (size_t)b * a.Hk * hd + (size_t)kh * hd;
  const float self = block_sum(q[c] * kc[c], red) * rsqrtf((float)hd);
  float M = self;
  for (int j = 0; j < a.n_splits; ++j) M = fmaxf(M, a.part_m[bh * a.n_splits + j]);
  const float ps = expf(self - M);
  float Z = ps, o = ps * vc[c];
  for (int j = 0; j < a.n_splits; ++j) {
    const float f = expf(a.part_m[bh * a.n_splits + j] - M);
    Z += a.part_l[bh * a.n_splits + j] * f;
    o += a.part_o[(bh * a.n_splits + j) * hd + c] * f;
  }
  out[(size_t)b * a.H * hd + (size_t)h * hd + c] = o / Z;
}

// ---------------------------------------------------------------- the model on the device
struct DevMatrix {
  int rows = 0, cols = 0;
  DevBuf<uint32_t> q4;   // int4 nibble words [blocks][4]
  DevBuf<__half> d;      // int4 scales [blocks]
  DevBuf<uint64_t> bits; // bin [rows][cols/64]
  DevBuf<float> alpha;   // bin [rows]
  DevBuf<__half> f16;    // fp16 [rows][cols]
  size_t bytes() const { return q4.bytes() + d.bytes() + bits.bytes() + alpha.bytes() + f16.bytes(); }
};

uint64_t stream_of(int layer, int tensor, int part) { return ((uint64_t)layer << 8) | (uint64_t)(tensor << 2) | (uint64_t)part; }

class GpuBenchImpl : public GpuBench {
 public:
  GpuBenchImpl(const Shape& s, Quant q, uint64_t seed, int dev) : s_(s), q_(q), seed_(seed) {
    dev_ = probe(dev);
    DK(cudaSetDevice(dev));
    if (s.head_dim() > kMaxHd || s.n_heads / s.n_kv_heads > kMaxGroup)
      throw binllm::ConfigError("n_heads: the CUDA path supports head_dim <= " + std::to_string(kMaxHd) +
                                " and n_heads / n_kv_heads <= " + std::to_string(kMaxGroup));
    DK(cudaStreamCreate(&stream_));
    DK(cudaEventCreate(&e0_));
    DK(cudaEventCreate(&e1_));
    const int D = s.d_model, KV = s.kv_dim(), F = s.d_ff;
    layers_.resize(s.n_layers);
    for (int l = 0; l < s.n_layers; ++l) {
      make(layers_[l].wq, D, D, stream_of(l, 0, 0));
      make(layers_[l].wk, KV, D, stream_of(l, 1, 0));
      make(layers_[l].wv, KV, D, stream_of(l, 2, 0));
      make(layers_[l].wo, D, D, stream_of(l, 3, 0));
      make(layers_[l].wu, F, D, stream_of(l, 4, 0));
      make(layers_[l].wd, D, F, stream_of(l, 5, 0));
    }
    const size_t B = s.batch, W = std::max(D, F);
    x_.alloc(B * D);
    xn_.alloc(B * W);
    qv_.alloc(B * D);
    k_.alloc(B * KV);
    v_.alloc(B * KV);
    a_.alloc(B * D);
    u_.alloc(B * W);
    qx_.alloc(B * W);
    dx_.alloc(B * W / 32 + B);
    x0_.alloc(B * D);
    std::vector<float> x0(B * D);
    for (size_t i = 0; i < x0.size(); ++i) x0[i] = 1.7320508f * (2.0f * rand_unit(seed, stream_of(255, 63, 0), i) - 1.0f);
    DK(cudaMemcpy(x0_.p, x0.data(), x0.size() * 4, cudaMemcpyHostToDevice));
    DK(cudaDeviceSynchronize());
  }
  ~GpuBenchImpl() override {
    if (stream_) cudaStreamDestroy(stream_);
    if (e0_) cudaEventDestroy(e0_);
    if (e1_) cudaEventDestroy(e1_);
  }
  const GpuDevice& device() const override { return dev_; }

  void fill_cache(int L) override {
    const int hd = s_.head_dim();
    const size_t heads = (size_t)s_.batch * s_.n_kv_heads;
    const int Lp = (L + kPChunk - 1) / kPChunk * kPChunk;
    L_ = L;
    Lp_ = Lp;
    cache_.clear();
    cache_.resize(s_.n_layers);
    for (int l = 0; l < s_.n_layers; ++l) {
      Cache& c = cache_[l];
      if (q_ == Quant::Int4) {
        fill_q4(c.kq, c.kd, heads * L * (hd / 32), stream_of(l, 8, 0), 1.0f / 4.6f);
        fill_q4(c.vq, c.vd, heads * hd * (Lp / 32), stream_of(l, 9, 0), 1.0f / 4.6f);
      } else if (q_ == Quant::Bin) {
        fill_bits(c.kb, heads * L * (hd / 64), stream_of(l, 8, 0));
        fill_bits(c.vb, heads * hd * (Lp / 64), stream_of(l, 9, 0));
        fill_scales(c.ks, heads * hd, stream_of(l, 8, 1), 1.0f);
        fill_scales(c.vs, heads * hd, stream_of(l, 9, 1), 1.0f);
      } else {
        fill_f16(c.k16, heads * L * hd, stream_of(l, 8, 0), 1.0f);
        fill_f16(c.v16, heads * L * hd, stream_of(l, 9, 0), 1.0f);
      }
    }
    const int S = Lp / kPChunk;
    const size_t BH = (size_t)s_.batch * s_.n_heads;
    pm_.alloc(BH * S);
    pl_.alloc(BH * S);
    po_.alloc(BH * S * hd);
    DK(cudaDeviceSynchronize());
  }

  void step() override { run_step(false); }
  void sync() override { DK(cudaStreamSynchronize(stream_)); }
  double attention_ms() override {
    run_step(true);
    sync();
    return attn_ms_;
  }
  double copy_gbps() override {
    size_t bytes = std::min<size_t>((size_t)1 << 30, dev_.free_mem / 8);
    DevBuf<char> a, b;
    a.alloc(bytes);
    b.alloc(bytes);
    DK(cudaMemsetAsync(b.p, 1, bytes, stream_));
    float best = 1e30f;
    for (int rep = 0; rep < 6; ++rep) {
      DK(cudaEventRecord(e0_, stream_));
      DK(cudaMemcpyAsync(a.p, b.p, bytes, cudaMemcpyDeviceToDevice, stream_));
      DK(cudaEventRecord(e1_, stream_));
      DK(cudaEventSynchronize(e1_));
      float ms;
      DK(cudaEventElapsedTime(&ms, e0_, e1_));
      if (rep) best = std::min(best, ms);  // the first copy warms up
    }
    return 2.0 * (double)bytes / (best * 1e-3) / 1e9;
  }
  std::vector<float> hidden() override {
    std::vector<float> h((size_t)s_.batch * s_.d_model);
    DK(cudaMemcpyAsync(h.data(), hid_ptr(), h.size() * 4, cudaMemcpyDeviceToHost, stream_));
    sync();
    return h;
  }
  size_t weight_bytes() const override {
    size_t n = 0;
    for (auto& w : layers_) n += w.wq.bytes() + w.wk.bytes() + w.wv.bytes() + w.wo.bytes() + w.wu.bytes() + w.wd.bytes();
    return n;
  }
  size_t cache_bytes() const override {
    size_t n = 0;
    for (auto& c : cache_)
      n += c.kq.bytes() + c.kd.bytes() + c.vq.bytes() + c.vd.bytes() + c.kb.bytes() + c.vb.bytes() + c.ks.bytes() +
           c.vs.bytes() + c.k16.bytes() + c.v16.bytes();
    return n;
  }

 private:
  struct Layer {
    DevMatrix wq, wk, wv, wo, wu, wd;
  };
  struct Cache {
    DevBuf<uint32_t> kq, vq;
    DevBuf<__half> kd, vd;
    DevBuf<uint64_t> kb, vb;
    DevBuf<float> ks, vs;
    DevBuf<__half> k16, v16;
  };

  void fill_q4(DevBuf<uint32_t>& q, DevBuf<__half>& d, size_t blocks, uint64_t st, float base) {
    q.alloc(blocks * 4);
    d.alloc(blocks);
    k_fill_q4<<<fill_grid(blocks), 256, 0, stream_>>>(q.p, d.p, blocks, seed_, st, base);
    DK(cudaGetLastError());
  }
  void fill_bits(DevBuf<uint64_t>& w, size_t n, uint64_t st) {
    w.alloc(n);
    k_fill_bits<<<fill_grid(n), 256, 0, stream_>>>(w.p, n, seed_, st);
    DK(cudaGetLastError());
  }
  void fill_scales(DevBuf<float>& v, size_t n, uint64_t st, float base) {
    v.alloc(n);
    k_fill_scales<<<fill_grid(n), 256, 0, stream_>>>(v.p, n, seed_, st, base);
    DK(cudaGetLastError());
  }
  void fill_f16(DevBuf<__half>& v, size_t n, uint64_t st, float base) {
    v.alloc(n);
    k_fill_f16<<<fill_grid(n), 256, 0, stream_>>>(v.p, n, seed_, st, base);
    DK(cudaGetLastError());
  }
  void make(DevMatrix& m, int rows, int cols, uint64_t st) {
    m.rows = rows;
    m.cols = cols;
    const float inv = 1.0f / std::sqrt((float)cols);
    if (q_ == Quant::Int4) {
      fill_q4(m.q4, m.d, (size_t)rows * cols / 32, st, inv / 4.6f);
    } else if (q_ == Quant::Bin) {
      fill_bits(m.bits, (size_t)rows * cols / 64, st);
      fill_scales(m.alpha, rows, st | 1, inv);
    } else {
      fill_f16(m.f16, (size_t)rows * cols, st, inv);
    }
  }

  float* hid_ptr() { return xn_.p; }  // the final rmsnorm writes xn_

  // quantise B rows of x [B][cols] for the next GEMVs
  void prepare(const float* x, int cols) {
    const int B = s_.batch;
    if (q_ == Quant::Int4) {
      const int blocks = B * cols / 32;
      k_quant_q8<<<(blocks * 32 + 255) / 256, 256, 0, stream_>>>(x, qx_.p, dx_.p, blocks);
    } else if (q_ == Quant::Bin) {
      k_quant_row<<<B, 256, 0, stream_>>>(x, qx_.p, dx_.p, cols);
    }
  }
  void gemv(const DevMatrix& w, const float* x, float* y) {
    dim3 grid((w.rows + kWarps - 1) / kWarps, s_.batch);
    if (q_ == Quant::Int4) {
      k_gemv_q4<<<grid, 32 * kWarps, 0, stream_>>>(w.q4.p, w.d.p, qx_.p, dx_.p, y, w.rows, w.cols / 32);
    } else if (q_ == Quant::Bin) {
      k_gemv_bin<<<grid, 32 * kWarps, 0, stream_>>>((const uint32_t*)w.bits.p, w.alpha.p, qx_.p, dx_.p, y, w.rows, w.cols);
    } else {
      k_gemv_f16<<<grid, 32 * kWarps, 0, stream_>>>(w.f16.p, x, y, w.rows, w.cols);
    }
  }
  void attention(int l) {
    const Cache& c = cache_[l];
    AttnArgs a{qv_.p, s_.n_heads, s_.n_kv_heads, s_.head_dim(), L_, Lp_, Lp_ / kPChunk, pm_.p, pl_.p, po_.p};
    dim3 grid(a.n_splits, s_.n_kv_heads, s_.batch);
    if (q_ == Quant::Int4) k_attn_q4<<<grid, kAttnThreads, 0, stream_>>>(a, c.kq.p, c.kd.p, c.vq.p, c.vd.p);
    else if (q_ == Quant::Bin) k_attn_bin<<<grid, kAttnThreads, 0, stream_>>>(a, c.kb.p, c.vb.p, c.ks.p, c.vs.p);
    else k_attn_f16<<<grid, kAttnThreads, 0, stream_>>>(a, c.k16.p, c.v16.p);
    k_attn_combine<<<dim3(s_.n_heads, s_.batch), s_.head_dim(), 0, stream_>>>(a, k_.p, v_.p, a_.p);
  }
  void run_step(bool time_attention) {
    const int D = s_.d_model, F = s_.d_ff, B = s_.batch;
    const size_t nd = (size_t)B * D, nf = (size_t)B * F;
    DK(cudaMemcpyAsync(x_.p, x0_.p, nd * 4, cudaMemcpyDeviceToDevice, stream_));
    float total_attn = 0;
    for (int l = 0; l < s_.n_layers; ++l) {
      const Layer& w = layers_[l];
      k_rmsnorm<<<B, 256, 0, stream_>>>(x_.p, xn_.p, D);
      prepare(xn_.p, D);
      gemv(w.wq, xn_.p, qv_.p);
      gemv(w.wk, xn_.p, k_.p);
      gemv(w.wv, xn_.p, v_.p);
      if (time_attention) DK(cudaEventRecord(e0_, stream_));
      attention(l);
      if (time_attention) {
        DK(cudaEventRecord(e1_, stream_));
        DK(cudaEventSynchronize(e1_));
        float ms;
        DK(cudaEventElapsedTime(&ms, e0_, e1_));
        total_attn += ms;
      }
      prepare(a_.p, D);
      gemv(w.wo, a_.p, u_.p);
      k_add<<<(unsigned)((nd + 255) / 256), 256, 0, stream_>>>(x_.p, u_.p, nd);
      k_rmsnorm<<<B, 256, 0, stream_>>>(x_.p, xn_.p, D);
      prepare(xn_.p, D);
      gemv(w.wu, xn_.p, u_.p);
      k_silu<<<(unsigned)((nf + 255) / 256), 256, 0, stream_>>>(u_.p, xn_.p, nf);
      prepare(xn_.p, F);
      gemv(w.wd, xn_.p, u_.p);
      k_add<<<(unsigned)((nd + 255) / 256), 256, 0, stream_>>>(x_.p, u_.p, nd);
    }
    k_rmsnorm<<<B, 256, 0, stream_>>>(x_.p, xn_.p, D);
    DK(cudaGetLastError());
    if (time_attention) attn_ms_ = total_attn;
  }

  Shape s_;
  Quant q_;
  uint64_t seed_;
  GpuDevice dev_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t e0_ = nullptr, e1_ = nullptr;
  std::vector<Layer> layers_;
  std::vector<Cache> cache_;
  int L_ = 0, Lp_ = 0;
  double attn_ms_ = 0;
  DevBuf<float> x_, xn_, qv_, k_, v_, a_, u_, dx_, x0_, pm_, pl_, po_;
  DevBuf<int8_t> qx_;
};

}  // namespace

GpuDevice GpuBench::probe(int device_index) {
  // The shared probe (device count, index, a test launch for this build's architectures).
  llmc::cuda::DeviceInfo info;
  std::string err;
  if (!llmc::cuda::probe(device_index, &info, &err)) throw binllm::ResourceError("device: " + err);
  GpuDevice d;
  d.name = info.name;
  d.cc = info.cc;
  char bus[64];
  DK(cudaDeviceGetPCIBusId(bus, sizeof bus, device_index));
  d.pci_bus = bus;
  DK(cudaMemGetInfo(&d.free_mem, &d.total_mem));
  return d;
}

std::unique_ptr<GpuBench> GpuBench::create(const Shape& s, Quant q, uint64_t seed, int device_index) {
  return std::make_unique<GpuBenchImpl>(s, q, seed, device_index);
}

}  // namespace decode
