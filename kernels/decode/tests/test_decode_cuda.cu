// The CUDA decode step against the CPU step (model.cpp) on the same seeded model and cache, for
// every variant, including an L far beyond what one block's shared memory could hold.
// Exit 77 (skipped) without a CUDA device.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../decode_cuda.hpp"
#include "../model.hpp"

using namespace decode;

int main() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    std::fprintf(stderr, "no CUDA device: skipped\n");
    return 77;
  }
  int fails = 0;
  struct Case { Quant q; double tol; int d_model, n_heads, n_kv, layers, batch, L; };
  // quantised variants: a float-order difference can move one activation code by one step
  const Case cases[] = {
      {Quant::Fp16, 1e-4, 256, 4, 2, 2, 2, 1100}, {Quant::Int4, 1e-3, 256, 4, 2, 2, 2, 1100},
      {Quant::Bin, 1e-3, 256, 4, 2, 2, 2, 1100},  {Quant::Fp16, 1e-4, 128, 2, 1, 1, 1, 100000},
      {Quant::Int4, 1e-3, 128, 2, 1, 1, 1, 100000}, {Quant::Bin, 1e-3, 128, 2, 1, 1, 1, 100000},
  };
  for (const Case& c : cases) {
    Shape s;
    s.d_model = c.d_model;
    s.n_heads = c.n_heads;
    s.n_kv_heads = c.n_kv;
    s.n_layers = c.layers;
    s.d_ff = 2 * c.d_model;
    s.batch = c.batch;
    Model m(s, c.q, 11, 4);
    m.fill_cache(c.L, 4);
    Decoder cpu(m, 4);
    std::vector<float> hc;
    cpu.step(hc);
    auto gpu = GpuBench::create(s, c.q, 11, 0);
    gpu->fill_cache(c.L);
    gpu->step();
    gpu->sync();
    std::vector<float> hg = gpu->hidden();
    double e = 0, ss = 0;
    for (size_t i = 0; i < hc.size(); ++i) {
      e = std::fmax(e, std::fabs((double)hg[i] - hc[i]));
      ss += (double)hc[i] * hc[i];
    }
    e /= std::sqrt(ss / hc.size());
    const bool ok = e < c.tol && gpu->cache_bytes() == m.cache_bytes();
    std::fprintf(stderr, "%s %s L=%d: max err / rms = %.3g (tol %.0e), cache bytes gpu %zu cpu %zu\n", ok ? "ok  " : "FAIL",
                 quant_name(c.q), c.L, e, c.tol, gpu->cache_bytes(), m.cache_bytes());
    if (!ok) fails++;
  }
  return fails ? 1 : 0;
}
