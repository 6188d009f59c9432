// A GPT-style decoder language model written out by hand (forward, backward, AdamW), in the
// spirit of llm.c: pre-LayerNorm blocks, multi-head causal attention, tanh-GELU MLP (4x), learned
// position embeddings, tied or untied output embedding. Everything is fp32 on the CPU.
//
// Determinism: every output element is computed by one thread in a fixed order; work is split
// over independent rows / sequences / heads only, so results are bit-identical for any thread
// count on one machine and binary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "binllm/rng.hpp"
#include "kvquant.hpp"

namespace lm {

struct ModelShape {
  int vocab = 256;
  int ctx = 128;  // maximum (trained) context length
  int d_model = 64;
  int n_layers = 2;
  int n_heads = 4;
  bool tied = true;
};

// Offsets of every parameter tensor inside one flat fp32 buffer.
struct ParamLayout {
  size_t wte, wpe, ln1w, ln1b, qkvw, qkvb, attprojw, attprojb, ln2w, ln2b, fcw, fcb, fcprojw,
      fcprojb, lnfw, lnfb, lmw, total;
  void build(const ModelShape& s);
};

// The platform's seeded RNG (splitmix64 seeding + xoshiro256**, platform-independent normals).
using Rng = binllm::Rng;

struct Model {
  ModelShape shape;
  ParamLayout L;
  std::vector<float> params;

  void init(const ModelShape& s, uint64_t seed);
  size_t num_params() const { return L.total; }
  const float* lm_head() const { return params.data() + (shape.tied ? L.wte : L.lmw); }
};

// Training state: gradients, Adam moments and activation buffers for a fixed (B, T).
struct Trainer {
  Model* model = nullptr;
  int B = 0, T = 0;
  std::vector<float> grads, m, v;
  std::vector<float> acts;  // all activations, see model.cpp
  std::vector<float> scratch;
  int step = 0;
  void setup(Model* m, int B, int T);
  // Forward pass; when targets != nullptr, returns the mean cross-entropy loss (nats).
  float forward(const int* inputs, const int* targets);
  // Backward pass of the last forward (which must have had targets). Zeroes grads first.
  void backward(const int* inputs, const int* targets);
  // One AdamW update with global-norm clipping (clip <= 0 disables it). Returns the grad norm.
  float update(float lr, float beta1, float beta2, float eps, float weight_decay, float clip);
  const float* logits() const;  // (B, T, V) after forward
  const float* probs() const;   // (B, T, V) after forward with targets
};

// Evaluation forward with a quantized KV cache.
struct EvalOptions {
  KvMode kv = KvMode::FP32;
  int kv_group = 32;
};

// Forward over B sequences of T tokens (T <= ctx). Writes logits (B, T, V) if logits != nullptr
// and the per-position NLL of targets into nll (B*T) if both are non-null; correct[r] = 1 when the
// target's logit is the row maximum (top-1 hit), if correct != nullptr.
void eval_forward(const Model& model, const int* inputs, const int* targets, int B, int T,
                  const EvalOptions& opt, float* logits, double* nll,
                  unsigned char* correct = nullptr);

// Mean NLL (nats/token) over non-overlapping windows of L+1 tokens (stride L) of a token stream,
// with batches of `batch` windows. Returns the number of predicted tokens in *count.
double eval_stream(const Model& model, const std::vector<int>& stream, int L, int batch,
                   const EvalOptions& opt, long* count);

// The two steps of quantized-KV attention (exposed for tests). quantize_kv works in place on the
// K | V parts of qkv (B,T,3C); for BIN, K/V become signs and the running per-channel scales go to
// kscale / vscale (B,T,C). attention_eval: causal attention where the query at t sees
// k_s * kscale_t and v_s * vscale_t (scales nullptr = 1).
void quantize_kv(float* qkv, float* kscale, float* vscale, int B, int T, int C,
                 const EvalOptions& opt);
void attention_eval(float* out, const float* qkv, const float* kscale, const float* vscale, int B,
                    int T, int C, int NH);

// Bytes of the whole model's KV cache (all layers, K and V) for one sequence of L tokens.
double kv_cache_bytes(const ModelShape& s, KvMode m, int L, int group);

// Threads for all parallel loops (OpenMP when built with it).
void set_threads(int n);

// Matrix helpers (exposed for tests and the benchmark).
// C[M,N] (+)= A[M,K] @ B[K,N] (row-major); parallel over 4-row tiles.
void gemm_nn(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate);
void transpose(const float* A, float* AT, int rows, int cols);

// Layer primitives with their backward passes (exposed for finite-difference tests).
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w,
                       const float* b, int N, int C);
void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                        const float* w, const float* mean, const float* rstd, int N, int C);
void linear_forward(float* out, const float* inp, const float* w, const float* b, int N, int C,
                    int OC, float* scratch /* C*OC */);
void linear_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                     const float* w, int N, int C, int OC, float* scratch /* OC*N */);
void gelu_forward(float* out, const float* inp, int n);
void gelu_backward(float* dinp, const float* inp, const float* dout, int n);
void attention_forward(float* out, float* att, const float* qkv, int B, int T, int C, int NH);
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* att, int B,
                        int T, int C, int NH);
// Softmax + cross entropy: probs (N,V), losses (N); dlogits = (probs - onehot) * scale.
void crossentropy_forward(float* probs, float* losses, const float* logits, const int* targets,
                          int N, int V);
void crossentropy_backward(float* dlogits, const float* probs, const int* targets, int N, int V,
                           float scale);

// Serialization of a trained model (shape + params + a few floats of metadata).
bool save_model(const std::string& path, const Model& m, const std::vector<double>& meta);
bool load_model(const std::string& path, Model& m, std::vector<double>& meta);

}  // namespace lm
