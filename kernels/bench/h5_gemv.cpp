// H5 micro-benchmark: our row kernels (kernels/decode) against llama.cpp's Q4_0 x Q8_0 vec_dot on
// the same shapes, single-threaded, matrices rotated through 4 copies so they come from DRAM.
//   GEMV:      rows x cols weights (int4 ours vs Q4_0 ggml; our binary and fp16 beside them)
//   K scores:  L cached keys of head_dim 128 (int4 ours vs Q4_0 ggml per token, as llama.cpp's
//              non-flash KQ product; our bin XNOR-popcount beside them)
// Built and run by kernels/bench/h5_decode.sh; -DHAVE_GGML when a llama.cpp build is found.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "formats.hpp"
#ifdef HAVE_GGML
#include "ggml-cpu.h"
#include "ggml.h"
#endif

using namespace decode;
using Clock = std::chrono::steady_clock;

template <typename F>
double best_seconds(int reps, F&& f) {
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    f(r);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

static std::vector<float> randf(size_t n, uint64_t st) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 2.0f * rand_unit(7, st, i) - 1.0f;
  return v;
}

static void row(const char* what, const char* who, const char* simd, double bytes, double s, double ref_s) {
  std::printf("%-34s %-10s %-8s %9.3f ms %8.2f GB/s", what, who, simd, s * 1e3, bytes / s / 1e9);
  if (ref_s > 0) std::printf("   %.2fx vs llama.cpp Q4_0", ref_s / s);
  std::printf("\n");
}

static void bench(const char* what, int rows, int cols, int reps) {
  const int copies = 4;
  const Kernels& K = kernels();
  const char* simd = simd_name(simd_active());
  std::vector<float> w = randf((size_t)rows * cols, 1), x = randf(cols, 2), y(rows);
  // ours: int4
  std::vector<std::vector<BlockQ4>> q4(copies, std::vector<BlockQ4>((size_t)rows * cols / QK));
  for (int c = 0; c < copies; ++c)
    for (size_t b = 0; b < q4[c].size(); ++b) {  // quantise like Q4_0: d = max / -8
      const float* xb = &w[b * QK];
      float amax = 0, mx = 0;
      for (int j = 0; j < QK; ++j)
        if (std::fabs(xb[j]) > amax) amax = std::fabs(xb[j]), mx = xb[j];
      const float d = mx / -8, id = d ? 1 / d : 0;
      q4[c][b].d = f32_to_f16(d);
      for (int j = 0; j < 16; ++j) {
        int lo = std::min(15, (int)(xb[j] * id + 8.5f)), hi = std::min(15, (int)(xb[j + 16] * id + 8.5f));
        q4[c][b].qs[j] = (uint8_t)(lo | hi << 4);
      }
    }
  std::vector<BlockQ8> xq(cols / QK);
  quantize_q8(x.data(), xq.data(), cols);
  const double b4 = (double)rows * cols / QK * sizeof(BlockQ4);
  double ref = 0;
#ifdef HAVE_GGML
  {
    const auto* tr = ggml_get_type_traits_cpu(GGML_TYPE_Q4_0);
    const size_t rb = ggml_row_size(GGML_TYPE_Q4_0, cols);
    std::vector<std::vector<uint8_t>> g(copies, std::vector<uint8_t>(rb * rows));
    for (int c = 0; c < copies; ++c) ggml_quantize_chunk(GGML_TYPE_Q4_0, w.data(), g[c].data(), 0, rows, cols, nullptr);
    std::vector<uint8_t> gx(ggml_row_size(tr->vec_dot_type, cols));
    ggml_get_type_traits_cpu(tr->vec_dot_type)->from_float(x.data(), gx.data(), cols);
    ref = best_seconds(reps, [&](int r) {
      const uint8_t* m = g[r % copies].data();
      for (int i = 0; i < rows; ++i) tr->vec_dot(cols, &y[i], 0, m + i * rb, 0, gx.data(), 0, 1);
    });
    const char* gs = ggml_cpu_has_avx512() ? "avx512" : ggml_cpu_has_avx2() ? "avx2" : "other";
    row(what, "llama.cpp", gs, (double)rb * rows, ref, 0);
  }
#else
  std::printf("%-34s llama.cpp  (not built: set LLAMA_BUILD / build it per HELPERS.md)\n", what);
#endif
  double s4 = best_seconds(reps, [&](int r) { K.q4_rows(q4[r % copies].data(), xq.data(), cols / QK, rows, y.data()); });
  row(what, "ours int4", simd, b4, s4, ref);
  if (rows != 0 && cols % 64 == 0) {
    std::vector<std::vector<uint64_t>> bits(copies, std::vector<uint64_t>((size_t)rows * cols / 64));
    for (int c = 0; c < copies; ++c)
      for (size_t i = 0; i < bits[c].size(); ++i) bits[c][i] = rand_word(3, c, i);
    std::vector<uint64_t> planes((size_t)kPlanes * cols / 64);
    int64_t qsum;
    quantize_planes(x.data(), cols, cols / 64, true, planes.data(), &qsum);
    std::vector<int64_t> out(rows);
    double sb = best_seconds(reps, [&](int r) {
      K.plane_rows(bits[r % copies].data(), planes.data(), plane_coefficients(true), cols / 64, rows, out.data());
    });
    row(what, "ours bin", simd, (double)rows * cols / 8, sb, ref);
  }
}

static void bench_kscores(int L, int reps) {
  const int hd = 128, copies = 4;
  const Kernels& K = kernels();
  const char* simd = simd_name(simd_active());
  char what[64];
  std::snprintf(what, sizeof what, "K scores, L=%d, head_dim 128", L);
  std::vector<float> q = randf(hd, 5), s(L);
  std::vector<float> k = randf((size_t)L * hd, 6);
  std::vector<std::vector<BlockQ4>> k4(copies, std::vector<BlockQ4>((size_t)L * hd / QK));
  for (int c = 0; c < copies; ++c)
    for (size_t i = 0; i < k4[c].size(); ++i) {
      uint64_t a = rand_word(4, c, 2 * i), b = rand_word(4, c, 2 * i + 1);
      std::memcpy(k4[c][i].qs, &a, 8);
      std::memcpy(k4[c][i].qs + 8, &b, 8);
      k4[c][i].d = f32_to_f16(0.1f);
    }
  std::vector<BlockQ8> qq(hd / QK);
  quantize_q8(q.data(), qq.data(), hd);
  double ref = 0;
#ifdef HAVE_GGML
  {
    const auto* tr = ggml_get_type_traits_cpu(GGML_TYPE_Q4_0);
    const size_t rb = ggml_row_size(GGML_TYPE_Q4_0, hd);
    std::vector<std::vector<uint8_t>> g(copies, std::vector<uint8_t>(rb * L));
    for (int c = 0; c < copies; ++c) ggml_quantize_chunk(GGML_TYPE_Q4_0, k.data(), g[c].data(), 0, L, hd, nullptr);
    std::vector<uint8_t> gq(ggml_row_size(tr->vec_dot_type, hd));
    ggml_get_type_traits_cpu(tr->vec_dot_type)->from_float(q.data(), gq.data(), hd);
    ref = best_seconds(reps, [&](int r) {
      const uint8_t* m = g[r % copies].data();
      for (int t = 0; t < L; ++t) tr->vec_dot(hd, &s[t], 0, m + t * rb, 0, gq.data(), 0, 1);
    });
    row(what, "llama.cpp", ggml_cpu_has_avx512() ? "avx512" : ggml_cpu_has_avx2() ? "avx2" : "other", (double)rb * L, ref, 0);
  }
#endif
  double s4 = best_seconds(reps, [&](int r) { K.q4_rows(k4[r % copies].data(), qq.data(), hd / QK, L, s.data()); });
  row(what, "ours int4", simd, (double)L * hd / QK * sizeof(BlockQ4), s4, ref);
  std::vector<std::vector<uint64_t>> kb(copies, std::vector<uint64_t>((size_t)L * 2));
  for (int c = 0; c < copies; ++c)
    for (size_t i = 0; i < kb[c].size(); ++i) kb[c][i] = rand_word(8, c, i);
  uint64_t qb[2] = {rand_word(9, 0, 0), rand_word(9, 0, 1)};
  std::vector<int32_t> si(L);
  double sb = best_seconds(reps, [&](int r) { K.xnor_rows(kb[r % copies].data(), qb, 2, L, si.data()); });
  row(what, "ours bin", simd, (double)L * 16, sb, ref);
}

int main(int argc, char** argv) {
#ifdef HAVE_GGML
  ggml_cpu_init();
#endif
  const int reps = argc > 1 ? std::atoi(argv[1]) : 8;
  std::printf("%-34s %-10s %-8s %12s %13s\n", "shape (1 thread)", "kernel", "simd", "best time", "bandwidth");
  bench("GEMV 4096 x 4096", 4096, 4096, reps);
  bench("GEMV 11008 x 4096 (FFN up)", 11008, 4096, reps);
  bench_kscores(16384, reps);
  bench_kscores(65536, reps);
  return 0;
}
