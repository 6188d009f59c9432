// Device layers shared by the CUDA eval paths (lm: GPT and Llama; nlu where the op is the same).
// Host launchers on device pointers, queued on the default stream; plain C++ declarations so host
// code includes them without CUDA headers. Every tensor is row-major with the shape in the comment.
// The CPU counterparts (the references the GPU tests compare with) are named beside each.
#pragma once

#include <cstdint>
#include <string>

#include "cuda/attention.cuh"

namespace llmc {
namespace cuda {

// out (N, C) = wte[tok[r]] + (wpe ? wpe[r % T] : 0); tok (N), wte (V, C), wpe (T, C).
void embedding(float* out, const int* tok, const float* wte, const float* wpe, int N, int T, int C);

// out (N, C) = x / sqrt(mean(x^2) + eps) * w; x (N, C), w (C). Sum of squares in double (llmc::rmsnorm).
void rmsnorm(float* out, const float* x, const float* w, int N, int C, float eps);

// out (N, C) = (x - mean) / sqrt(var + eps) * w + b; one warp per row (the GPT eval's LayerNorm).
void layernorm(float* out, const float* x, const float* w, const float* b, int N, int C, float eps);

// out (N, OC) = x (N, K) . W^T (+ bias (OC)), W (OC, K): 16x16 shared-memory tiles (llmc::matmul).
// ldo: row stride of out (OC when 0).
void matmul(float* out, const float* x, const float* W, const float* bias, int N, int K, int OC, int ldo = 0);

// In place on x (T, n_heads, head_dim) at positions pos0 + t: ggml normal-mode RoPE, adjacent
// pairs (2i, 2i+1) rotated by pos * theta^(-2i/rot_dim), angles in double (llmc::rope).
void rope(float* x, int T, int n_heads, int head_dim, int rot_dim, double theta, int pos0);

// out (n) = silu(gate) * up (llmc::swiglu).
void swiglu(float* out, const float* gate, const float* up, int64_t n);
// x (n) = gelu(x), the tanh form of llmc::gelu_f.
void gelu(float* x, int64_t n);
// x (n) += y (n).
void add(float* x, const float* y, int64_t n);

// Causal GQA over B sequences of T tokens (AttentionArgs, attention.cuh): one thread per (b, h, t)
// query running attend_query, so no limit on T. Returns false (and *err) when hd > kMaxHeadDim.
bool attention(const AttentionArgs& a, std::string* err);

// Per row r of logits (N, V): nll[r] = logsumexp(logits[r]) - logits[r][targets[r]] (in double,
// as lm::eval_ppl) and hit[r] = 1 when the first index of the row's maximum is the target.
void nll_rows(double* nll, unsigned char* hit, const float* logits, const int* targets, int N, int V);

// cudaGetLastError + cudaDeviceSynchronize; false with *err naming `what` on a failure.
bool sync(const char* what, std::string* err);

}  // namespace cuda
}  // namespace llmc
