// The four H3/H4 variants as quantisation plans of the encoder, and H4's budget-matched bin-blocks.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "encoder.hpp"

namespace nlu {

struct VariantOptions {
  std::string int4_mode = "nf4-lora";  // "nf4-lora" | "qat"
  std::string bin_weights = "binary";  // "binary" | "ternary"
  int group = 32, lora_rank = 8;
  float lora_alpha = 16.f;
  double tol = 0.01;  // budget tolerance (relative)
};

// fp16: every tensor fp32 (stored as fp16); int4: NF4 embeddings + NF4/LoRA blocks, or int4 QAT
// everywhere; bin-embed: binary token embeddings, the rest int4 QAT; bin-blocks: every block row
// BitLinear, embeddings int4 QAT. LayerNorms, biases and the head stay fp32 in every quantised plan.
QuantPlan plan_for(const VariantOptions& o, const std::string& quant, const EncoderShape& s);

struct BudgetChoice {
  std::string block;  // "layer1.fc_proj"
  int rows = 0, of = 0;
};
class BudgetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// bin-blocks binarising just enough block rows (last layer first; fc_proj, fc, attn_proj, qkv) to
// equal bin-embed's total bits within o.tol, checked on the built model's real storage. Throws
// BudgetError saying why when it cannot be met.
QuantPlan match_bin_embed(const VariantOptions& o, const EncoderShape& s, std::vector<BudgetChoice>* chosen,
                          double* target_bits, double* got_bits);

}  // namespace nlu
