// CUDA evaluation path of the LM kernel: the forward pass of lm::eval_forward (model.cpp) with
// the same quantized KV cache, on one GPU. Plain kernels, one per operation, mirroring the CPU
// reference; the quantizers and the exp/GELU are the very same functions (kvquant.hpp,
// lm_math.hpp, compiled __host__ __device__). Summation orders differ from the CPU (tiled matmul,
// warp reductions), so results agree within a tolerance, not bit for bit: the test
// (tests/test_cuda.cu) requires |nll_gpu - nll_cpu| <= 1e-3 * nll_cpu for every KV setting.
//
// Build: nvcc -c -I kernels/common/include -I kernels/lm cuda_eval.cu (sm_80 / sm_90).
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cuda_eval.hpp"
#include "kvquant.hpp"
#include "lm_math.hpp"
#include "model.hpp"

namespace lm {
namespace {

#define LM_CK(call)                                                               \
  do {                                                                            \
    cudaError_t e_ = (call);                                                      \
    if (e_ != cudaSuccess) {                                                      \
      if (err) *err = std::string(#call) + ": " + cudaGetErrorString(e_);         \
      return false;                                                               \
    }                                                                             \
  } while (0)

__global__ void k_embed(float* x, const int* tok, const float* wte, const float* wpe, int BT, int T,
                        int C) {
  const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (long)BT * C) return;
  const int r = (int)(i / C), c = (int)(i % C);
  x[i] = wte[(size_t)tok[r] * C + c] + wpe[(size_t)(r % T) * C + c];
}

// One warp per row.
__global__ void k_layernorm(float* out, const float* inp, const float* w, const float* b, int N,
                            int C) {
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
  const float rs = 1.0f / sqrtf(v / C + 1e-5f);
  float* y = out + (size_t)row * C;
  for (int i = lane; i < C; i += 32) y[i] = (rs * (x[i] - m)) * w[i] + b[i];
}

// out[N,OC] = inp[N,K] @ W[OC,K]^T (+ bias). 16x16 shared-memory tiles.
constexpr int TS = 16;
__global__ void k_linear(float* out, const float* inp, const float* W, const float* bias, int N,
                         int K, int OC) {
  __shared__ float As[TS][TS + 1];
  __shared__ float Ws[TS][TS + 1];
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
  if (n < N && o < OC) out[(size_t)n * OC + o] = acc + (bias ? bias[o] : 0.f);
}

__global__ void k_add(float* x, const float* y, long n) {
  const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += y[i];
}

__global__ void k_gelu(float* x, long n) {
  const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = gelu_f(x[i]);
}

__global__ void k_kv_fp16(float* qkv, int BT, int C) {
  const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (long)BT * 2 * C) return;
  const long r = i / (2 * C), c = i % (2 * C);
  float* p = qkv + r * 3 * C + C + c;
  *p = round_fp16(*p);
}

// One thread per (row, group) of the K | V part.
__global__ void k_kv_int(float* qkv, int BT, int C, int G, int bits) {
  const int ng = 2 * C / G;
  const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (long)BT * ng) return;
  const long r = i / ng, g = i % ng;
  quant_group_int(qkv + r * 3 * C + C + g * G, G, bits);
}

// One thread per (sequence, channel of K | V): running per-channel scale along t, signs.
__global__ void k_kv_bin(float* qkv, float* kscale, float* vscale, int B, int T, int C) {
  const long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (long)B * 2 * C) return;
  const int b = (int)(i / (2 * C)), c = (int)(i % (2 * C));
  float* sc = c < C ? kscale : vscale;
  const int cc = c < C ? c : c - C;
  float S = 0.f;
  for (int t = 0; t < T; t++) {
    float* p = qkv + ((size_t)b * T + t) * 3 * C + C + c;
    S = bin_scale_update(S, lm_fabs(*p), t);
    sc[((size_t)b * T + t) * C + cc] = S;
    *p = sign_pm1(*p);
  }
}

// One warp per query (b, h, t); scores in shared memory (T floats per warp).
constexpr int ATT_WARPS = 4;
__global__ void k_attention(float* out, const float* qkv, const float* kscale, const float* vscale,
                            int B, int T, int C, int NH) {
  extern __shared__ float sh[];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const long q_id = (long)blockIdx.x * ATT_WARPS + warp;
  if (q_id >= (long)B * NH * T) return;
  const int t = (int)(q_id % T);
  const int h = (int)((q_id / T) % NH);
  const int b = (int)(q_id / ((long)T * NH));
  const int hs = C / NH;
  const float scl = 1.0f / sqrtf((float)hs);
  float* a = sh + (size_t)warp * T;
  const size_t C3 = 3 * (size_t)C;
  const float* q = qkv + ((size_t)b * T + t) * C3 + h * hs;
  const float* ks = kscale ? kscale + ((size_t)b * T + t) * C + h * hs : nullptr;
  float mx = -1e30f;
  for (int s = lane; s <= t; s += 32) {
    const float* k = qkv + ((size_t)b * T + s) * C3 + C + h * hs;
    float d = 0.f;
    for (int i = 0; i < hs; i++) d = fmaf(ks ? q[i] * ks[i] : q[i], k[i], d);
    d *= scl;
    a[s] = d;
    mx = fmaxf(mx, d);
  }
  for (int o = 16; o > 0; o /= 2) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
  float sum = 0.f;
  for (int s = lane; s <= t; s += 32) {
    const float e = fexp(a[s] - mx);
    a[s] = e;
    sum += e;
  }
  for (int o = 16; o > 0; o /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, o);
  __syncwarp();
  const float inv = 1.0f / sum;
  float* o_ = out + ((size_t)b * T + t) * C + h * hs;
  const float* vs = vscale ? vscale + ((size_t)b * T + t) * C + h * hs : nullptr;
  for (int i = lane; i < hs; i += 32) {
    float acc = 0.f;
    for (int s = 0; s <= t; s++) acc = fmaf(a[s] * inv, qkv[((size_t)b * T + s) * C3 + 2 * C + h * hs + i], acc);
    o_[i] = vs ? acc * vs[i] : acc;
  }
}

// One warp per row: nll = logsumexp(logits) - logits[target] (double output).
__global__ void k_nll(double* nll, unsigned char* hit, const float* logits, const int* targets,
                      int N, int V) {
  const int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= N) return;
  const float* l = logits + (size_t)row * V;
  float mx = -3.4e38f;
  for (int i = lane; i < V; i += 32) mx = fmaxf(mx, l[i]);
  for (int o = 16; o > 0; o /= 2) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
  double s = 0.0;
  for (int i = lane; i < V; i += 32) s += (double)fexp(l[i] - mx);
  for (int o = 16; o > 0; o /= 2) s += __shfl_xor_sync(0xffffffffu, s, o);
  if (lane == 0) {
    nll[row] = (double)mx + log(s) - (double)l[targets[row]];
    hit[row] = l[targets[row]] == mx ? 1 : 0;
  }
}

inline unsigned blocks(long n, int th) { return (unsigned)((n + th - 1) / th); }

// Runs the forward for B sequences of T tokens already on the device.
struct Runner {
  const Model& m;
  const EvalOptions& opt;
  int B, T;
  float *params, *x, *ln, *qkv, *atty, *tmp, *fch, *ks, *vs, *logits;
  int *tok, *tgt;
  double* nll;
  unsigned char* hit;
  std::vector<void*> bufs;  // freed in the destructor
  Runner(const Model& m_, const EvalOptions& o, int B_, int T_) : m(m_), opt(o), B(B_), T(T_) {}
  ~Runner() {
    for (void* p : bufs) cudaFree(p);
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  template <class P>
  bool alloc(P** ptr, size_t bytes, std::string* err) {
    void* p = nullptr;
    LM_CK(cudaMalloc(&p, std::max<size_t>(bytes, 4)));
    bufs.push_back(p);
    *ptr = static_cast<P*>(p);
    return true;
  }
  bool setup(std::string* err) {
    const size_t C = m.shape.d_model, V = m.shape.vocab, BT = (size_t)B * T;
    if (!alloc(&params, m.params.size() * 4, err) || !alloc(&x, BT * C * 4, err) ||
        !alloc(&ln, BT * C * 4, err) || !alloc(&qkv, BT * 3 * C * 4, err) ||
        !alloc(&atty, BT * C * 4, err) || !alloc(&tmp, BT * C * 4, err) ||
        !alloc(&fch, BT * 4 * C * 4, err) || !alloc(&ks, BT * C * 4, err) ||
        !alloc(&vs, BT * C * 4, err) || !alloc(&logits, BT * V * 4, err) ||
        !alloc(&tok, BT * 4, err) || !alloc(&tgt, BT * 4, err) || !alloc(&nll, BT * 8, err) ||
        !alloc(&hit, BT, err))
      return false;
    LM_CK(cudaMemcpy(params, m.params.data(), m.params.size() * 4, cudaMemcpyHostToDevice));
    return true;
  }
  void linear(float* out, const float* in, size_t w_off, long b_off, int N, int K, int OC) {
    dim3 th(TS, TS), gr(blocks(OC, TS), blocks(N, TS));
    k_linear<<<gr, th>>>(out, in, params + w_off, b_off >= 0 ? params + b_off : nullptr, N, K, OC);
  }
  // Forward of the batch whose tokens are in tok[0 .. Bc*T); logits (and nll when with_nll).
  bool forward(int Bc, bool with_nll, std::string* err) {
    const ModelShape& s = m.shape;
    const ParamLayout& P = m.L;
    const int C = s.d_model, V = s.vocab, NH = s.n_heads;
    const int BT = Bc * T;
    const int wpb = 8;  // warps per block for row kernels
    k_embed<<<blocks((long)BT * C, 256), 256>>>(x, tok, params + P.wte, params + P.wpe, BT, T, C);
    for (int l = 0; l < s.n_layers; l++) {
      k_layernorm<<<blocks(BT, wpb), 32 * wpb>>>(ln, x, params + P.ln1w + (size_t)l * C,
                                                 params + P.ln1b + (size_t)l * C, BT, C);
      linear(qkv, ln, P.qkvw + (size_t)l * 3 * C * C, (long)(P.qkvb + (size_t)l * 3 * C), BT, C, 3 * C);
      const bool bin = opt.kv == KvMode::BIN;
      switch (opt.kv) {
        case KvMode::FP32: break;
        case KvMode::FP16: k_kv_fp16<<<blocks((long)BT * 2 * C, 256), 256>>>(qkv, BT, C); break;
        case KvMode::INT8:
        case KvMode::INT4:
        case KvMode::INT2:
          k_kv_int<<<blocks((long)BT * 2 * C / opt.kv_group, 128), 128>>>(qkv, BT, C, opt.kv_group,
                                                                          kv_bits(opt.kv));
          break;
        case KvMode::BIN: k_kv_bin<<<blocks((long)Bc * 2 * C, 128), 128>>>(qkv, ks, vs, Bc, T, C); break;
      }
      const size_t shmem = (size_t)ATT_WARPS * T * sizeof(float);
      k_attention<<<blocks((long)Bc * NH * T, ATT_WARPS), 32 * ATT_WARPS, shmem>>>(
          atty, qkv, bin ? ks : nullptr, bin ? vs : nullptr, Bc, T, C, NH);
      linear(tmp, atty, P.attprojw + (size_t)l * C * C, (long)(P.attprojb + (size_t)l * C), BT, C, C);
      k_add<<<blocks((long)BT * C, 256), 256>>>(x, tmp, (long)BT * C);
      k_layernorm<<<blocks(BT, wpb), 32 * wpb>>>(ln, x, params + P.ln2w + (size_t)l * C,
                                                 params + P.ln2b + (size_t)l * C, BT, C);
      linear(fch, ln, P.fcw + (size_t)l * 4 * C * C, (long)(P.fcb + (size_t)l * 4 * C), BT, C, 4 * C);
      k_gelu<<<blocks((long)BT * 4 * C, 256), 256>>>(fch, (long)BT * 4 * C);
      linear(tmp, fch, P.fcprojw + (size_t)l * C * 4 * C, (long)(P.fcprojb + (size_t)l * C), BT, 4 * C, C);
      k_add<<<blocks((long)BT * C, 256), 256>>>(x, tmp, (long)BT * C);
    }
    k_layernorm<<<blocks(BT, wpb), 32 * wpb>>>(ln, x, params + P.lnfw, params + P.lnfb, BT, C);
    linear(logits, ln, s.tied ? P.wte : P.lmw, -1, BT, C, V);
    if (with_nll) k_nll<<<blocks(BT, wpb), 32 * wpb>>>(nll, hit, logits, tgt, BT, V);
    LM_CK(cudaGetLastError());
    LM_CK(cudaDeviceSynchronize());
    return true;
  }
};

bool check_shared(int T, int device, std::string* err) {
  int maxsh = 0;
  LM_CK(cudaDeviceGetAttribute(&maxsh, cudaDevAttrMaxSharedMemoryPerBlock, device));
  if ((size_t)ATT_WARPS * T * sizeof(float) > (size_t)maxsh) {
    if (err) *err = "context " + std::to_string(T) + " too long for the attention kernel's shared memory";
    return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> cuda_built_ccs() {
  std::vector<std::string> out;
#ifdef BINLLM_CUDA_ARCHS
  std::string s = BINLLM_CUDA_ARCHS;
#else
  std::string s = "80,90";
#endif
  size_t p = 0;
  while (p < s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    std::string a = s.substr(p, q - p);
    // "90" / "90-real" -> "9.0"
    std::string d;
    for (char ch : a)
      if (ch >= '0' && ch <= '9') d += ch;
      else break;
    if (d.size() >= 2) out.push_back(d.substr(0, d.size() - 1) + "." + d.substr(d.size() - 1));
    p = q + 1;
  }
  return out;
}

__global__ void k_probe(int* x) { *x = 42; }

bool cuda_probe(int index, CudaInfo* info, std::string* err) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    if (err) *err = std::string("no CUDA device available (") + cudaGetErrorString(e) + ")";
    return false;
  }
  if (index >= n) {
    if (err) *err = "cuda:" + std::to_string(index) + " requested but only " + std::to_string(n) + " device(s)";
    return false;
  }
  LM_CK(cudaSetDevice(index));
  cudaDeviceProp p;
  LM_CK(cudaGetDeviceProperties(&p, index));
  if (info) {
    info->name = p.name;
    info->cc = std::to_string(p.major) + "." + std::to_string(p.minor);
  }
  int* d = nullptr;
  LM_CK(cudaMalloc(&d, sizeof(int)));
  k_probe<<<1, 1>>>(d);
  cudaError_t ke = cudaGetLastError();
  if (ke == cudaSuccess) ke = cudaDeviceSynchronize();
  cudaFree(d);
  if (ke != cudaSuccess) {
    if (err) *err = std::string("cannot run on ") + p.name + " (cc " + std::to_string(p.major) + "." +
                    std::to_string(p.minor) + "): " + cudaGetErrorString(ke);
    return false;
  }
  return true;
}

bool cuda_eval_logits(const Model& model, const std::vector<int>& inputs, int B, int T,
                      const EvalOptions& opt, int device, std::vector<float>* logits,
                      std::string* err) {
  LM_CK(cudaSetDevice(device));
  if (!check_shared(T, device, err)) return false;
  Runner r(model, opt, B, T);
  if (!r.setup(err)) return false;
  LM_CK(cudaMemcpy(r.tok, inputs.data(), (size_t)B * T * 4, cudaMemcpyHostToDevice));
  if (!r.forward(B, false, err)) return false;
  logits->resize((size_t)B * T * model.shape.vocab);
  LM_CK(cudaMemcpy(logits->data(), r.logits, logits->size() * 4, cudaMemcpyDeviceToHost));
  return true;
}

bool cuda_eval_stream(const Model& model, const std::vector<int>& stream, int L, int batch,
                      const EvalOptions& opt, int device, double* nll_out, long* count,
                      std::string* err, long* hits) {
  LM_CK(cudaSetDevice(device));
  if (!check_shared(L, device, err)) return false;
  const long nw = stream.size() > 1 ? ((long)stream.size() - 1) / L : 0;
  // larger batches on the GPU: the result does not depend on the batch composition
  const int Bmax = (int)std::max<long>(1, std::min<long>(nw, std::max(batch, 64)));
  Runner r(model, opt, Bmax, L);
  if (!r.setup(err)) return false;
  std::vector<int> in, tg;
  std::vector<double> nll;
  std::vector<unsigned char> hv;
  double total = 0.0;
  long n = 0, nh = 0;
  for (long w0 = 0; w0 < nw; w0 += Bmax) {
    const int B = (int)std::min<long>(Bmax, nw - w0);
    in.resize((size_t)B * L);
    tg.resize((size_t)B * L);
    for (int b = 0; b < B; b++)
      for (int t = 0; t < L; t++) {
        const size_t pos = (size_t)(w0 + b) * L + t;
        in[(size_t)b * L + t] = stream[pos];
        tg[(size_t)b * L + t] = stream[pos + 1];
      }
    LM_CK(cudaMemcpy(r.tok, in.data(), in.size() * 4, cudaMemcpyHostToDevice));
    LM_CK(cudaMemcpy(r.tgt, tg.data(), tg.size() * 4, cudaMemcpyHostToDevice));
    if (!r.forward(B, true, err)) return false;
    nll.resize((size_t)B * L);
    LM_CK(cudaMemcpy(nll.data(), r.nll, nll.size() * 8, cudaMemcpyDeviceToHost));
    for (double v : nll) total += v;
    hv.resize((size_t)B * L);
    LM_CK(cudaMemcpy(hv.data(), r.hit, hv.size(), cudaMemcpyDeviceToHost));
    for (unsigned char h : hv) nh += h;
    n += (long)B * L;
  }
  if (count) *count = n;
  if (hits) *hits = nh;
  if (nll_out) *nll_out = n ? total / n : 0.0;
  return true;
}

}  // namespace lm
