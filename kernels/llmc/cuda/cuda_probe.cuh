// Device probe and the list of compute capabilities a binary was built for, shared by every
// kernel with a CUDA path (lm, nlu, decode-bench). Plain C++ declarations (no CUDA types), so
// host code and CPU tests include it too; probe() is defined in cuda_probe.cu (CUDA builds only).
#pragma once

#include <string>
#include <vector>

namespace llmc {
namespace cuda {

struct DeviceInfo {
  std::string name;      // "NVIDIA H200"
  std::string cc;        // compute capability, "9.0"
  int index = 0;         // cuda:N
  size_t total_mem = 0;  // bytes
};

// True when device `index` exists and a tiny kernel of this build runs on it (so the binary has
// code for its architecture); otherwise false with *err saying why ("no CUDA device available
// (...)", "cuda:2 requested but only 1 device(s)", "cannot run on <name> (cc 7.5): ...").
// Makes `index` the current device.
bool probe(int index, DeviceInfo* info, std::string* err);

// "80,90-real,100" (CMake's CUDA_ARCHITECTURES joined by commas) -> {"8.0", "9.0", "10.0"}:
// digits up to the first non-digit, the last digit is the minor version; entries with fewer than
// two digits are skipped.
inline std::vector<std::string> parse_arch_list(const std::string& s) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < s.size()) {
    size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    std::string d;
    for (size_t i = p; i < q && s[i] >= '0' && s[i] <= '9'; i++) d += s[i];
    if (d.size() >= 2) out.push_back(d.substr(0, d.size() - 1) + "." + d.substr(d.size() - 1));
    p = q + 1;
  }
  return out;
}

// The capabilities this library was compiled for (BINLLM_CUDA_ARCHS of the build).
std::vector<std::string> built_ccs();

}  // namespace cuda
}  // namespace llmc
