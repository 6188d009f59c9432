// GPU evaluation vs the CPU reference. Exit 77 (ctest: skipped) when no CUDA device is usable.
// Tolerance: |nll_gpu - nll_cpu| <= 1e-3 * nll_cpu for every KV setting, and max |logit| error
// <= 1e-3 * max(1, max|logit|) for fp32/fp16/int8 (for int4/int2/bin a rounding-boundary flip of
// one quantized value can move single logits more; the stream NLL bound covers those).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../cuda_eval.hpp"
#include "../data.hpp"
#include "../model.hpp"

using namespace lm;

int main() {
  CudaInfo info;
  std::string err;
  if (!cuda_probe(0, &info, &err)) {
    std::printf("skipped: %s\n", err.c_str());
    return 77;
  }
  std::printf("device: %s (cc %s)\n", info.name.c_str(), info.cc.c_str());
  ModelShape s;
  s.vocab = 32;
  s.ctx = 64;
  s.d_model = 64;
  s.n_layers = 2;
  s.n_heads = 4;
  Model m;
  m.init(s, 3);
  Rng r(4);
  for (auto& p : m.params) p += 0.05f * r.normal();
  MarkovSource src;
  src.init(32, 2, 2.0, 5);
  auto stream = src.generate(64 * 40 + 1, r);
  int fails = 0;
  const KvMode modes[] = {KvMode::FP32, KvMode::FP16, KvMode::INT8, KvMode::INT4, KvMode::INT2, KvMode::BIN};
  const char* names[] = {"fp32", "fp16", "int8", "int4", "int2", "bin"};
  for (int i = 0; i < 6; i++) {
    EvalOptions o;
    o.kv = modes[i];
    o.kv_group = 16;
    for (int L : {16, 64}) {
      long nc = 0, ng = 0;
      const double cpu = eval_stream(m, stream, L, 8, o, &nc);
      double gpu = 0;
      if (!cuda_eval_stream(m, stream, L, 8, o, 0, &gpu, &ng, &err)) {
        std::printf("FAIL cuda_eval_stream: %s\n", err.c_str());
        return 1;
      }
      const double rel = std::fabs(gpu - cpu) / cpu;
      std::printf("kv %-5s L %3d: nll cpu %.6f gpu %.6f rel %.2e\n", names[i], L, cpu, gpu, rel);
      if (rel > 1e-3 || nc != ng) {
        std::printf("FAIL: tolerance 1e-3\n");
        fails++;
      }
    }
    if (i <= 2) {
      const int B = 4, T = 64;
      std::vector<int> in(stream.begin(), stream.begin() + B * T);
      std::vector<float> lc((size_t)B * T * s.vocab), lg;
      eval_forward(m, in.data(), nullptr, B, T, o, lc.data(), nullptr);
      if (!cuda_eval_logits(m, in, B, T, o, 0, &lg, &err)) {
        std::printf("FAIL cuda_eval_logits: %s\n", err.c_str());
        return 1;
      }
      double md = 0, mag = 0;
      for (size_t j = 0; j < lc.size(); j++) {
        md = std::fmax(md, std::fabs(lc[j] - lg[j]));
        mag = std::fmax(mag, std::fabs(lc[j]));
      }
      std::printf("kv %-5s logits max diff %.2e (max |logit| %.2f)\n", names[i], md, mag);
      if (md > 1e-3 * std::fmax(1.0, mag)) fails++;
    }
  }
  std::printf(fails ? "%d failure(s)\n" : "all passed\n", fails);
  return fails ? 1 : 0;
}
