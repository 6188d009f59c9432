// Prints the SIMD path llmc's GEMM takes on this CPU (for benchmark scripts): {"simd": "..."}
#include <cstdio>

#include "binllm/protocol.hpp"
#include "llmc/core.hpp"

int main() {
  std::printf("{\"simd\": \"%s\", \"cpu\": \"%s\"}\n", llmc::simd_name(), binllm::cpu_model_name().c_str());
  return 0;
}
