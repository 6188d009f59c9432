// Llama-architecture decoder inference (forward only) on dequantised GGUF weights.
//
// Block (pre-norm): h = x + Wo . attn(rope(Wq . rms(x)), rope(Wk . rms(x)), Wv . rms(x))
//                   x' = h + Wd . (silu(Wg . rms(h)) * (Wu . rms(h)))
// rms(x) = x / sqrt(mean(x^2) + eps) * w. Grouped-query attention: query head h reads key/value
// head h / (n_heads / n_kv_heads). RoPE as ggml's "normal" mode for llama: adjacent pairs
// (x[2i], x[2i+1]) of each head rotate by pos * theta^(-2i/rot_dim) (llama.cpp's converter
// permutes HF's q/k weights so that this equals HF's rotate-half on the original weights).
// Output: rms(x) . E^T with E the token embedding when there is no output.weight (tied).
// Every optimised routine here has a naive double-precision reference (the *_ref functions).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace llmc {

class GgufFile;

struct LlamaConfig {
  int n_layers = 0, d_model = 0, n_heads = 0, n_kv_heads = 0, head_dim = 0, d_ff = 0, vocab = 0;
  int rope_dim = 0;       // rotated dims per head (llama: head_dim)
  int ctx_train = 0;      // llama.context_length
  double rope_theta = 10000.0, rms_eps = 1e-5;
  bool tied = true;
  int kv_dim() const { return n_kv_heads * head_dim; }
};

// Named per-layer weights, each row-major (out, in) as GGUF stores them (dims[0] = in).
struct LlamaLayer {
  std::vector<float> attn_norm;  // (d)
  std::vector<float> wq;         // (d, d)
  std::vector<float> wk, wv;     // (kv_dim, d)
  std::vector<float> wo;         // (d, d)
  std::vector<float> ffn_norm;   // (d)
  std::vector<float> w_gate, w_up;  // (d_ff, d)
  std::vector<float> w_down;     // (d, d_ff)
};

struct LlamaModel {
  LlamaConfig cfg;
  std::vector<float> tok_emb;   // (vocab, d)
  std::vector<float> out_norm;  // (d)
  std::vector<float> output;    // (vocab, d); empty when tied to tok_emb
  std::vector<LlamaLayer> layers;
  const float* head() const { return cfg.tied ? tok_emb.data() : output.data(); }
  int64_t n_params() const;
};

// Reads general.architecture == "llama" and its hyper-parameters and dequantises every weight.
LlamaModel load_llama_gguf(const GgufFile& f);

// SIMD path of the GEMM, chosen at run time from CPUID (llmc::simd_name()).
const char* simd_path();
// Runs fn(begin, end) over [0, n) split in contiguous chunks over `threads` threads.
void parallel_for(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn);
// The position of the z-th causal attention row in zigzag order (0, T-1, 1, T-2, ...): a row's
// work grows with its position, so contiguous chunks of this order carry equal work.
inline int zigzag_row(int z, int T) {
  return z % 2 == 0 ? z / 2 : T - 1 - z / 2;
}

// out (T, N) = x (T, K) . W^T with W (N, K): llmc::gemm_nt (bit-identical for any thread count).
void matmul(float* out, const float* x, const float* w, int T, int K, int N, int threads);
void matmul_ref(double* out, const double* x, const double* w, int T, int K, int N);
float dot(const float* a, const float* b, int n);
// p[s] = dot(q, k + s * ld, n) for s < count (one query's scores against `count` keys), bit for
// bit as dot() one key at a time.
void dot_rows(const float* q, const float* k, size_t ld, int n, int count, float* p);
// acc[c] += (w[s] * wscale) * v[s * ld + c] for s < count in ascending s (attention's weighted sum
// of value rows), bit for bit as that scalar loop.
void weighted_rows(const float* w, float wscale, const float* v, size_t ld, int count, int n, float* acc);
// x[i] = fexp(x[i] - sub) (llmc/math.hpp), bit for bit on every SIMD path; returns their sum
// (8 partial sums combined in a fixed order). SwiGLU's sigmoid uses it; the KV attention's
// softmax keeps std::exp (fexp's few-ulp error is visible in plain q4_0's perplexity).
float exp_sub_sum(float* x, int64_t n, float sub);

// out (T, C) = rms(x (T, C)) * w (C)
void rmsnorm(float* out, const float* x, const float* w, int T, int C, float eps);
void rmsnorm_ref(double* out, const double* x, const double* w, int T, int C, double eps);

// In place on x (T, n_heads, head_dim) at positions pos0 + t: ggml normal-mode RoPE.
void rope(float* x, int T, int n_heads, int head_dim, int rot_dim, double theta, int pos0, int threads = 1);
void rope_ref(double* x, int T, int n_heads, int head_dim, int rot_dim, double theta, int pos0);

// out (T, n) = silu(gate) * up, gate/up (T, n)
void swiglu(float* out, const float* gate, const float* up, int64_t n, int threads = 1);

// Exact causal GQA: q (T, n_heads, hd), k/v (T, n_kv, hd) -> out (T, n_heads, hd), scale 1/sqrt(hd).
void attention_gqa(float* out, const float* q, const float* k, const float* v, int T, int n_heads,
                   int n_kv, int hd, int threads);
void attention_gqa_ref(double* out, const double* q, const double* k, const double* v, int T,
                       int n_heads, int n_kv, int hd);

// Attention of one layer over one window: q (T, n_heads*hd) after RoPE, k (T, kv_dim) after RoPE,
// v (T, kv_dim) -> out (T, n_heads*hd). The kernel passes one that quantises the KV cache.
using AttentionFn = std::function<void(int layer, const float* q, const float* k, const float* v,
                                       int T, float* out)>;

// Forward of one window of T tokens at positions 0..T-1; hidden (T, d) = the final rms(x).
// attn: null for exact attention.
void llama_forward(const LlamaModel& m, const int* tokens, int T, const AttentionFn& attn,
                   float* hidden, int threads);
// logits (n, vocab) of hidden rows rows[0..n).
void llama_logits(const LlamaModel& m, const float* hidden, const int* rows, int n, float* logits,
                  int threads);

}  // namespace llmc
