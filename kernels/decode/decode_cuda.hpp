// The CUDA path of binllm-decode-bench (decode_cuda.cu): the same model, caches and step as the
// CPU path (model.hpp), filled on the device from the same counter-based random codes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.hpp"

namespace decode {

struct GpuDevice {
  std::string name, cc, pci_bus;
  size_t total_mem = 0, free_mem = 0;
};

class GpuBench {
 public:
  virtual ~GpuBench() = default;
  // Throws binllm::ResourceError when there is no such device or the shape does not fit.
  static std::unique_ptr<GpuBench> create(const Shape& s, Quant q, uint64_t seed, int device_index);
  static GpuDevice probe(int device_index);  // throws ResourceError without a device
  virtual const GpuDevice& device() const = 0;
  virtual void fill_cache(int L) = 0;      // frees the previous cache first
  virtual void step() = 0;                  // enqueues one decode step on the stream
  virtual void sync() = 0;                  // waits for the stream
  virtual double attention_ms() = 0;        // one step with events around the attention kernels
  virtual double copy_gbps() = 0;           // device-to-device copy, (read + write) bytes / s
  virtual std::vector<float> hidden() = 0;  // [B][D] of the last step
  virtual size_t weight_bytes() const = 0;
  virtual size_t cache_bytes() const = 0;
};

}  // namespace decode
