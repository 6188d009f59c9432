// The CUDA evaluation of the packed encoder against the CPU packed path, for every variant's plan
// (BitLinear bits + int8 activations, ternary, int4, NF4 + LoRA, fp16, the budget-matched split).
// Exit 77 (skipped) when no CUDA device is usable.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../cuda_eval.hpp"
#include "../tasks.hpp"
#include "../variants.hpp"

using namespace nlu;

int main() {
  CudaInfo ci;
  std::string err;
  if (!cuda_probe(0, &ci, &err)) {
    std::printf("skipped: %s\n", err.c_str());
    return 77;
  }
  EncoderShape s;
  s.V = 40;
  s.T = 12;
  s.C = 32;
  s.L = 2;
  s.NH = 4;
  s.K = 3;
  binllm::Rng r(5);
  const int n = 37;
  std::vector<int> ids((size_t)n * s.T, kPad), lens(n);
  for (int i = 0; i < n; i++) {
    lens[i] = 2 + (int)r.below(s.T - 1);
    for (int t = 0; t < lens[i]; t++) ids[(size_t)i * s.T + t] = t == 0 ? kCls : 4 + (int)r.below(s.V - 4);
  }
  int fails = 0;
  for (const char* q : {"fp16", "int4", "int4-qat", "bin-blocks", "bin-embed", "ternary", "match"}) {
    VariantOptions vo;
    vo.group = 16;
    std::string quant = q;
    if (quant == "int4-qat") vo.int4_mode = "qat", quant = "int4";
    if (quant == "ternary") vo.bin_weights = "ternary", quant = "bin-blocks";
    QuantPlan plan;
    if (quant == "match") {
      std::vector<BudgetChoice> ch;
      double a, b;
      plan = match_bin_embed(vo, s, &ch, &a, &b);
    } else {
      plan = plan_for(vo, quant, s);
    }
    Encoder m;
    m.build(s, plan, 16);
    m.init(3);
    for (size_t i = 0; i < m.flat().size(); i++)
      if (m.kinds()[i] != llmc::kFrozen) m.flat()[i] += 0.01f * (float)r.normal();
    PackedEncoder pe;
    pe.pack(m, quant == "fp16");
    std::vector<float> cpu((size_t)n * s.K), gpu;
    for (int i0 = 0; i0 < n; i0 += 16) {
      const int B = std::min(16, n - i0);
      pe.forward(ids.data() + (size_t)i0 * s.T, lens.data() + i0, B, cpu.data() + (size_t)i0 * s.K);
    }
    if (!cuda_eval_logits(pe, ids.data(), lens.data(), n, 16, 0, &gpu, &err)) {
      std::printf("FAIL %s: %s\n", q, err.c_str());
      fails++;
      continue;
    }
    double e = 0, mag = 0;
    for (size_t i = 0; i < cpu.size(); i++) {
      e = std::max(e, (double)std::fabs(cpu[i] - gpu[i]));
      mag = std::max(mag, (double)std::fabs(cpu[i]));
    }
    const bool ok = e <= 1e-4 * std::max(1.0, mag);
    std::printf("%s %s on %s: max |gpu - cpu| = %.3g (|logit| <= %.3g)\n", ok ? "ok  " : "FAIL", q, ci.name.c_str(), e, mag);
    fails += !ok;
  }
  return fails ? 1 : 0;
}
