// CUDA evaluation path of binllm-nlu: the packed model (BitLinear rows as sign bits with int8
// activations, int4 / NF4 codes, ternary codes, fp16 / fp32) evaluated on one GPU with the same
// arithmetic as PackedEncoder::forward, on the shared device probe and layers of kernels/llmc/cuda.
// Declared always; defined only in CUDA builds.
#pragma once

#include <string>
#include <vector>

#include "cuda/cuda_probe.cuh"
#include "packed.hpp"

namespace nlu {

using CudaInfo = llmc::cuda::DeviceInfo;
// True when device `index` exists and this build has kernels for it (the shared llmc::cuda::probe).
inline bool cuda_probe(int index, CudaInfo* info, std::string* err) { return llmc::cuda::probe(index, info, err); }
// Compute capabilities this binary was built for, e.g. {"8.0", "9.0"}.
inline std::vector<std::string> cuda_built_ccs() { return llmc::cuda::built_ccs(); }
// logits (n,K) of rows ids (n,T) / lens (n), evaluated in batches of `batch` on device `device`.
bool cuda_eval_logits(const PackedEncoder& pe, const int* ids, const int* lens, int n, int batch, int device,
                      std::vector<float>* logits, std::string* err);

}  // namespace nlu
