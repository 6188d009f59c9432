// CUDA evaluation paths of the LM kernel, on the shared device layers of kernels/llmc/cuda:
//   the small GPT (lm::eval_forward / eval_stream, quantized KV cache included), and
//   pretrained Llama models (lm::eval_ppl: the same sliding windows, scored targets and per-window
//   NLL, every KV format of llama_kv_names() applied on the device as kv_attention does).
// Declared always; the CUDA functions are defined only in CUDA builds (cuda_eval.cu), and the
// device helpers at the end throw binllm::ResourceError (exit 3) in a build without CUDA.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "binllm/protocol.hpp"
#include "cuda/cuda_probe.cuh"
#include "llama_kv.hpp"
#include "model.hpp"

namespace lm {

using CudaInfo = llmc::cuda::DeviceInfo;

// True when device `index` exists and this build has kernels for it (llmc::cuda::probe).
inline bool cuda_probe(int index, CudaInfo* info, std::string* err) { return llmc::cuda::probe(index, info, err); }
// Compute capabilities this binary was built for, e.g. {"8.0", "9.0"}.
inline std::vector<std::string> cuda_built_ccs() { return llmc::cuda::built_ccs(); }

// Mean NLL over non-overlapping windows of L+1 tokens (stride L), like lm::eval_stream.
bool cuda_eval_stream(const Model& model, const std::vector<int>& stream, int L, int batch,
                      const EvalOptions& opt, int device, double* nll, long* count,
                      std::string* err, long* hits = nullptr);
// Logits (B, T, V) of one batch, for tests against the CPU reference.
bool cuda_eval_logits(const Model& model, const std::vector<int>& inputs, int B, int T,
                      const EvalOptions& opt, int device, std::vector<float>* logits,
                      std::string* err);

// lm::eval_ppl on device `device`: weights dequantised at load (fp32 on the device), windows
// evaluated one at a time, the KV format kv applied per layer on the device; first_logits as
// eval_ppl's. No limit on L other than device memory.
bool cuda_eval_ppl(const llmc::LlamaModel& m, const std::vector<int>& tokens, const std::vector<PplWindow>& windows,
                   int L, const KvConfig& kv, int device, const std::function<void(size_t done)>& progress,
                   PplResult* out, std::string* err, std::vector<float>* first_logits = nullptr);

// One layer's attention with the KV cache in format kv on device `device`, on host arrays: q
// (T, n_heads*hd), k, v (T, kv_dim) -> out (T, n_heads*hd); lm::kv_attention's semantics. For the
// tests that compare the device with the CPU layer by layer on the same inputs.
bool cuda_kv_attention(const llmc::LlamaConfig& c, const KvConfig& kv, int layer, const float* q, const float* k,
                       const float* v, int T, float* out, int device, std::string* err);

// For a cell on cuda:N: probes the device and records it in ctx.device (before ctx.start());
// binllm::ResourceError (exit 3) when there is none or this build has no CUDA.
inline void cuda_select_device(binllm::RunContext& ctx) {
#ifdef BINLLM_WITH_CUDA
  CudaInfo info;
  std::string err;
  if (!cuda_probe(ctx.common.cuda_index, &info, &err)) throw binllm::ResourceError("device " + ctx.common.device + ": " + err);
  ctx.device.kind = "cuda";
  ctx.device.name = info.name;
  ctx.device.cc = info.cc;
  ctx.device.index = ctx.common.cuda_index;
#else
  throw binllm::ResourceError("device " + ctx.common.device + " requested but binllm-lm was built without CUDA");
#endif
}

// cuda_eval_ppl, throwing binllm::ResourceError (exit 3) on a device failure.
inline PplResult cuda_eval_ppl(const llmc::LlamaModel& m, const std::vector<int>& tokens,
                               const std::vector<PplWindow>& windows, int L, const KvConfig& kv, int device,
                               const std::function<void(size_t done)>& progress) {
  PplResult r;
#ifdef BINLLM_WITH_CUDA
  std::string err;
  if (!cuda_eval_ppl(m, tokens, windows, L, kv, device, progress, &r, &err))
    throw binllm::ResourceError("CUDA evaluation failed: " + err);
#else
  (void)m, (void)tokens, (void)windows, (void)L, (void)kv, (void)device, (void)progress;
  throw binllm::ResourceError("binllm-lm was built without CUDA");
#endif
  return r;
}

}  // namespace lm
