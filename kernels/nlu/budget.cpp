// The bit-budget matcher (see budget.hpp).
#include "budget.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace nlu {

BudgetMatch match_budget(const std::vector<BudgetBlock>& blocks, double base_bits, double target_bits, double tol) {
  BudgetMatch m;
  m.bin_rows.assign(blocks.size(), 0);
  double need = base_bits - target_bits;  // bits still to save
  double saved = 0, can_save = 0;
  for (auto& b : blocks) can_save += b.rows * (b.rest_row_bits - b.bin_row_bits);
  for (size_t i = 0; i < blocks.size() && need > 0; i++) {
    const BudgetBlock& b = blocks[i];
    const double per_row = b.rest_row_bits - b.bin_row_bits;
    if (per_row <= 0) continue;  // binarising this block would not save bits
    const double whole = b.rows * per_row;
    if (need >= whole) {
      m.bin_rows[i] = b.rows;
      need -= whole;
      saved += whole;
      continue;
    }
    const int r = std::min(b.rows, (int)std::lround(need / per_row));
    m.bin_rows[i] = r;
    need -= r * per_row;
    saved += r * per_row;
    break;
  }
  m.bits = base_bits - saved;
  const double gap = std::fabs(m.bits - target_bits);
  m.ok = gap <= tol * std::max(std::fabs(m.bits), std::fabs(target_bits));
  if (!m.ok) {
    std::ostringstream w;
    if (target_bits > base_bits)
      w << "the target " << target_bits << " bits exceeds the model with no block binarised (" << base_bits << " bits)";
    else if (base_bits - target_bits > can_save)
      w << "binarising every block saves " << can_save << " bits but " << base_bits - target_bits
        << " must be saved to reach " << target_bits << " bits";
    else
      w << "the nearest match, " << m.bits << " bits, is " << gap / std::max(1.0, target_bits) * 100
        << "% from the target " << target_bits << " (tolerance " << tol * 100 << "%)";
    m.why = w.str();
  }
  return m;
}

}  // namespace nlu
