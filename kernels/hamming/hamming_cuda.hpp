// CUDA path of the H1 kernel: Hamming distance + per-query top-k selection on the device.
// Results are bit-identical to the CPU path: the k smallest (distance, id) pairs per query.
#pragma once

#include <cstddef>
#include <string>

#include "hamming.hpp"

namespace binllm {
namespace h1 {
namespace cuda {

// Per-query distance histograms live in shared memory: m + 1 bins.
constexpr int kMaxBits = 8191;

struct DeviceProps {
  std::string name;
  std::string cc;                  // "9.0"
  double mem_bw_bytes_per_s = 0;   // theoretical peak (2 * memory clock * bus width), 0 if unknown
  size_t total_mem = 0;
};

struct Timing {
  double search_s = 0;      // host-measured: upload queries + kernels + download + host sort
  double kernel_s = 0;      // device-measured (events): the two search kernels
  size_t bytes_scanned = 0; // database bytes read by the kernels (2 passes per query tile)
};

// Throws ResourceError (exit 3) when there is no such device.
DeviceProps open_device(int index);
// Exact k-NN on the device. Throws ResourceError on out-of-memory, std::runtime_error on other
// CUDA errors. k <= db.n and db.m <= kMaxBits required.
TopK hamming_knn(int device, const Codes& db, const Codes& queries, int k, Timing* timing);

}  // namespace cuda
}  // namespace h1
}  // namespace binllm
