// H4's bit-budget matcher: which block rows of `bin-blocks` to binarise so that the model's total
// bits equal a target (bin-embed's total) within a tolerance. Pure: no model, no I/O.
#pragma once

#include <string>
#include <vector>

namespace nlu {

struct BudgetBlock {
  std::string name;        // e.g. "layer1.fc_proj"
  int rows = 0;            // output rows (each row binarises as a unit: one per-row scale)
  double rest_row_bits = 0;  // storage of one row at the non-binary policy (weights, scales, bias)
  double bin_row_bits = 0;   // storage of one row as BitLinear
};

struct BudgetMatch {
  bool ok = false;
  std::vector<int> bin_rows;  // per block, in the order given
  double bits = 0;            // predicted total bits with these rows binarised
  std::string why;            // when !ok: why the target cannot be met
};

// Blocks are taken whole in the given order (the preference order) while the bits still to save
// exceed a whole block's saving; the next block then gives just the rows that bring the total
// nearest to the target. base_bits is the model's total with no row binarised. ok when
// |bits - target| <= tol * max(bits, target).
BudgetMatch match_budget(const std::vector<BudgetBlock>& blocks, double base_bits, double target_bits, double tol);

}  // namespace nlu
