// CUDA evaluation of the packed NLU encoder (see cuda_eval.hpp). Plain kernels, one thread per
// output element, each summing over k in ascending order like the CPU path; BitLinear rows are
// read as packed sign bits and multiplied with int8 activations in int32. The residual add and
// GELU are the shared llmc::cuda layers; LayerNorm, attention (bidirectional, key padding) and
// the linears stay here: they reproduce the CPU's sequential order of operations, which the
// shared warp-reduced LayerNorm and the causal attention do not.
#include "cuda_eval.hpp"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <memory>

#include "cuda/layers.cuh"
#include "llmc/math.hpp"
#include "llmc/quant.hpp"

namespace nlu {

namespace {

#define NLU_CK(x)                                                                   \
  do {                                                                              \
    cudaError_t e_ = (x);                                                           \
    if (e_ != cudaSuccess) {                                                        \
      if (err) *err = std::string(#x) + ": " + cudaGetErrorString(e_);              \
      return false;                                                                 \
    }                                                                               \
  } while (0)

__constant__ float c_nf4[16];

// Device copy of one vector; freed with the arena.
struct Arena {
  std::vector<void*> ptrs;
  ~Arena() {
    for (void* p : ptrs) cudaFree(p);
  }
  template <class T>
  T* put(const T* h, size_t n, std::string* err) {
    if (n == 0) return nullptr;
    void* d = nullptr;
    if (cudaMalloc(&d, n * sizeof(T)) != cudaSuccess) {
      if (err) *err = "out of device memory";
      return nullptr;
    }
    ptrs.push_back(d);
    if (h) cudaMemcpy(d, h, n * sizeof(T), cudaMemcpyHostToDevice);
    return static_cast<T*>(d);
  }
};

struct DLinear {  // a PackedLinear on the device
  int kind = 0, in = 0, out = 0, group = 32, act8 = 0, rank = 0;
  float lora_s = 0;
  const uint16_t* f16 = nullptr;
  const float* f32 = nullptr;
  const uint8_t* nib = nullptr;
  const uint8_t* bits = nullptr;
  const uint8_t* trit = nullptr;
  const float *scale = nullptr, *bias = nullptr, *la = nullptr, *lb = nullptr;
};

// llmc::round_half_away on the device
__device__ float round_half_away_d(float x) { return x >= 0.f ? (float)(int64_t)(x + 0.5f) : -(float)(int64_t)(-x + 0.5f); }

__device__ float half_to_float_d(uint16_t h) { return __half2float(__ushort_as_half(h)); }

__device__ float weight_at(const DLinear& L, int o, int k) {
  const size_t i = (size_t)o * L.in + k;
  switch (L.kind) {
    case (int)PackKind::kF16: return half_to_float_d(L.f16[i]);
    case (int)PackKind::kF32: return L.f32[i];
    case (int)PackKind::kInt4: return (float)(((L.nib[i / 2] >> ((i & 1) * 4)) & 15) - 8) * L.scale[i / L.group];
    case (int)PackKind::kNf4: return c_nf4[(L.nib[i / 2] >> ((i & 1) * 4)) & 15] * L.scale[i / L.group];
    case (int)PackKind::kTernary: {
      const int p3[5] = {1, 3, 9, 27, 81};
      const int t = (L.trit[i / 5] / p3[i % 5]) % 3;
      return t == 1 ? L.scale[0] : (t == 2 ? -L.scale[0] : 0.f);
    }
    default: {  // kBinary
      const size_t rb = ((size_t)L.in + 7) / 8;
      return ((L.bits[(size_t)o * rb + k / 8] >> (k % 8)) & 1) ? L.scale[o] : -L.scale[o];
    }
  }
}

// q (N,in) int8 and s (N) = 127 / max|x| per row (0 for an all-zero row)
__global__ void k_act8(int8_t* q, float* s, const float* x, int N, int in) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  const float* r = x + (size_t)n * in;
  float amax = 0.f;
  for (int i = 0; i < in; i++) amax = fmaxf(amax, fabsf(r[i]));
  const float sc = amax == 0.f ? 0.f : 127.0f / amax;
  s[n] = sc;
  for (int i = 0; i < in; i++) {
    float v = sc == 0.f ? 0.f : round_half_away_d(__fmul_rn(r[i], sc));
    v = v > 127.f ? 127.f : (v < -128.f ? -128.f : v);
    q[(size_t)n * in + i] = (int8_t)v;
  }
}

// y[n*ld + o] = x (N,in) @ W^T + b (one thread per output)
__global__ void k_linear(float* y, size_t ld, const float* x, const int8_t* q, const float* s, DLinear L, int N) {
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * L.out) return;
  const int n = (int)(idx / L.out), o = (int)(idx % L.out);
  float v;
  if (L.kind == (int)PackKind::kBinary && L.act8) {
    const size_t rb = ((size_t)L.in + 7) / 8;
    int32_t acc = 0;
    for (int k = 0; k < L.in; k++) {
      const int sg = ((L.bits[(size_t)o * rb + k / 8] >> (k % 8)) & 1) ? 1 : -1;
      acc += (int32_t)q[(size_t)n * L.in + k] * sg;
    }
    v = s[n] == 0.f ? 0.f : __fdiv_rn(__fmul_rn((float)acc, L.scale[o]), s[n]);
  } else {
    float acc = 0.f;
    for (int k = 0; k < L.in; k++) {
      const float a = L.act8 ? (s[n] == 0.f ? 0.f : __fdiv_rn((float)q[(size_t)n * L.in + k], s[n])) : x[(size_t)n * L.in + k];
      acc = __fadd_rn(acc, __fmul_rn(a, weight_at(L, o, k)));
    }
    v = acc;
  }
  y[(size_t)n * ld + o] = L.bias ? __fadd_rn(v, L.bias[o]) : v;
}

// LoRA: h (N,r) = x A^T; y[n*ld+o] += s * h B^T
__global__ void k_lora_h(float* h, const float* x, DLinear L, int N) {
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= N * L.rank) return;
  const int n = idx / L.rank, r = idx % L.rank;
  float a = 0.f;
  for (int k = 0; k < L.in; k++) a = __fadd_rn(a, __fmul_rn(x[(size_t)n * L.in + k], L.la[(size_t)r * L.in + k]));
  h[idx] = a;
}
__global__ void k_lora_y(float* y, size_t ld, const float* h, DLinear L, int N) {
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)N * L.out) return;
  const int n = (int)(idx / L.out), o = (int)(idx % L.out);
  float a = 0.f;
  for (int r = 0; r < L.rank; r++) a = __fadd_rn(a, __fmul_rn(h[(size_t)n * L.rank + r], L.lb[(size_t)o * L.rank + r]));
  y[(size_t)n * ld + o] = __fadd_rn(y[(size_t)n * ld + o], __fmul_rn(L.lora_s, a));
}

// x (B*T, C) = wte row + wpe row; tables as DLinear views (rows = out, cols = in)
__global__ void k_embed(float* x, const int* ids, DLinear te, DLinear pe, int B, int T, int C) {
  const size_t idx = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= (size_t)B * T * C) return;
  const int c = (int)(idx % C), t = (int)((idx / C) % T);
  x[idx] = __fadd_rn(weight_at(te, ids[idx / C], c), weight_at(pe, t, c));
}

// the CPU LayerNorm's arithmetic (llmc::layernorm_forward), one thread per row
__global__ void k_layernorm(float* out, const float* x, const float* w, const float* b, int N, int C) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  const float* r = x + (size_t)n * C;
  float m = 0.f;
  for (int i = 0; i < C; i++) m = __fadd_rn(m, r[i]);
  m = __fdiv_rn(m, (float)C);
  float v = 0.f;
  for (int i = 0; i < C; i++) {
    const float d = __fsub_rn(r[i], m);
    v = __fadd_rn(v, __fmul_rn(d, d));
  }
  v = __fdiv_rn(v, (float)C);
  const float s = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(v, 1e-5f)));
  for (int i = 0; i < C; i++) out[(size_t)n * C + i] = __fadd_rn(__fmul_rn(__fmul_rn(s, __fsub_rn(r[i], m)), w[i]), b[i]);
}

// bidirectional attention with key padding: one thread per (b, h, t); qkv (B,T,3C) -> out (B,T,C)
__global__ void k_attention(float* out, const float* qkv, const int* lens, int B, int T, int C, int NH) {
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * NH * T) return;
  const int t = idx % T, h = (idx / T) % NH, b = idx / (T * NH);
  const int hs = C / NH, L = lens[b];
  const float sc = 1.0f / sqrtf((float)hs);
  const float* q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
  float mx = -INFINITY;
  for (int s = 0; s < L; s++) {
    const float* k = qkv + ((size_t)b * T + s) * 3 * C + C + h * hs;
    float d = 0.f;
    for (int i = 0; i < hs; i++) d += q[i] * k[i];
    mx = fmaxf(mx, d * sc);
  }
  float* o = out + ((size_t)b * T + t) * C + h * hs;
  for (int i = 0; i < hs; i++) o[i] = 0.f;
  float z = 0.f;
  for (int s = 0; s < L; s++) {
    const float* k = qkv + ((size_t)b * T + s) * 3 * C + C + h * hs;
    const float* v = k + C;
    float d = 0.f;
    for (int i = 0; i < hs; i++) d += q[i] * k[i];
    const float p = expf(d * sc - mx);
    z += p;
    for (int i = 0; i < hs; i++) o[i] += p * v[i];
  }
  for (int i = 0; i < hs; i++) o[i] /= z;
}

// pooled (B,C): first token, or the mean over lens[b] tokens
__global__ void k_pool(float* p, const float* x, const int* lens, int B, int T, int C, int mean) {
  const int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= B * C) return;
  const int b = idx / C, c = idx % C;
  if (!mean) {
    p[idx] = x[(size_t)b * T * C + c];
    return;
  }
  float a = 0.f;
  for (int t = 0; t < lens[b]; t++) a = __fadd_rn(a, x[((size_t)b * T + t) * C + c]);
  p[idx] = __fmul_rn(a, 1.0f / (float)(lens[b] > 0 ? lens[b] : 1));
}

unsigned grid(size_t n) { return (unsigned)((n + 255) / 256); }

bool upload(Arena& A, const PackedLinear& P, DLinear* D, std::string* err) {
  D->kind = (int)P.kind;
  D->in = P.in;
  D->out = P.out;
  D->group = P.group;
  D->act8 = P.act8 ? 1 : 0;
  D->rank = P.rank;
  D->lora_s = P.lora_s;
  D->f16 = A.put(P.f16.data(), P.f16.size(), err);
  D->f32 = A.put(P.f32.data(), P.f32.size(), err);
  D->nib = A.put(P.nib.data(), P.nib.size(), err);
  D->bits = A.put(P.bits.data(), P.bits.size(), err);
  D->trit = A.put(P.trit.data(), P.trit.size(), err);
  D->scale = A.put(P.scale.data(), P.scale.size(), err);
  D->bias = A.put(P.bias.data(), P.bias.size(), err);
  D->la = A.put(P.lora_a.data(), P.lora_a.size(), err);
  D->lb = A.put(P.lora_b.data(), P.lora_b.size(), err);
  return err->empty();
}

bool upload_table(Arena& A, const PackedTable& t, DLinear* D, std::string* err) {
  D->kind = (int)t.kind;
  D->in = t.cols;
  D->out = t.rows;
  D->group = t.group;
  D->f16 = A.put(t.f16.data(), t.f16.size(), err);
  D->f32 = A.put(t.f32.data(), t.f32.size(), err);
  D->nib = A.put(t.nib.data(), t.nib.size(), err);
  D->bits = A.put(t.bits.data(), t.bits.size(), err);
  D->scale = A.put(t.scale.data(), t.scale.size(), err);
  return err->empty();
}

}  // namespace

bool cuda_eval_logits(const PackedEncoder& pe, const int* ids, const int* lens, int n, int batch, int device,
                      std::vector<float>* logits, std::string* err) {
  std::string e0;
  if (!err) err = &e0;
  err->clear();
  NLU_CK(cudaSetDevice(device));
  NLU_CK(cudaMemcpyToSymbol(c_nf4, llmc::kNf4, sizeof(float) * 16));
  const EncoderShape& s = pe.shape();
  const int T = s.T, C = s.C, F = s.F(), K = s.K;
  Arena A;
  DLinear te, tp, head;
  if (!upload_table(A, pe.token_table(), &te, err) || !upload_table(A, pe.pos_table(), &tp, err) || !upload(A, pe.head(), &head, err)) return false;
  struct DLayer {
    const float *ln1w, *ln1b, *ln2w, *ln2b;
    DLinear lin[4][2];
    int nb[4], out[4];
  };
  std::vector<DLayer> Ls(pe.layers().size());
  for (size_t l = 0; l < Ls.size(); l++) {
    const auto& P = pe.layers()[l];
    DLayer& D = Ls[l];
    D.ln1w = A.put(P.ln1w.data(), C, err);
    D.ln1b = A.put(P.ln1b.data(), C, err);
    D.ln2w = A.put(P.ln2w.data(), C, err);
    D.ln2b = A.put(P.ln2b.data(), C, err);
    for (int k = 0; k < 4; k++) {
      D.nb[k] = P.nb[k];
      D.out[k] = P.out[k];
      if (P.nb[k] > 0 && !upload(A, P.lin[k][0], &D.lin[k][0], err)) return false;
      if (P.out[k] - P.nb[k] > 0 && !upload(A, P.lin[k][1], &D.lin[k][1], err)) return false;
    }
  }
  const float* lnfw = A.put(pe.lnf_w().data(), C, err);
  const float* lnfb = A.put(pe.lnf_b().data(), C, err);
  const size_t N = (size_t)batch * T;
  float* x = A.put<float>(nullptr, N * C, err);
  float* ln = A.put<float>(nullptr, N * C, err);
  float* qkv = A.put<float>(nullptr, N * 3 * C, err);
  float* atty = A.put<float>(nullptr, N * C, err);
  float* tmp = A.put<float>(nullptr, N * C, err);
  float* h = A.put<float>(nullptr, N * F, err);
  float* lh = A.put<float>(nullptr, N * 64, err);
  int8_t* q = A.put<int8_t>(nullptr, N * F, err);
  float* qs = A.put<float>(nullptr, N, err);
  float* pooled = A.put<float>(nullptr, (size_t)batch * C, err);
  float* dlog = A.put<float>(nullptr, (size_t)batch * K, err);
  int* dids = A.put<int>(nullptr, N, err);
  int* dlens = A.put<int>(nullptr, batch, err);
  if (!err->empty()) return false;
  auto linear = [&](const DLinear& L, float* y, size_t ld, const float* in, int rows) {
    if (L.act8) k_act8<<<grid(rows), 256>>>(q, qs, in, rows, L.in);
    k_linear<<<grid((size_t)rows * L.out), 256>>>(y, ld, in, q, qs, L, rows);
    if (L.rank > 0) {
      k_lora_h<<<grid((size_t)rows * L.rank), 256>>>(lh, in, L, rows);
      k_lora_y<<<grid((size_t)rows * L.out), 256>>>(y, ld, lh, L, rows);
    }
  };
  auto block = [&](const DLayer& D, int k, float* y, const float* in, int rows) {
    if (D.nb[k] > 0) linear(D.lin[k][0], y, D.out[k], in, rows);
    if (D.out[k] - D.nb[k] > 0) linear(D.lin[k][1], y + D.nb[k], D.out[k], in, rows);
  };
  logits->assign((size_t)n * K, 0.f);
  for (int i0 = 0; i0 < n; i0 += batch) {
    const int B = std::min(batch, n - i0), R = B * T;
    NLU_CK(cudaMemcpy(dids, ids + (size_t)i0 * T, sizeof(int) * R, cudaMemcpyHostToDevice));
    NLU_CK(cudaMemcpy(dlens, lens + i0, sizeof(int) * B, cudaMemcpyHostToDevice));
    k_embed<<<grid((size_t)R * C), 256>>>(x, dids, te, tp, B, T, C);
    for (const DLayer& D : Ls) {
      k_layernorm<<<grid(R), 256>>>(ln, x, D.ln1w, D.ln1b, R, C);
      block(D, kQkv, qkv, ln, R);
      k_attention<<<grid((size_t)B * s.NH * T), 256>>>(atty, qkv, dlens, B, T, C, s.NH);
      block(D, kProj, tmp, atty, R);
      llmc::cuda::add(x, tmp, (int64_t)R * C);
      k_layernorm<<<grid(R), 256>>>(ln, x, D.ln2w, D.ln2b, R, C);
      block(D, kFc, h, ln, R);
      llmc::cuda::gelu(h, (int64_t)R * F);
      block(D, kFcProj, tmp, h, R);
      llmc::cuda::add(x, tmp, (int64_t)R * C);
    }
    k_layernorm<<<grid(R), 256>>>(ln, x, lnfw, lnfb, R, C);
    k_pool<<<grid((size_t)B * C), 256>>>(pooled, ln, dlens, B, T, C, s.mean_pool ? 1 : 0);
    linear(head, dlog, K, pooled, B);
    NLU_CK(cudaGetLastError());
    NLU_CK(cudaMemcpy(logits->data() + (size_t)i0 * K, dlog, sizeof(float) * B * K, cudaMemcpyDeviceToHost));
  }
  NLU_CK(cudaDeviceSynchronize());
  return true;
}

}  // namespace nlu
