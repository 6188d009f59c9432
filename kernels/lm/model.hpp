// A GPT-style decoder language model (forward, backward, AdamW) built from the llmc library
// (kernels/llmc), in the spirit of llm.c: pre-LayerNorm blocks, multi-head causal attention,
// tanh-GELU MLP (4x), learned position embeddings, tied or untied output embedding. fp32 on the CPU.
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
#include "llmc/core.hpp"
#include "llmc/gemm.hpp"
#include "llmc/layers.hpp"

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

// The library layers the model is built from (kernels/llmc), under their lm:: names.
using llmc::crossentropy_backward;
using llmc::crossentropy_forward;
using llmc::gelu_backward;
using llmc::gelu_forward;
using llmc::gemm_nn;  // C[M,N] (+)= A[M,K] @ B[K,N] (row-major), blocked, SIMD chosen from CPUID
using llmc::layernorm_backward;
using llmc::layernorm_forward;
using llmc::linear_backward;
using llmc::linear_forward;
using llmc::set_threads;  // threads for all parallel loops (OpenMP)
using llmc::transpose;

// Causal multi-head attention on packed qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,T): the LM's
// shape of llmc::attention_forward / attention_backward.
void attention_forward(float* out, float* att, const float* qkv, int B, int T, int C, int NH);
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* att, int B,
                        int T, int C, int NH);

// Named views of one decoder block's tensors inside a flat buffer laid out by ParamLayout (the
// parameters, or the gradients): the only place that knows the per-layer offsets.
struct BlockParams {
  float* ln1w;      // (C)
  float* ln1b;      // (C)
  float* qkvw;      // (3C, C)
  float* qkvb;      // (3C)
  float* attprojw;  // (C, C)
  float* attprojb;  // (C)
  float* ln2w;      // (C)
  float* ln2b;      // (C)
  float* fcw;       // (4C, C)
  float* fcb;       // (4C)
  float* fcprojw;   // (C, 4C)
  float* fcprojb;   // (C)
};
BlockParams block_params(const ParamLayout& L, const ModelShape& s, float* base, int layer);

// Serialization of a trained model (shape + params + a few floats of metadata).
bool save_model(const std::string& path, const Model& m, const std::vector<double>& meta);
bool load_model(const std::string& path, Model& m, std::vector<double>& meta);

}  // namespace lm
