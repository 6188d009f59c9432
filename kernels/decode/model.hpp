// binllm-decode-bench: a decoder stack of a given shape with seeded random weights in one of
// three formats, a prefilled KV cache of L tokens, and one decode step (CPU path).
//
// One layer (pre-norm, no learned norm gains, no rotary embedding: neither changes what a decode
// step reads), for each of the B sequences of the batch:
//   xn = rmsnorm(x)                          x: [B][D]
//   q = Wq xn [H*hd], k = Wk xn [Hk*hd], v = Wv xn [Hk*hd]
//   a = attention(q; cache of L tokens + the current token k, v)        a: [B][D]
//   x += Wo a
//   x += Wd silu(Wu rmsnorm(x))             Wu: [F][D], Wd: [D][F]
// and after the last layer hidden = rmsnorm(x).
// The cache holds L quantised tokens; the current token attends to them and to itself in fp32
// (a full-precision residual token, as KIVI-style caches keep), and a step does not append, so
// every timed step sees the same L.
//
// Attention per format (query head h uses KV head h / (H / Hk), GQA):
//   int4: K [L][hd/32] Q4 blocks per (b, kv head); q -> Q8; scores = dot_q4q8 / sqrt(hd);
//         p = softmax numerators, padded to Lp = roundup(L, kPChunk) with zeros, -> Q8;
//         Vᵀ [hd][Lp/32] Q4 blocks (channel-major, groups of 32 tokens): o_c = dot_q4q8(Vᵀ_c, p).
//   bin:  K bits [L][hd/64] + per-channel scale α_c; Vᵀ bits [hd][Lp/64] + per-channel scale β_c.
//         XNOR-popcount with a binarised query: q'_c = α_c q_c, s_q = mean |q'|,
//         score_t = s_q (hd - 2 popcount(sign(q') XOR K_t)) / sqrt(hd) — hd+1 possible values, so
//         the softmax numerators come from an (hd+1)-entry table; p -> 8-bit codes
//         per chunk j of kPChunk tokens (d_j = max p in chunk / 255) as bit planes;
//         o_c = β_c sum_j d_j (2 plane_dot(Vᵀ_jc, planes_j) - sum codes_j).
//   fp16: K, V [L][hd] fp16; scores = q·k / sqrt(hd), o = sum_t p_t v_t.
// Output: (o + p_self v_cur) / (sum_t p_t + p_self).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "formats.hpp"

namespace decode {

enum class Quant { Bin, Int4, Fp16 };
const char* quant_name(Quant q);

struct Shape {
  int d_model = 256;
  int n_layers = 2;
  int n_heads = 4;
  int n_kv_heads = 4;
  int d_ff = 512;
  int batch = 1;
  int head_dim() const { return d_model / n_heads; }
  int kv_dim() const { return n_kv_heads * head_dim(); }
};

// A weight matrix [rows][cols] in one format.
struct Matrix {
  int rows = 0, cols = 0;
  Quant q = Quant::Fp16;
  std::vector<BlockQ4> q4;     // int4: [rows][cols/32]
  std::vector<uint64_t> bits;  // bin:  [rows][cols/64], bit set = +1
  std::vector<float> scale;    // bin:  [rows] per-output-channel scale
  std::vector<uint16_t> f16;   // fp16: [rows][cols]
  size_t bytes() const;
};

struct LayerWeights {
  Matrix wq, wk, wv, wo, wu, wd;  // [D][D], [Hk*hd][D] x2, [D][D], [F][D], [D][F]
};

// The KV cache of one layer for all B sequences and Hk KV heads.
struct LayerCache {
  int L = 0, Lp = 0;  // cached tokens, padded to a multiple of kPChunk
  // int4
  std::vector<BlockQ4> k4;   // [B][Hk][L][hd/32]
  std::vector<BlockQ4> vt4;  // [B][Hk][hd][Lp/32]
  // bin
  std::vector<uint64_t> kb;  // [B][Hk][L][hd/64]
  std::vector<uint64_t> vtb; // [B][Hk][Lp/kPChunk][hd][kPChunk/64] (chunk-major)
  std::vector<float> ks, vs; // [B][Hk][hd] per-channel scales
  // fp16
  std::vector<uint16_t> k16, v16;  // [B][Hk][L][hd]
  size_t bytes() const;
};

// Bytes of the cache of one token position for one layer (all B sequences), for the memory check.
double cache_bytes_per_token(const Shape& s, Quant q);
// Bytes of all weights in format q.
double weight_bytes_of(const Shape& s, Quant q);

struct Model {
  Shape shape;
  Quant quant;
  uint64_t seed;
  std::vector<LayerWeights> layers;
  std::vector<LayerCache> cache;  // one per layer, refilled by fill_cache(L)
  std::vector<float> x0;          // [B][D] the input of every step (seeded)

  Model(const Shape& s, Quant q, uint64_t seed, int threads);
  void fill_cache(int L, int threads);  // seeded random codes, L tokens in every layer
  size_t weight_bytes() const;
  size_t cache_bytes() const;
  // What one step must read: all weights once + every layer's cache of L tokens.
  double step_read_bytes() const;
};

struct StepTimes {
  double attention_s = 0;  // wall time inside attention
  double total_s = 0;
};

// One decode step for every sequence; hidden: [B][D]. Uses kernels() (the active SIMD path).
// Deterministic: every output element is computed by one thread in a fixed order.
class Decoder {
 public:
  Decoder(const Model& m, int threads);
  void step(std::vector<float>& hidden, StepTimes* t = nullptr);

 private:
  const Model& m_;
  int threads_;
  // scratch
  std::vector<float> x_, xn_, q_, k_, v_, a_, u_;
  struct Act {                 // a prepared activation vector (per sequence)
    std::vector<BlockQ8> q8;   // int4
    std::vector<uint64_t> planes;  // bin: [8][cols/64]
    float d = 0;
    int64_t qsum = 0;
  };
  std::vector<Act> acts_;
  struct Scratch {
    std::vector<float> s, o;
    std::vector<int32_t> si;
    std::vector<uint8_t> codes;
    std::vector<uint64_t> planes;
    std::vector<BlockQ8> pq;
    std::vector<int64_t> r;
    std::vector<float> qp;
    std::vector<uint64_t> qbits;
  };
  std::vector<Scratch> scratch_;
  void prepare(const float* x, int cols, Quant q);  // fills acts_ for B vectors [B][cols]
  void gemv(const Matrix& w, float* y);             // y: [B][rows] from acts_
  void attention(int layer);                         // q_, k_, v_ -> a_
};

// Naive double-precision reference of the same quantised math (model.hpp header comment):
// returns hidden [B][D]. Slow: for tests on small shapes.
std::vector<double> reference_step(const Model& m);

}  // namespace decode
