// The Llama decoder (llmc/llama.hpp) on one GPU: weights dequantised at load and kept in fp32 on
// the device, the forward of llmc::llama_forward layer by layer on the device layers
// (layers.cuh), with the attention of each layer handed to a hook (where the lm kernel applies
// its quantised KV cache) or computed exactly. Plain C++ declarations (no CUDA types).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "llmc/llama.hpp"

namespace llmc {
namespace cuda {

// Named per-layer device views, shapes as llmc::LlamaLayer (row-major (out, in)).
struct DeviceLlamaLayer {
  const float* attn_norm = nullptr;  // (d)
  const float* wq = nullptr;         // (d, d)
  const float* wk = nullptr;         // (kv_dim, d)
  const float* wv = nullptr;         // (kv_dim, d)
  const float* wo = nullptr;         // (d, d)
  const float* ffn_norm = nullptr;   // (d)
  const float* w_gate = nullptr;     // (d_ff, d)
  const float* w_up = nullptr;       // (d_ff, d)
  const float* w_down = nullptr;     // (d, d_ff)
};

// Attention of one layer on device pointers: q (T, n_heads*hd) and k (T, kv_dim) after RoPE,
// v (T, kv_dim) -> out (T, n_heads*hd). Returns false with *err on a failure.
using DeviceAttentionFn = std::function<bool(int layer, const float* q, const float* k, const float* v, int T,
                                             float* out, std::string* err)>;

class DeviceLlama {
 public:
  DeviceLlama() = default;
  ~DeviceLlama();
  DeviceLlama(const DeviceLlama&) = delete;
  DeviceLlama& operator=(const DeviceLlama&) = delete;

  // Copies every weight of m to the current device and allocates activations for T <= max_T.
  bool load(const LlamaModel& m, int max_T, std::string* err);
  const LlamaConfig& cfg() const { return cfg_; }

  // hidden (T, d) = the final rms(x) of the window tokens (T) (device pointers, positions 0..T-1).
  // attn: null for exact attention.
  bool forward(const int* tokens, int T, const DeviceAttentionFn& attn, float* hidden, std::string* err);
  // logits (n, vocab) of hidden rows row0 .. row0+n-1 (device pointers).
  void logits(const float* hidden, int row0, int n, float* out) const;

 private:
  bool alloc(float** p, size_t n, std::string* err);
  LlamaConfig cfg_;
  int max_T_ = 0;
  std::vector<void*> bufs_;  // every device allocation, freed in the destructor
  const float* tok_emb_ = nullptr;   // (vocab, d)
  const float* out_norm_ = nullptr;  // (d)
  const float* head_ = nullptr;      // (vocab, d): output.weight, or tok_emb when tied
  std::vector<DeviceLlamaLayer> layers_;
  // activations for up to max_T_ tokens
  float *x_ = nullptr, *h_ = nullptr;  // (T, d) residual stream, normed sub-block input
  float *q_ = nullptr, *a_ = nullptr;  // (T, d) queries, attention output before Wo
  float *k_ = nullptr, *v_ = nullptr;  // (T, kv_dim)
  float *g_ = nullptr, *u_ = nullptr;  // (T, d_ff) gate, up
};

}  // namespace cuda
}  // namespace llmc
