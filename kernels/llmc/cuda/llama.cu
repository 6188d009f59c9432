// The Llama decoder on the device (llama.cuh).
#include <cuda_runtime.h>

#include "cuda/layers.cuh"
#include "cuda/llama.cuh"

namespace llmc {
namespace cuda {

DeviceLlama::~DeviceLlama() {
  for (void* p : bufs_) cudaFree(p);
}

bool DeviceLlama::alloc(float** p, size_t n, std::string* err) {
  void* d = nullptr;
  const cudaError_t e = cudaMalloc(&d, std::max<size_t>(n, 1) * sizeof(float));
  if (e != cudaSuccess) {
    if (err) *err = "cudaMalloc of " + std::to_string(n * sizeof(float)) + " bytes: " + cudaGetErrorString(e);
    return false;
  }
  bufs_.push_back(d);
  *p = static_cast<float*>(d);
  return true;
}

bool DeviceLlama::load(const LlamaModel& m, int max_T, std::string* err) {
  cfg_ = m.cfg;
  max_T_ = max_T;
  auto put = [&](const std::vector<float>& h, const float** dst) {
    float* d = nullptr;
    if (!alloc(&d, h.size(), err)) return false;
    const cudaError_t e = cudaMemcpy(d, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice);
    if (e != cudaSuccess) {
      if (err) *err = std::string("cudaMemcpy of the weights: ") + cudaGetErrorString(e);
      return false;
    }
    *dst = d;
    return true;
  };
  if (!put(m.tok_emb, &tok_emb_) || !put(m.out_norm, &out_norm_)) return false;
  if (cfg_.tied) head_ = tok_emb_;
  else if (!put(m.output, &head_)) return false;
  layers_.resize(m.layers.size());
  for (size_t l = 0; l < m.layers.size(); l++) {
    const LlamaLayer& H = m.layers[l];
    DeviceLlamaLayer& D = layers_[l];
    if (!put(H.attn_norm, &D.attn_norm) || !put(H.wq, &D.wq) || !put(H.wk, &D.wk) || !put(H.wv, &D.wv) ||
        !put(H.wo, &D.wo) || !put(H.ffn_norm, &D.ffn_norm) || !put(H.w_gate, &D.w_gate) || !put(H.w_up, &D.w_up) ||
        !put(H.w_down, &D.w_down))
      return false;
  }
  const size_t T = (size_t)max_T, d = cfg_.d_model, kd = cfg_.kv_dim(), ff = cfg_.d_ff;
  return alloc(&x_, T * d, err) && alloc(&h_, T * d, err) && alloc(&q_, T * d, err) && alloc(&a_, T * d, err) &&
         alloc(&k_, T * kd, err) && alloc(&v_, T * kd, err) && alloc(&g_, T * ff, err) && alloc(&u_, T * ff, err);
}

bool DeviceLlama::forward(const int* tokens, int T, const DeviceAttentionFn& attn, float* hidden, std::string* err) {
  if (T > max_T_) {
    if (err) *err = "window of " + std::to_string(T) + " tokens > the " + std::to_string(max_T_) + " allocated";
    return false;
  }
  const LlamaConfig& c = cfg_;
  const int d = c.d_model, kd = c.kv_dim(), ff = c.d_ff;
  const float eps = (float)c.rms_eps;
  embedding(x_, tokens, tok_emb_, nullptr, T, T, d);  // x (T, d)
  for (int l = 0; l < c.n_layers; l++) {
    const DeviceLlamaLayer& L = layers_[l];
    rmsnorm(h_, x_, L.attn_norm, T, d, eps);  // h (T, d)
    matmul(q_, h_, L.wq, nullptr, T, d, d);    // q (T, n_heads, hd)
    matmul(k_, h_, L.wk, nullptr, T, d, kd);   // k (T, n_kv, hd)
    matmul(v_, h_, L.wv, nullptr, T, d, kd);   // v (T, n_kv, hd)
    rope(q_, T, c.n_heads, c.head_dim, c.rope_dim, c.rope_theta, 0);
    rope(k_, T, c.n_kv_heads, c.head_dim, c.rope_dim, c.rope_theta, 0);
    if (attn) {
      if (!attn(l, q_, k_, v_, T, a_, err)) return false;
    } else {
      AttentionArgs A;  // exact: every key and value from the fp32 rows
      A.out = a_;
      A.out_ld = d;
      A.q = q_;
      A.q_ld = d;
      A.K.exact = k_;
      A.K.ld = kd;
      A.V.exact = v_;
      A.V.ld = kd;
      A.T = T;
      A.n_heads = c.n_heads;
      A.n_kv = c.n_kv_heads;
      A.hd = c.head_dim;
      if (!attention(A, err)) return false;
    }
    matmul(h_, a_, L.wo, nullptr, T, d, d);  // h (T, d)
    add(x_, h_, (int64_t)T * d);
    rmsnorm(h_, x_, L.ffn_norm, T, d, eps);
    matmul(g_, h_, L.w_gate, nullptr, T, d, ff);  // g (T, d_ff)
    matmul(u_, h_, L.w_up, nullptr, T, d, ff);    // u (T, d_ff)
    swiglu(g_, g_, u_, (int64_t)T * ff);
    matmul(h_, g_, L.w_down, nullptr, T, ff, d);
    add(x_, h_, (int64_t)T * d);
  }
  rmsnorm(hidden, x_, out_norm_, T, d, eps);
  return sync("llama forward", err);
}

void DeviceLlama::logits(const float* hidden, int row0, int n, float* out) const {
  matmul(out, hidden + (size_t)row0 * cfg_.d_model, head_, nullptr, n, cfg_.d_model, cfg_.vocab);
}

}  // namespace cuda
}  // namespace llmc
