// KV-cache formats applied to a Llama model's attention, and sliding-window perplexity.
// The formats are defined in kvquant.hpp; here is where each reads its K/V: per layer, every
// token's post-RoPE key and its value vector (width kv_dim = n_kv_heads * head_dim) are cached,
// and the query at t attends to the cached form of every s <= t (its own token included).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kvquant.hpp"
#include "llmc/llama.hpp"

namespace lm {

// Rotation of each head's q, k and v before a quantised cache stores them (QuaRot-style; what
// llama.cpp does by default for quantised cache types since its PR 21038): k and q by the same
// orthonormal Walsh-Hadamard matrix H (so q.k is unchanged), v by H and the attention output by H
// again (H H = I). It spreads outlier channels over the block, so a block quantiser's scale fits.
// No effect on fp16/fp32 (as in llama.cpp, which only rotates for quantised types).
enum class KvRotation { NONE = 0, HADAMARD = 1 };

struct KvConfig {
  KvMode mode = KvMode::INT4;
  KvRotation rotation = KvRotation::NONE;
  int group = 32;      // intN / kivi channel group, kivi key token block
  int residual = 0;    // R: most recent tokens kept at fp16
  int qjl_dim = 0;     // m of qjl (0 = head_dim)
  uint64_t seed = 0;   // qjl projection seed
};

// Every kv name the Llama path accepts and its mode.
const std::vector<std::string>& llama_kv_names();
KvMode kv_mode_from_name(const std::string& name);  // std::invalid_argument for an unknown name

// Bytes of the whole cache (K and V, all layers) after L tokens of one sequence.
double llama_kv_bytes(const llmc::LlamaConfig& c, const KvConfig& kv, int L);
// 8 * bytes / (2 * n_layers * L * kv_dim): bits per cached scalar, scales and residual included.
double llama_kv_bits_per_scalar(const llmc::LlamaConfig& c, const KvConfig& kv, int L);

// One layer's attention with the KV cache in format kv: q (T, n_heads*hd), k, v (T, n_kv*hd)
// -> out (T, n_heads*hd).
void kv_attention(const KvConfig& kv, int layer, const float* q, const float* k, const float* v,
                  int T, int n_heads, int n_kv, int hd, float* out, int threads);
// Naive double-precision reference of the same: reconstructs, for every query t, the cached
// K^(t)_s and V^(t)_s of each s <= t explicitly and applies softmax(q.K^/sqrt(hd)) V^.
void kv_attention_ref(const KvConfig& kv, int layer, const double* q, const double* k,
                      const double* v, int T, int n_heads, int n_kv, int hd, double* out);
// Block widths of the Hadamard rotation for head width hd (llama.cpp's choice): keys the largest
// power of two >= 64 that divides hd, values 64. Throws std::invalid_argument unless hd % 64 == 0.
int hadamard_key_block(int hd);
int hadamard_value_block(int hd);
// In place: each consecutive block of n (a power of two) values of x[0, len) times H_n, the
// Sylvester Hadamard matrix scaled by 1/sqrt(n) (fast Walsh-Hadamard transform).
void hadamard_blocks(float* x, int64_t len, int n);
// The seeded JL projection (m x hd, N(0,1)) of qjl for a layer.
std::vector<float> qjl_projection(uint64_t seed, int layer, int m, int hd);

// Perplexity windows over a token stream, as llama.cpp's llama-perplexity forms them:
//   stride == 0: chunks [iL, (i+1)L), scoring the targets at chunk positions L/2+1 .. L-1;
//   stride  > 0: windows [iS, iS+L) for i < ceil((N-L)/S), scoring their last S targets.
struct PplWindow {
  int64_t start = 0;
  int first_target = 0;  // first scored position inside the window
};
std::vector<PplWindow> ppl_windows(int64_t n_tokens, int L, int stride);

struct PplResult {
  double nll_sum = 0;             // sum over scored targets (nats)
  int64_t count = 0, hits = 0;    // scored targets, top-1 hits
  std::vector<double> window_nll; // mean NLL per window
  std::vector<int64_t> window_start;
  double seconds = 0;             // forward + logits time
  // Adds one evaluated window: its NLL sum over `count` scored targets, and its time.
  void add_window(int64_t start, double window_nll_sum, int64_t window_count, double window_seconds) {
    seconds += window_seconds;
    nll_sum += window_nll_sum;
    count += window_count;
    window_nll.push_back(window_count ? window_nll_sum / window_count : 0.0);
    window_start.push_back(start);
  }
};

// Evaluates windows[w0, w1) of `tokens` with context L. first_logits: when non-null, receives the
// logits (n_scored x vocab) of the first window (for the llama.cpp comparison).
PplResult eval_ppl(const llmc::LlamaModel& m, const std::vector<int>& tokens,
                   const std::vector<PplWindow>& windows, int L, const KvConfig& kv, int threads,
                   const std::function<void(size_t done)>& progress,
                   std::vector<float>* first_logits = nullptr);

}  // namespace lm
