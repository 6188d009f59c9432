// Device layers (layers.cuh): plain kernels, one per operation.
#include <cuda_runtime.h>

#include <cmath>

#include "cuda/layers.cuh"
#include "llmc/math.hpp"

namespace llmc {
namespace cuda {

namespace {

inline unsigned blocks(int64_t n, int th) { return (unsigned)((n + th - 1) / th); }

__global__ void k_embedding(float* out, const int* tok, const float* wte, const float* wpe, int N, int T, int C) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (int64_t)N * C) return;
  const int r = (int)(i / C), c = (int)(i % C);
  const float e = wte[(size_t)tok[r] * C + c];
  out[i] = wpe ? e + wpe[(size_t)(r % T) * C + c] : e;
}

// One thread per row, the CPU's order of operations (sum of squares in double).
__global__ void k_rmsnorm(float* out, const float* x, const float* w, int N, int C, float eps) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= N) return;
  const float* xt = x + (size_t)t * C;
  double ss = 0;
  for (int c = 0; c < C; c++) ss += (double)xt[c] * xt[c];
  const float r = (float)(1.0 / sqrt(ss / C + eps));
  float* o = out + (size_t)t * C;
  for (int c = 0; c < C; c++) o[c] = __fmul_rn(__fmul_rn(xt[c], r), w[c]);
}

// One warp per row.
__global__ void k_layernorm(float* out, const float* inp, const float* w, const float* b, int N, int C, float eps) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;
  const float* x = inp + (size_t)row * C;
  float s = 0.f;
  for (int i = lane; i < C; i += 32) s += x[i];
  for (int o = 16; o > 0; o /= 2) s += __shfl_xor_sync(0xffffffffu, s, o);
  const float m = s / C;
  float v = 0.f;
  for (int i = lane; i < C; i += 32) {
    const float d = x[i] - m;
    v += d * d;
  }
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  const float rs = 1.0f / sqrtf(v / C + eps);
  float* y = out + (size_t)row * C;
  for (int i = lane; i < C; i += 32) y[i] = (rs * (x[i] - m)) * w[i] + b[i];
}

constexpr int TS = 16;  // matmul tile
__global__ void k_matmul(float* out, const float* inp, const float* W, const float* bias, int N, int K, int OC, int ldo) {
  __shared__ float As[TS][TS + 1];  // (rows of x, k)
  __shared__ float Ws[TS][TS + 1];  // (rows of W, k)
  const int n = blockIdx.y * TS + threadIdx.y;
  const int o = blockIdx.x * TS + threadIdx.x;
  const int wo = blockIdx.x * TS + threadIdx.y;  // W row loaded by this thread
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += TS) {
    const int k = k0 + threadIdx.x;
    As[threadIdx.y][threadIdx.x] = (n < N && k < K) ? inp[(size_t)n * K + k] : 0.f;
    Ws[threadIdx.y][threadIdx.x] = (wo < OC && k < K) ? W[(size_t)wo * K + k] : 0.f;
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < TS; kk++) acc = fmaf(As[threadIdx.y][kk], Ws[threadIdx.x][kk], acc);
    __syncthreads();
  }
  if (n < N && o < OC) out[(size_t)n * ldo + o] = acc + (bias ? bias[o] : 0.f);
}

// One thread per (t, pair i): the angle in double as llmc::rope, applied to every head.
__global__ void k_rope(float* x, int T, int n_heads, int head_dim, int rot_dim, double theta, int pos0) {
  const int half = rot_dim / 2;
  const int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (int64_t)T * half) return;
  const int t = (int)(idx / half), i = (int)(idx % half);
  const double a = (double)(pos0 + t) * pow(theta, -2.0 * i / rot_dim);
  const float c = (float)cos(a), s = (float)sin(a);
  for (int h = 0; h < n_heads; h++) {
    float* p = x + ((size_t)t * n_heads + h) * head_dim + 2 * i;
    const float x0 = p[0], x1 = p[1];
    p[0] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
    p[1] = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
  }
}

__global__ void k_swiglu(float* out, const float* gate, const float* up, int64_t n) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = gate[i];
  out[i] = g / (1.f + expf(-g)) * up[i];
}

__global__ void k_gelu(float* x, int64_t n) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = llmc::gelu_f(x[i]);
}

__global__ void k_add(float* x, const float* y, int64_t n) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = __fadd_rn(x[i], y[i]);
}

// One thread per query; consecutive threads are consecutive positions of one head, so a warp
// reads the same key rows at the same time.
__global__ void k_attention(AttentionArgs a) {
  const int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < (int64_t)a.B * a.n_heads * a.T) attention_at(a, idx);
}

// One block of NLL_TH threads per row.
constexpr int NLL_TH = 256;
__global__ void k_nll_rows(double* nll, unsigned char* hit, const float* logits, const int* targets, int N, int V) {
  __shared__ float smx[NLL_TH];
  __shared__ int sarg[NLL_TH];
  __shared__ double ssum[NLL_TH];
  const int row = blockIdx.x, tid = threadIdx.x;
  if (row >= N) return;
  const float* l = logits + (size_t)row * V;
  float mx = -INFINITY;
  int arg = V;
  for (int i = tid; i < V; i += NLL_TH)
    if (l[i] > mx) { mx = l[i]; arg = i; }  // first index of this thread's maximum
  smx[tid] = mx;
  sarg[tid] = arg;
  __syncthreads();
  for (int s = NLL_TH / 2; s > 0; s /= 2) {
    if (tid < s) {
      const float om = smx[tid + s];
      const int oa = sarg[tid + s];
      if (om > smx[tid] || (om == smx[tid] && oa < sarg[tid])) { smx[tid] = om; sarg[tid] = oa; }
    }
    __syncthreads();
  }
  const double m = smx[0];
  double z = 0;
  for (int i = tid; i < V; i += NLL_TH) z += exp((double)l[i] - m);
  ssum[tid] = z;
  __syncthreads();
  for (int s = NLL_TH / 2; s > 0; s /= 2) {
    if (tid < s) ssum[tid] += ssum[tid + s];
    __syncthreads();
  }
  if (tid == 0) {
    const int tg = targets[row];
    nll[row] = -((double)l[tg] - m - log(ssum[0]));
    hit[row] = sarg[0] == tg ? 1 : 0;
  }
}

}  // namespace

void embedding(float* out, const int* tok, const float* wte, const float* wpe, int N, int T, int C) {
  k_embedding<<<blocks((int64_t)N * C, 256), 256>>>(out, tok, wte, wpe, N, T, C);
}

void rmsnorm(float* out, const float* x, const float* w, int N, int C, float eps) {
  k_rmsnorm<<<blocks(N, 128), 128>>>(out, x, w, N, C, eps);
}

void layernorm(float* out, const float* x, const float* w, const float* b, int N, int C, float eps) {
  const int wpb = 8;  // warps per block
  k_layernorm<<<blocks(N, wpb), 32 * wpb>>>(out, x, w, b, N, C, eps);
}

void matmul(float* out, const float* x, const float* W, const float* bias, int N, int K, int OC, int ldo) {
  dim3 th(TS, TS), gr(blocks(OC, TS), blocks(N, TS));
  k_matmul<<<gr, th>>>(out, x, W, bias, N, K, OC, ldo > 0 ? ldo : OC);
}

void rope(float* x, int T, int n_heads, int head_dim, int rot_dim, double theta, int pos0) {
  k_rope<<<blocks((int64_t)T * (rot_dim / 2), 128), 128>>>(x, T, n_heads, head_dim, rot_dim, theta, pos0);
}

void swiglu(float* out, const float* gate, const float* up, int64_t n) {
  k_swiglu<<<blocks(n, 256), 256>>>(out, gate, up, n);
}
void gelu(float* x, int64_t n) { k_gelu<<<blocks(n, 256), 256>>>(x, n); }
void add(float* x, const float* y, int64_t n) { k_add<<<blocks(n, 256), 256>>>(x, y, n); }

bool attention(const AttentionArgs& a, std::string* err) {
  if (a.hd > kMaxHeadDim || a.n_kv <= 0 || a.n_heads % a.n_kv) {
    if (err) *err = "attention: head_dim " + std::to_string(a.hd) + " > " + std::to_string(kMaxHeadDim) +
                    " or n_heads " + std::to_string(a.n_heads) + " not a multiple of n_kv " + std::to_string(a.n_kv);
    return false;
  }
  k_attention<<<blocks((int64_t)a.B * a.n_heads * a.T, 64), 64>>>(a);
  return true;
}

void nll_rows(double* nll, unsigned char* hit, const float* logits, const int* targets, int N, int V) {
  if (N > 0) k_nll_rows<<<N, NLL_TH>>>(nll, hit, logits, targets, N, V);
}

bool sync(const char* what, std::string* err) {
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaDeviceSynchronize();
  if (e != cudaSuccess) {
    if (err) *err = std::string(what) + ": " + cudaGetErrorString(e);
    return false;
  }
  return true;
}

}  // namespace cuda
}  // namespace llmc
