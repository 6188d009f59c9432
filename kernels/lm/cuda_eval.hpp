// CUDA evaluation path of the LM kernel: the same forward pass as lm::eval_forward (quantized
// KV cache included) on one GPU. Declared always; defined only in CUDA builds (cuda_eval.cu).
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace lm {

struct CudaInfo {
  std::string name;
  std::string cc;  // "9.0"
};

// True when device `index` exists and this build has kernels for it.
bool cuda_probe(int index, CudaInfo* info, std::string* err);
// Compute capabilities this binary was built for, e.g. {"8.0", "9.0"}.
std::vector<std::string> cuda_built_ccs();
// Mean NLL over non-overlapping windows of L+1 tokens (stride L), like lm::eval_stream.
bool cuda_eval_stream(const Model& model, const std::vector<int>& stream, int L, int batch,
                      const EvalOptions& opt, int device, double* nll, long* count,
                      std::string* err, long* hits = nullptr);
// Logits (B, T, V) of one batch, for tests against the CPU reference.
bool cuda_eval_logits(const Model& model, const std::vector<int>& inputs, int B, int T,
                      const EvalOptions& opt, int device, std::vector<float>* logits,
                      std::string* err);

}  // namespace lm
