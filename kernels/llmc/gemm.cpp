// Blocked GEMM with run-time SIMD dispatch (see gemm.hpp for the exactness contract).
#include "llmc/gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "llmc/core.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace llmc {

// ------------------------------------------------------------------------------------------ threads
void set_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n > 0 ? n : 1);
#else
  (void)n;
#endif
}

int threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// ------------------------------------------------------------------------------------------ dispatch
namespace {
Simd detect() {
  // LLMC_SIMD=scalar|avx2 caps the path (benchmarks and tests of the fallbacks).
  const char* cap = std::getenv("LLMC_SIMD");
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f");
  if (cap && std::strcmp(cap, "scalar") == 0)
    return Simd::kScalar;
  if (cap && std::strcmp(cap, "avx2") == 0)
    return avx2 ? Simd::kAvx2 : Simd::kScalar;
  return avx512 ? Simd::kAvx512 : (avx2 ? Simd::kAvx2 : Simd::kScalar);
}
Simd& current() {
  static Simd s = detect();
  return s;
}
}  // namespace

Simd simd() {
  return current();
}

const char* simd_name(Simd s) {
  switch (s) {
    case Simd::kAvx512:
      return "avx512f+fma";
    case Simd::kAvx2:
      return "avx2+fma";
    default:
      return "scalar(fmaf)";
  }
}

bool force_simd(Simd s) {
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (s == Simd::kAvx2 && !avx2)
    return false;
  if (s == Simd::kAvx512 && !(avx2 && __builtin_cpu_supports("avx512f")))
    return false;
  current() = s;
  return true;
}

// ------------------------------------------------------------------------------------------ GEMM
namespace {
constexpr int MR = 6;    // rows of a register tile
constexpr int KC = 256;  // k block: a 16-wide B strip of KC rows is 16 KiB (L1)
constexpr int MB = 48;   // rows per parallel work item (8 register tiles)
constexpr int NB = 128;  // columns per parallel work item

// Any tile, scalar: the same fma chain as the SIMD tiles.
void tile_scalar(const float* A, const float* B, float* C, int K, int N, int i0, int rows, int j0, int cols,
                 int k0, int k1, bool load) {
  float c[MR][32];
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++)
      c[i][j] = load ? C[(size_t)(i0 + i) * N + j0 + j] : 0.f;
  for (int k = k0; k < k1; k++) {
    const float* b = B + (size_t)k * N + j0;
    for (int i = 0; i < rows; i++) {
      const float a = A[(size_t)(i0 + i) * K + k];
      for (int j = 0; j < cols; j++)
        c[i][j] = std::fmaf(a, b[j], c[i][j]);
    }
  }
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++)
      C[(size_t)(i0 + i) * N + j0 + j] = c[i][j];
}

// Register tiles on packed panels: pa (kc, MR) holds 6 rows of A for one k block, pb (kc, NR) one
// column strip of B; c = fma(a, b, c) in ascending k, continuing the chain stored in C.

// 6 x 16 tile, AVX2: 12 accumulators, 2 B vectors, 1 broadcast.
__attribute__((target("avx2,fma"))) void tile_avx2(const float* pa, const float* pb, float* C, int ldc,
                                                   int kc, bool load) {
  __m256 c[MR][2];
  for (int i = 0; i < MR; i++) {
    float* cr = C + (size_t)i * ldc;
    c[i][0] = load ? _mm256_loadu_ps(cr) : _mm256_setzero_ps();
    c[i][1] = load ? _mm256_loadu_ps(cr + 8) : _mm256_setzero_ps();
  }
  for (int k = 0; k < kc; k++) {
    const float* b = pb + (size_t)k * 16;
    const float* a = pa + (size_t)k * MR;
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      c[i][0] = _mm256_fmadd_ps(av, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(av, b1, c[i][1]);
    }
  }
  for (int i = 0; i < MR; i++) {
    float* cr = C + (size_t)i * ldc;
    _mm256_storeu_ps(cr, c[i][0]);
    _mm256_storeu_ps(cr + 8, c[i][1]);
  }
}

// 6 x 32 tile, AVX-512: 12 accumulators.
__attribute__((target("avx512f,fma"))) void tile_avx512(const float* pa, const float* pb, float* C, int ldc,
                                                        int kc, bool load) {
  __m512 c[MR][2];
  for (int i = 0; i < MR; i++) {
    float* cr = C + (size_t)i * ldc;
    c[i][0] = load ? _mm512_loadu_ps(cr) : _mm512_setzero_ps();
    c[i][1] = load ? _mm512_loadu_ps(cr + 16) : _mm512_setzero_ps();
  }
  for (int k = 0; k < kc; k++) {
    const float* b = pb + (size_t)k * 32;
    const float* a = pa + (size_t)k * MR;
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m512 av = _mm512_set1_ps(a[i]);
      c[i][0] = _mm512_fmadd_ps(av, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(av, b1, c[i][1]);
    }
  }
  for (int i = 0; i < MR; i++) {
    float* cr = C + (size_t)i * ldc;
    _mm512_storeu_ps(cr, c[i][0]);
    _mm512_storeu_ps(cr + 16, c[i][1]);
  }
}

// One (row block, column block) work item over all k blocks, in ascending k. Full tiles run on
// packed copies of A and B (contiguous panels: no cache-set aliasing from power-of-two strides);
// edge tiles run the scalar chain on the unpacked operands.
void block(const float* A, const float* B, float* C, int M, int K, int N, int ib, int jb, bool acc,
           Simd path) {
  const int i_end = std::min(M, ib + MB), j_end = std::min(N, jb + NB);
  const int NR = path == Simd::kAvx2 ? 16 : 32;
  if (K == 0) {
    if (!acc)
      for (int i = ib; i < i_end; i++)
        std::fill(C + (size_t)i * N + jb, C + (size_t)i * N + j_end, 0.f);
    return;
  }
  thread_local std::vector<float> pa, pb;
  pa.resize((size_t)MB * KC);
  pb.resize((size_t)KC * 32);
  const int full_tiles = path == Simd::kScalar ? 0 : (i_end - ib) / MR;
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int k1 = std::min(K, k0 + KC), kc = k1 - k0;
    const bool load = acc || k0 > 0;
    for (int t = 0; t < full_tiles; t++)  // pa: tile t at t*kc*MR, (kc, MR)
      for (int r = 0; r < MR; r++) {
        const float* a = A + (size_t)(ib + t * MR + r) * K + k0;
        float* d = pa.data() + (size_t)t * kc * MR + r;
        for (int k = 0; k < kc; k++)
          d[(size_t)k * MR] = a[k];
      }
    for (int j0 = jb; j0 < j_end; j0 += NR) {
      const int cols = std::min(NR, j_end - j0);
      const bool simd_cols = path != Simd::kScalar && cols == NR;
      if (simd_cols)
        for (int k = 0; k < kc; k++)
          std::memcpy(pb.data() + (size_t)k * NR, B + (size_t)(k0 + k) * N + j0, sizeof(float) * NR);
      for (int i0 = ib; i0 < i_end; i0 += MR) {
        const int rows = std::min(MR, i_end - i0);
        const int t = (i0 - ib) / MR;
        float* c = C + (size_t)i0 * N + j0;
        if (simd_cols && t < full_tiles && path == Simd::kAvx512)
          tile_avx512(pa.data() + (size_t)t * kc * MR, pb.data(), c, N, kc, load);
        else if (simd_cols && t < full_tiles)
          tile_avx2(pa.data() + (size_t)t * kc * MR, pb.data(), c, N, kc, load);
        else
          tile_scalar(A, B, C, K, N, i0, rows, j0, cols, k0, k1, load);
      }
    }
  }
}
}  // namespace

void gemm_nn(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate) {
  if (M <= 0 || N <= 0)
    return;
  const Simd path = simd();
  const int mblocks = (M + MB - 1) / MB, nblocks = (N + NB - 1) / NB;
  const int items = mblocks * nblocks;
#pragma omp parallel for schedule(static)
  for (int it = 0; it < items; it++)
    block(A, B, C, M, K, N, (it / nblocks) * MB, (it % nblocks) * NB, accumulate, path);
}

void transpose(const float* A, float* AT, int rows, int cols) {
  constexpr int BS = 32;
  const int cblocks = (cols + BS - 1) / BS;
#pragma omp parallel for schedule(static)
  for (int cb = 0; cb < cblocks; cb++) {
    const int c0 = cb * BS, c1 = std::min(cols, c0 + BS);
    for (int r0 = 0; r0 < rows; r0 += BS) {
      const int r1 = std::min(rows, r0 + BS);
      for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++)
          AT[(size_t)c * rows + r] = A[(size_t)r * cols + c];
    }
  }
}

void gemm_nn_ref(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = accumulate ? C[(size_t)i * N + j] : 0.0;
      for (int k = 0; k < K; k++)
        s += (double)A[(size_t)i * K + k] * B[(size_t)k * N + j];
      C[(size_t)i * N + j] = (float)s;
    }
}

}  // namespace llmc
