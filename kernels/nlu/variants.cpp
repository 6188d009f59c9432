// Variant plans and the H4 budget-matched plan (see variants.hpp).
#include "variants.hpp"

#include <algorithm>
#include <cmath>

#include "budget.hpp"

namespace nlu {

QuantPlan plan_for(const VariantOptions& o, const std::string& quant, const EncoderShape& s) {
  using llmc::Quant;
  QuantPlan p;
  if (quant == "fp16") {
    p = QuantPlan::uniform(s, EmbQuant::kFp32, Quant::kFp32);
  } else if (quant == "int4") {
    p = o.int4_mode == "qat" ? QuantPlan::uniform(s, EmbQuant::kInt4, Quant::kInt4)
                             : QuantPlan::uniform(s, EmbQuant::kNf4, Quant::kNf4Lora);
  } else if (quant == "bin-embed") {
    p = QuantPlan::uniform(s, EmbQuant::kInt4, Quant::kInt4);
    p.wte = EmbQuant::kBinary;
  } else if (quant == "bin-blocks") {
    p = QuantPlan::uniform(s, EmbQuant::kInt4, Quant::kInt4);
    const int outs[4] = {3 * s.C, s.C, s.F(), s.C};
    for (int l = 0; l < s.L; l++)
      for (int k = 0; k < 4; k++) p.bin_rows[(size_t)l * 4 + k] = outs[k];
  } else {
    throw std::invalid_argument("unknown variant '" + quant + "'");
  }
  p.bin = o.bin_weights == "ternary" ? Quant::kTernary : Quant::kBinary;
  p.group = o.group;
  p.lora_rank = o.lora_rank;
  p.lora_alpha = o.lora_alpha;
  return p;
}

QuantPlan match_bin_embed(const VariantOptions& o, const EncoderShape& s, std::vector<BudgetChoice>* chosen,
                          double* target_bits, double* got_bits) {
  Encoder ref;
  ref.build(s, plan_for(o, "bin-embed", s), 1);
  *target_bits = ref.storage_bits();
  QuantPlan none = plan_for(o, "bin-embed", s);
  none.wte = EmbQuant::kInt4;  // start from everything int4, token embeddings included
  Encoder base;
  base.build(s, none, 1);
  const int outs[4] = {3 * s.C, s.C, s.F(), s.C}, ins[4] = {s.C, s.C, s.C, s.F()};
  const bool tern = o.bin_weights == "ternary";
  std::vector<BudgetBlock> blocks;
  std::vector<int> index;
  for (int l = s.L - 1; l >= 0; l--)
    for (int k : {kFcProj, kFc, kProj, kQkv}) {
      BudgetBlock b;
      b.name = "layer" + std::to_string(l) + "." + block_name(k);
      b.rows = outs[k];
      b.rest_row_bits = 4.0 * ins[k] + 32.0 * ins[k] / o.group + 32;  // codes, group scales, bias
      b.bin_row_bits = (tern ? 1.6 : 1.0) * ins[k] + (tern ? 0 : 32) + 32;  // signs (trits), beta, bias
      blocks.push_back(b);
      index.push_back(l * 4 + k);
    }
  const BudgetMatch m = match_budget(blocks, base.storage_bits(), *target_bits, o.tol);
  if (!m.ok) throw BudgetError(m.why);
  QuantPlan p = none;
  p.bin_rows.assign((size_t)s.L * 4, 0);
  for (size_t i = 0; i < blocks.size(); i++) {
    p.bin_rows[index[i]] = m.bin_rows[i];
    if (m.bin_rows[i] > 0) chosen->push_back({blocks[i].name, m.bin_rows[i], blocks[i].rows});
  }
  // the matcher's per-row costs model the storage; check the built model's real total
  Encoder check;
  check.build(s, p, 1);
  *got_bits = check.storage_bits();
  if (std::fabs(*got_bits - *target_bits) > o.tol * std::max(*got_bits, *target_bits))
    throw BudgetError("the matched model has " + std::to_string(*got_bits) + " bits vs bin-embed's " +
                      std::to_string(*target_bits) + ", beyond the tolerance");
  return p;
}

}  // namespace nlu
