// Device probe (cuda_probe.cuh).
#include <cuda_runtime.h>

#include "cuda/cuda_probe.cuh"

namespace llmc {
namespace cuda {

namespace {
__global__ void k_probe(int* x) { *x = 42; }
}  // namespace

std::vector<std::string> built_ccs() {
#ifdef BINLLM_CUDA_ARCHS
  return parse_arch_list(BINLLM_CUDA_ARCHS);
#else
  return parse_arch_list("80,90");
#endif
}

bool probe(int index, DeviceInfo* info, std::string* err) {
  auto fail = [&](const std::string& m) {
    if (err) *err = m;
    return false;
  };
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0)
    return fail(std::string("no CUDA device available (") + (e != cudaSuccess ? cudaGetErrorString(e) : "none found") + ")");
  if (index < 0 || index >= n)
    return fail("cuda:" + std::to_string(index) + " requested but only " + std::to_string(n) + " device(s)");
  cudaError_t ce = cudaSetDevice(index);
  cudaDeviceProp p;
  if (ce == cudaSuccess) ce = cudaGetDeviceProperties(&p, index);
  if (ce != cudaSuccess) return fail("cuda:" + std::to_string(index) + ": " + cudaGetErrorString(ce));
  const std::string cc = std::to_string(p.major) + "." + std::to_string(p.minor);
  if (info) {
    info->name = p.name;
    info->cc = cc;
    info->index = index;
    info->total_mem = p.totalGlobalMem;
  }
  // A launch fails with "no kernel image" when the binary has no code for this architecture.
  int* d = nullptr;
  ce = cudaMalloc(&d, sizeof(int));
  if (ce != cudaSuccess) return fail(std::string("cannot allocate on ") + p.name + ": " + cudaGetErrorString(ce));
  k_probe<<<1, 1>>>(d);
  cudaError_t ke = cudaGetLastError();
  if (ke == cudaSuccess) ke = cudaDeviceSynchronize();
  cudaFree(d);
  if (ke != cudaSuccess) return fail(std::string("cannot run on ") + p.name + " (cc " + cc + "): " + cudaGetErrorString(ke));
  return true;
}

}  // namespace cuda
}  // namespace llmc
