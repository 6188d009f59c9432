// CUDA evaluation paths of the LM kernel (cuda_eval.hpp) on the shared device layers
// (kernels/llmc/cuda). Here: only what is the LM's own, its KV-cache formats on the device.
//   GPT: the forward of lm::eval_forward (model.cpp); K/V quantised in place on the packed qkv
//     with the kvquant.hpp functions, bin's running scales as per-query multipliers.
//   Llama: llmc::cuda::DeviceLlama with a per-layer attention hook that builds the cached K/V of
//     the window in the format kv (cuda_eval_kv.hpp units, one thread each) and attends with
//     llmc::cuda::attention (online softmax, no cap on L).
// Summation orders differ from the CPU (tiled matmul, online softmax), so results agree within
// a tolerance, not bit for bit (tests/test_cuda.cu, tests/test_cuda_llama.cu).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "cuda/layers.cuh"
#include "cuda/llama.cuh"
#include "cuda_eval.hpp"
#include "cuda_eval_kv.hpp"
#include "kvquant.hpp"
#include "model.hpp"

namespace lm {
namespace {

namespace dev = llmc::cuda;

#define LM_CK(call)                                                               \
  do {                                                                            \
    cudaError_t e_ = (call);                                                      \
    if (e_ != cudaSuccess) {                                                      \
      if (err) *err = std::string(#call) + ": " + cudaGetErrorString(e_);         \
      return false;                                                               \
    }                                                                             \
  } while (0)

inline unsigned blocks(int64_t n, int th) { return (unsigned)((n + th - 1) / th); }

// Device allocations freed together.
struct Arena {
  std::vector<void*> bufs;
  ~Arena() {
    for (void* p : bufs) cudaFree(p);
  }
  template <class P>
  bool alloc(P** ptr, size_t count, std::string* err) {
    void* p = nullptr;
    LM_CK(cudaMalloc(&p, std::max<size_t>(count * sizeof(P), 4)));
    bufs.push_back(p);
    *ptr = static_cast<P*>(p);
    return true;
  }
};

// ---------------------------------------------------------------- GPT: K/V formats in place

__global__ void k_kv_fp16(float* qkv, int BT, int C) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (int64_t)BT * 2 * C) return;
  const int64_t r = i / (2 * C), c = i % (2 * C);
  float* p = qkv + r * 3 * C + C + c;
  *p = round_fp16(*p);
}

// One thread per (row, group) of the K | V part.
__global__ void k_kv_int(float* qkv, int BT, int C, int G, int bits) {
  const int ng = 2 * C / G;
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (int64_t)BT * ng) return;
  const int64_t r = i / ng, g = i % ng;
  quant_group_int(qkv + r * 3 * C + C + g * G, G, bits);
}

// One thread per (sequence, channel of K | V): running per-channel scale along t, signs.
__global__ void k_kv_bin(float* qkv, float* kscale, float* vscale, int B, int T, int C) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (int64_t)B * 2 * C) return;
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

// Runs the GPT forward for B sequences of T tokens already on the device.
struct GptRunner {
  const Model& m;
  const EvalOptions& opt;
  int B, T;
  Arena A;
  float* params = nullptr;  // the flat ParamLayout buffer
  float *x, *ln, *qkv, *atty, *tmp, *fch, *ks, *vs, *logits;  // (B*T, C | 3C | 4C | V)
  int *tok, *tgt;                                             // (B*T)
  double* nll;                                                // (B*T)
  unsigned char* hit;                                         // (B*T)
  GptRunner(const Model& m_, const EvalOptions& o, int B_, int T_) : m(m_), opt(o), B(B_), T(T_) {}

  bool setup(std::string* err) {
    const size_t C = m.shape.d_model, V = m.shape.vocab, BT = (size_t)B * T;
    if (!A.alloc(&params, m.params.size(), err) || !A.alloc(&x, BT * C, err) || !A.alloc(&ln, BT * C, err) ||
        !A.alloc(&qkv, BT * 3 * C, err) || !A.alloc(&atty, BT * C, err) || !A.alloc(&tmp, BT * C, err) ||
        !A.alloc(&fch, BT * 4 * C, err) || !A.alloc(&ks, BT * C, err) || !A.alloc(&vs, BT * C, err) ||
        !A.alloc(&logits, BT * V, err) || !A.alloc(&tok, BT, err) || !A.alloc(&tgt, BT, err) ||
        !A.alloc(&nll, BT, err) || !A.alloc(&hit, BT, err))
      return false;
    LM_CK(cudaMemcpy(params, m.params.data(), m.params.size() * 4, cudaMemcpyHostToDevice));
    return true;
  }

  // Forward of the batch whose tokens are in tok[0 .. Bc*T); logits (and nll when with_nll).
  bool forward(int Bc, bool with_nll, std::string* err) {
    const ModelShape& s = m.shape;
    const int C = s.d_model, V = s.vocab, NH = s.n_heads, BT = Bc * T;
    const float eps = 1e-5f;
    dev::embedding(x, tok, params + m.L.wte, params + m.L.wpe, BT, T, C);  // x (BT, C)
    for (int l = 0; l < s.n_layers; l++) {
      const BlockParams P = block_params(m.L, s, params, l);
      dev::layernorm(ln, x, P.ln1w, P.ln1b, BT, C, eps);
      dev::matmul(qkv, ln, P.qkvw, P.qkvb, BT, C, 3 * C);  // qkv (BT, 3C)
      const bool bin = opt.kv == KvMode::BIN;
      switch (opt.kv) {
        case KvMode::FP16: k_kv_fp16<<<blocks((int64_t)BT * 2 * C, 256), 256>>>(qkv, BT, C); break;
        case KvMode::INT8:
        case KvMode::INT4:
        case KvMode::INT2:
          k_kv_int<<<blocks((int64_t)BT * 2 * C / opt.kv_group, 128), 128>>>(qkv, BT, C, opt.kv_group, kv_bits(opt.kv));
          break;
        case KvMode::BIN: k_kv_bin<<<blocks((int64_t)Bc * 2 * C, 128), 128>>>(qkv, ks, vs, Bc, T, C); break;
        default: break;  // fp32
      }
      const dev::AttentionArgs a = gpt_attention_args(atty, qkv, ks, vs, bin, Bc, T, C, NH);  // atty (BT, C)
      if (!dev::attention(a, err)) return false;
      dev::matmul(tmp, atty, P.attprojw, P.attprojb, BT, C, C);
      dev::add(x, tmp, (int64_t)BT * C);
      dev::layernorm(ln, x, P.ln2w, P.ln2b, BT, C, eps);
      dev::matmul(fch, ln, P.fcw, P.fcb, BT, C, 4 * C);  // fch (BT, 4C)
      dev::gelu(fch, (int64_t)BT * 4 * C);
      dev::matmul(tmp, fch, P.fcprojw, P.fcprojb, BT, 4 * C, C);
      dev::add(x, tmp, (int64_t)BT * C);
    }
    dev::layernorm(ln, x, params + m.L.lnfw, params + m.L.lnfb, BT, C, eps);
    dev::matmul(logits, ln, params + (s.tied ? m.L.wte : m.L.lmw), nullptr, BT, C, V);  // (BT, V)
    if (with_nll) dev::nll_rows(nll, hit, logits, tgt, BT, V);
    return dev::sync("gpt forward", err);
  }
};

// ---------------------------------------------------------------- Llama: KV formats per layer

// half = kv_half(x), base = x
__global__ void k_kv_copy(KvMode mode, const float* x, int64_t n, float* half, float* base) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  half[i] = kv_half(mode, x[i]);
  base[i] = x[i];
}

__global__ void k_kv_units(KvSidePlan p, const float* x, int T, int kd, long units, float* base, float* mul, float* add) {
  const long u = (long)blockIdx.x * blockDim.x + threadIdx.x;
  if (u < units) kv_side_unit(p, u, x, T, kd, base, mul, add);
}

// k (T, nkv, hd) -> sgn (T, nkv, m), norm (T, nkv); P (m, hd)
__global__ void k_qjl_keys(const float* k, const float* P, int T, int nkv, int m, int hd, float* sgn, float* norm) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (int64_t)T * nkv) return;
  qjl_key_unit(k + i * hd, P, m, hd, sgn + i * m, norm + i);
}

// q (T, nh, hd) -> qp (T, nh, m)
__global__ void k_qjl_queries(const float* q, const float* P, int T, int nh, int m, int hd, float* qp) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= (int64_t)T * nh) return;
  qjl_query_unit(q + i * hd, P, m, hd, qp + i * m);
}

// The device buffers of one layer's cached K and V over a window of up to L tokens.
struct KvDevice {
  KvConfig kv;
  int nh = 0, nkv = 0, hd = 0, m = 0;
  Arena A;
  float *half[2], *base[2], *mul[2], *add[2];  // (L, kd) per side (0 = K, 1 = V)
  float *P = nullptr;                          // (n_layers, m, hd) qjl projections
  float *sgn = nullptr, *norm = nullptr, *qp = nullptr;  // (L, nkv, m), (L, nkv), (L, nh, m)

  bool setup(const llmc::LlamaConfig& c, const KvConfig& k, int L, std::string* err) {
    kv = k;
    nh = c.n_heads;
    nkv = c.n_kv_heads;
    hd = c.head_dim;
    const size_t n = (size_t)L * c.kv_dim();
    for (int s = 0; s < 2; s++)
      if (!A.alloc(&half[s], n, err) || !A.alloc(&base[s], n, err) || !A.alloc(&mul[s], n, err) ||
          !A.alloc(&add[s], n, err))
        return false;
    if (kv.mode != KvMode::QJL) return true;
    m = kv.qjl_dim > 0 ? kv.qjl_dim : hd;
    std::vector<float> all;
    for (int l = 0; l < c.n_layers; l++) {
      const std::vector<float> p = qjl_projection(kv.seed, l, m, hd);
      all.insert(all.end(), p.begin(), p.end());
    }
    if (!A.alloc(&P, all.size(), err) || !A.alloc(&sgn, (size_t)L * nkv * m, err) ||
        !A.alloc(&norm, (size_t)L * nkv, err) || !A.alloc(&qp, (size_t)L * nh * m, err))
      return false;
    LM_CK(cudaMemcpy(P, all.data(), all.size() * 4, cudaMemcpyHostToDevice));
    return true;
  }

  // The hook of DeviceLlama::forward: lm::kv_attention on the device.
  bool attend(int layer, const float* q, const float* k, const float* v, int T, float* out, std::string* err) {
    const int kd = nkv * hd;
    const int64_t n = (int64_t)T * kd;
    KvLayerBuffers B;
    for (int s = 0; s < 2; s++) {
      const KvSidePlan p{kv.mode, kv.group, kv.residual, s == 0};
      const float* x = s ? v : k;
      k_kv_copy<<<blocks(n, 256), 256>>>(kv.mode, x, n, half[s], base[s]);
      const long units = kv_side_units(p, T, kd);
      if (units > 0) k_kv_units<<<blocks(units, 64), 64>>>(p, x, T, kd, units, base[s], mul[s], add[s]);
      B.half[s] = half[s];
      B.base[s] = base[s];
      B.mul[s] = mul[s];
      B.add[s] = add[s];
    }
    if (kv.mode == KvMode::QJL) {
      const float* Pl = P + (size_t)layer * m * hd;
      k_qjl_keys<<<blocks((int64_t)T * nkv, 64), 64>>>(k, Pl, T, nkv, m, hd, sgn, norm);
      k_qjl_queries<<<blocks((int64_t)T * nh, 64), 64>>>(q, Pl, T, nh, m, hd, qp);
      B.sgn = sgn;
      B.norm = norm;
      B.qp = qp;
      B.m = m;
    }
    const dev::AttentionArgs a = kv_layer_args(kv.mode, kv.group, kv.residual, B, q, out, T, nh, nkv, hd);
    return dev::attention(a, err);
  }
};

}  // namespace

bool cuda_eval_logits(const Model& model, const std::vector<int>& inputs, int B, int T, const EvalOptions& opt,
                      int device, std::vector<float>* logits, std::string* err) {
  LM_CK(cudaSetDevice(device));
  GptRunner r(model, opt, B, T);
  if (!r.setup(err)) return false;
  LM_CK(cudaMemcpy(r.tok, inputs.data(), (size_t)B * T * 4, cudaMemcpyHostToDevice));
  if (!r.forward(B, false, err)) return false;
  logits->resize((size_t)B * T * model.shape.vocab);
  LM_CK(cudaMemcpy(logits->data(), r.logits, logits->size() * 4, cudaMemcpyDeviceToHost));
  return true;
}

bool cuda_eval_stream(const Model& model, const std::vector<int>& stream, int L, int batch, const EvalOptions& opt,
                      int device, double* nll_out, long* count, std::string* err, long* hits) {
  LM_CK(cudaSetDevice(device));
  const long nw = stream.size() > 1 ? ((long)stream.size() - 1) / L : 0;
  // larger batches on the GPU: the result does not depend on the batch composition
  const int Bmax = (int)std::max<long>(1, std::min<long>(nw, std::max(batch, 64)));
  GptRunner r(model, opt, Bmax, L);
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

bool cuda_kv_attention(const llmc::LlamaConfig& c, const KvConfig& kv, int layer, const float* q, const float* k,
                       const float* v, int T, float* out, int device, std::string* err) {
  LM_CK(cudaSetDevice(device));
  KvDevice cache;
  if (!cache.setup(c, kv, T, err)) return false;
  const size_t nq = (size_t)T * c.n_heads * c.head_dim, nk = (size_t)T * c.kv_dim();
  Arena A;
  float *dq, *dk, *dv, *dout;
  if (!A.alloc(&dq, nq, err) || !A.alloc(&dk, nk, err) || !A.alloc(&dv, nk, err) || !A.alloc(&dout, nq, err)) return false;
  LM_CK(cudaMemcpy(dq, q, nq * 4, cudaMemcpyHostToDevice));
  LM_CK(cudaMemcpy(dk, k, nk * 4, cudaMemcpyHostToDevice));
  LM_CK(cudaMemcpy(dv, v, nk * 4, cudaMemcpyHostToDevice));
  if (!cache.attend(layer, dq, dk, dv, T, dout, err) || !dev::sync("kv attention", err)) return false;
  LM_CK(cudaMemcpy(out, dout, nq * 4, cudaMemcpyDeviceToHost));
  return true;
}

bool cuda_eval_ppl(const llmc::LlamaModel& m, const std::vector<int>& tokens, const std::vector<PplWindow>& windows,
                   int L, const KvConfig& kv, int device, const std::function<void(size_t)>& progress,
                   PplResult* out, std::string* err, std::vector<float>* first_logits) {
  using Clock = std::chrono::steady_clock;
  const llmc::LlamaConfig& c = m.cfg;
  for (const PplWindow& w : windows)
    if (w.start < 0 || w.start + L > (int64_t)tokens.size() || w.first_target < 1 || w.first_target >= L) {
      if (err) *err = "window at " + std::to_string(w.start) + " does not fit the " + std::to_string(tokens.size()) + " tokens";
      return false;
    }
  for (int t : tokens)
    if (t < 0 || t >= c.vocab) {
      if (err) *err = "token id " + std::to_string(t) + " outside the vocabulary";
      return false;
    }
  LM_CK(cudaSetDevice(device));
  dev::DeviceLlama model;
  if (!model.load(m, L, err)) return false;
  KvDevice cache;
  if (!cache.setup(c, kv, L, err)) return false;
  dev::DeviceAttentionFn attn;
  if (kv.mode != KvMode::FP32)  // fp32: exact attention, as eval_ppl
    attn = [&](int layer, const float* q, const float* k, const float* v, int T, float* o, std::string* e) {
      return cache.attend(layer, q, k, v, T, o, e);
    };
  const int chunk = 256;  // logits rows at a time: (chunk, vocab)
  Arena A;
  int *dtok, *dtgt;
  float *hidden, *logits;
  double* dnll;
  unsigned char* dhit;
  if (!A.alloc(&dtok, L, err) || !A.alloc(&dtgt, chunk, err) || !A.alloc(&hidden, (size_t)L * c.d_model, err) ||
      !A.alloc(&logits, (size_t)chunk * c.vocab, err) || !A.alloc(&dnll, chunk, err) || !A.alloc(&dhit, chunk, err))
    return false;
  PplResult r;
  std::vector<double> nll(chunk);
  std::vector<unsigned char> hit(chunk);
  for (size_t wi = 0; wi < windows.size(); wi++) {
    const PplWindow& w = windows[wi];
    const auto t0 = Clock::now();
    LM_CK(cudaMemcpy(dtok, tokens.data() + w.start, (size_t)L * 4, cudaMemcpyHostToDevice));
    if (!model.forward(dtok, L, attn, hidden, err)) return false;
    double wsum = 0;
    int wcount = 0;
    // Logit row j (position j) predicts the token at j + 1; targets first_target .. L-1.
    for (int j0 = w.first_target - 1; j0 < L - 1; j0 += chunk) {
      const int n = std::min(chunk, L - 1 - j0);
      LM_CK(cudaMemcpy(dtgt, tokens.data() + w.start + j0 + 1, (size_t)n * 4, cudaMemcpyHostToDevice));
      model.logits(hidden, j0, n, logits);
      dev::nll_rows(dnll, dhit, logits, dtgt, n, c.vocab);
      if (!dev::sync("logits", err)) return false;
      LM_CK(cudaMemcpy(nll.data(), dnll, (size_t)n * 8, cudaMemcpyDeviceToHost));
      LM_CK(cudaMemcpy(hit.data(), dhit, (size_t)n, cudaMemcpyDeviceToHost));
      if (first_logits && wi == 0) {
        const size_t at = first_logits->size();
        first_logits->resize(at + (size_t)n * c.vocab);
        LM_CK(cudaMemcpy(first_logits->data() + at, logits, (size_t)n * c.vocab * 4, cudaMemcpyDeviceToHost));
      }
      for (int i = 0; i < n; i++) {
        wsum += nll[i];
        r.hits += hit[i];
      }
      wcount += n;
    }
    r.add_window(w.start, wsum, wcount, std::chrono::duration<double>(Clock::now() - t0).count());
    if (progress) progress(wi + 1);
  }
  *out = r;
  return true;
}

}  // namespace lm
