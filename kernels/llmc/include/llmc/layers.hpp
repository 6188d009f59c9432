// Layers of llmc with forward and backward passes (llm.c style: plain functions on fp32 buffers,
// a shape comment on every tensor). Backward passes ACCUMULATE (+=) into their gradient outputs,
// so callers zero gradients once per step. Each optimised routine has a naive double-precision
// reference in llmc/reference.hpp that the tests compare against.
//
// Shapes: B batch, T sequence length, C channels, V vocabulary, NH query heads, NKV key/value heads,
// hs = C / NH head size, N = B*T rows.
#pragma once

#include <cstddef>

namespace llmc {

// ---------------------------------------------------------------- embedding
// out (B,T,C) = wte[tokens[b,t]] (V,C) + wpe[t] (T,C); wpe may be nullptr (no positions).
void embedding_forward(float* out, const int* tokens, const float* wte, const float* wpe, int B, int T,
                       int C);
// dwte (V,C) += ..., dwpe (T,C) += ... (nullptr skips); serial in (b, t) order (deterministic).
void embedding_backward(float* dwte, float* dwpe, const float* dout, const int* tokens, int B, int T, int C);

// ---------------------------------------------------------------- layernorm (eps 1e-5)
// out (N,C), mean (N), rstd (N) (mean/rstd may be nullptr at inference); inp (N,C); w, b (C).
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b,
                       int N, int C);
// dinp (N,C) +=, dw (C) +=, db (C) +=; the per-channel sums run over n in ascending order.
void layernorm_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp,
                        const float* w, const float* mean, const float* rstd, int N, int C);

// ---------------------------------------------------------------- GELU (tanh approximation)
void gelu_forward(float* out, const float* inp, int n);                       // out, inp (n)
void gelu_backward(float* dinp, const float* inp, const float* dout, int n);  // dinp (n) +=

// ---------------------------------------------------------------- residual
void residual_forward(float* out, const float* a, const float* b, size_t n);  // out = a + b (n)

// ---------------------------------------------------------------- fp32 linear (no quantisation)
// out (N,OC) = inp (N,C) @ w (OC,C)^T + b (OC) (b may be nullptr); scratch: C*OC floats.
void linear_forward(float* out, const float* inp, const float* w, const float* b, int N, int C, int OC,
                    float* scratch);
// dinp (N,C) += dout @ w; dw (OC,C) += dout^T @ inp; db (OC) += sum_n dout (dinp/db may be
// nullptr); scratch is unused (kept for the LM interface; gemm_tn needs no transpose).
void linear_backward(float* dinp, float* dw, float* db, const float* dout, const float* inp, const float* w,
                     int N, int C, int OC, float* scratch);

// ---------------------------------------------------------------- attention
// Packed projections qkv (B,T,C + 2*KVC) with q | k | v per row, KVC = NKV * hs; query head h reads
// key/value head h / (NH / NKV) (grouped-query attention; NKV == NH is multi-head).
struct AttnShape {
  int B = 1, T = 1, C = 0, NH = 1, NKV = 0;  // NKV = 0 means NKV = NH
  bool causal = true;                        // false: bidirectional (encoder)
  int nkv() const { return NKV ? NKV : NH; }
  int hs() const { return C / NH; }
  int kvc() const { return nkv() * hs(); }
  size_t row() const { return (size_t)C + 2 * (size_t)kvc(); }  // width of a qkv row
};

// Quantised KV cache hook: kv_transform (if set) rewrites the K | V parts of qkv in place after the
// K/V projection (e.g. the LM's int8/int4/fp16 fake-quant or its sign codes), and when kscale /
// vscale (B,T,KVC) are set the query at t sees k_s * kscale_t and v_s * vscale_t (the LM's binary
// cache with running per-channel scales). Training leaves it empty.
struct KvHook {
  void (*kv_transform)(float* qkv, float* kscale, float* vscale, const AttnShape& s,
                       const void* ctx) = nullptr;
  const void* ctx = nullptr;
  float* kscale = nullptr;  // (B,T,KVC) or nullptr
  float* vscale = nullptr;  // (B,T,KVC) or nullptr
};

// out (B,T,C); att (B,NH,T,T) softmax probabilities (saved for backward; nullptr at inference);
// qkv (B,T,row); lens (B) valid keys per sequence (padding mask; nullptr = all T). A query sees keys
// s <= t (causal) or s < lens[b] (bidirectional). hook may be nullptr.
void attention_forward(float* out, float* att, float* qkv, const AttnShape& s, const int* lens,
                       const KvHook* hook);
// dqkv (B,T,row) += ...; needs NKV == NH and no hook scales (training path).
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* att,
                        const AttnShape& s, const int* lens);

// ---------------------------------------------------------------- softmax / losses
// probs (N,V) = softmax(logits (N,V) / temperature) per row.
void softmax_forward(float* probs, const float* logits, int N, int V, float temperature);
// Softmax + cross entropy: probs (N,V), losses (N) (nats) from logits (N,V) and targets (N).
void crossentropy_forward(float* probs, float* losses, const float* logits, const int* targets, int N, int V);
// dlogits (N,V) = (probs - onehot(targets)) * scale (overwrites).
void crossentropy_backward(float* dlogits, const float* probs, const int* targets, int N, int V, float scale);
// Distillation loss (Hinton et al.): losses (N) = tau^2 * KL(softmax(t/tau) || softmax(s/tau));
// ps, pt (N,V) receive the softened student / teacher probabilities (saved for backward).
void kl_distill_forward(float* losses, float* ps, float* pt, const float* student_logits,
                        const float* teacher_logits, int N, int V, float tau);
// dstudent (N,V) += scale * tau * (ps - pt) (the gradient of scale * losses).
void kl_distill_backward(float* dstudent, const float* ps, const float* pt, int N, int V, float tau,
                         float scale);

// ---------------------------------------------------------------- pooling (encoder heads)
enum class Pool { kFirst, kMean };
// out (B,C) from inp (B,T,C): the first token, or the mean over the lens[b] valid tokens
// (lens nullptr = T). The classification head is then a Linear (C -> classes) on out.
void pool_forward(float* out, const float* inp, const int* lens, int B, int T, int C, Pool mode);
// dinp (B,T,C) += ...
void pool_backward(float* dinp, const float* dout, const int* lens, int B, int T, int C, Pool mode);

}  // namespace llmc
