// GPT-2-layout safetensors checkpoints (Hugging Face GPT2LMHeadModel naming, with or without the
// "transformer." prefix): wte, wpe, h.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
// mlp.c_proj}, ln_f, optional lm_head. Conv1D weights are stored (in, out) and transposed here.
// The container (dtypes F32, F16, BF16; header and bounds checks) is llmc/safetensors.hpp.
// The number of heads is not in the file: the caller gives it.
#pragma once

#include <string>

#include "model.hpp"

namespace lm {

bool load_gpt2_safetensors(const std::string& path, int n_heads, Model& out, std::string* err);
// Writes a model in the same layout (F32, no prefix), e.g. for tests or to export a trained model.
bool write_gpt2_safetensors(const std::string& path, const Model& m, std::string* err);

}  // namespace lm
