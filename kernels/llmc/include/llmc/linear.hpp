// A linear layer whose weights go through a quantisation policy.
//
//   llmc::LinearConfig lc{/*in*/ 64, /*out*/ 256, /*bias*/ true, llmc::Quant::kBinary};
//   llmc::Linear fc(lc);
//   llmc::Carver size_pass;             fc.carve(size_pass, nullptr);   // size_pass.off floats
//   std::vector<float> P(n), G(n);      // flat params / grads of the whole model
//   llmc::Carver cp(P.data()), cg(G.data());
//   llmc::LinearParams p = fc.carve(cp), g = fc.carve(cg);
//   fc.init(p, rng, 0.02f);
//   fc.forward(out, inp, N, p);          // out (N,out) = Q_x(inp) @ Q_w(w)^T + b (+ LoRA)
//   fc.backward(dinp, g, dout, inp, N, p);  // accumulates into dinp (may be nullptr) and g
//
// Policies (LinearConfig::quant):
//   kFp32    w used as is.                                        bits: 32*out*in
//   kInt4    group-wise int4 fake-quant of w (QAT), STE.          bits: 4*out*in + 32*groups
//   kNf4Lora NF4 frozen base (quantised once, at the first forward after init/freeze()) plus
//            LoRA adapters: y = x Wq^T + (alpha/r) (x A^T) B^T, A (r,in), B (out,r), B = 0 at init;
//            only A, B and the bias train.                   bits: 4*out*in + 32*blocks + 32*r*(in+out)
//   kBinary  BitLinear: sign(w) * per-row absmean, STE.           bits: out*in + 32*out
//   kTernary BitLinear b1.58: ternary absmean, STE.               bits: 1.6*out*in (5 trits/byte) + 32
// act8 (default on for kBinary / kTernary): 8-bit absmax per-token activations, STE.
// The bias (fp32) adds 32*out bits to every policy.
//
// STE as defined here: for the quantised weight w_q = Q(w), d loss / d w := d loss / d w_q, and for
// x_q = Q8(x), d loss / d x := d loss / d x_q (no clipping: absmax scaling never saturates).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "binllm/rng.hpp"
#include "llmc/core.hpp"

namespace llmc {

enum class Quant { kFp32, kInt4, kNf4Lora, kBinary, kTernary };
// "fp32" | "int4" | "nf4-lora" | "binary" | "ternary"
const char* quant_name(Quant q);
// Parses quant_name(); throws std::invalid_argument naming the value and the accepted names.
Quant parse_quant(const std::string& s);

struct LinearConfig {
  int in = 0, out = 0;
  bool bias = true;
  Quant quant = Quant::kFp32;
  int group = 64;         // int4 group / NF4 block (must divide in)
  int lora_rank = 8;      // kNf4Lora
  float lora_alpha = 16;  // kNf4Lora: adapter scale alpha / rank
  int act8 = -1;          // -1: on for kBinary/kTernary, else off; 0/1 force
  bool act8_on() const {
    return act8 < 0 ? (quant == Quant::kBinary || quant == Quant::kTernary) : act8 != 0;
  }
};

// Views of one layer's tensors inside a flat buffer (parameters, or their gradients).
struct LinearParams {
  float* w = nullptr;       // (out, in) latent weights (the NF4 base is frozen: no gradient)
  float* b = nullptr;       // (out) or nullptr
  float* lora_a = nullptr;  // (rank, in)  kNf4Lora only
  float* lora_b = nullptr;  // (out, rank) kNf4Lora only
};

class Linear {
 public:
  Linear() = default;
  explicit Linear(const LinearConfig& c);  // throws std::invalid_argument on a bad shape
  const LinearConfig& config() const { return cfg_; }

  // Takes this layer's tensors from the carver in a fixed order (w, b, lora_a, lora_b).
  LinearParams carve(Carver& c) const;
  size_t num_params() const;
  // w ~ N(0, std^2), b = 0, lora_a ~ N(0, 1/in), lora_b = 0.
  void init(const LinearParams& p, binllm::Rng& rng, float std) const;
  // NF4: re-quantise the frozen base from p.w at the next forward (after loading teacher weights).
  void freeze() { base_ready_ = false; }

  // out (N,out) = Q_x(inp (N,in)) @ Q_w(w)^T + b [+ LoRA]. Keeps what backward needs.
  void forward(float* out, const float* inp, int N, const LinearParams& p);
  // dinp (N,in) += ... (nullptr skips); g.w/g.b/g.lora_* += ... (nullptr members skip).
  void backward(float* dinp, const LinearParams& g, const float* dout, const float* inp, int N,
                const LinearParams& p);

  // Storage of the layer as deployed: weights + scales + adapters + bias, in bits.
  double storage_bits() const;
  // Effective weights of the last forward (out, in): what the matmul used.
  const std::vector<float>& effective_weights() const { return wq_; }

 private:
  void quantize_weights(const LinearParams& p);
  LinearConfig cfg_;
  bool base_ready_ = false;
  std::vector<float> wq_;       // (out, in) effective weights
  std::vector<uint8_t> codes_;  // NF4 codes (out*in)
  std::vector<float> absmax_;   // NF4 block scales
  std::vector<float> xq_;       // (N, in) quantised input of the last forward (act8)
  std::vector<float> h_;        // (N, rank) x A^T of the last forward (LoRA)
  std::vector<float> tmp_;      // (N, out) LoRA output / backward temporaries
  std::vector<float> scratch_;  // transposes
};

}  // namespace llmc
