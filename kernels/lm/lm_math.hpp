// Elementwise math of the LM (CPU and CUDA): llmc's vectorizable exp and tanh-GELU, under lm::.
#pragma once

#include "kvquant.hpp"  // LM_HD
#include "llmc/math.hpp"

namespace lm {
using llmc::fexp;
using llmc::ftanh;
using llmc::gelu_f;
using llmc::gelu_grad;
using llmc::kGeluS;
}  // namespace lm
