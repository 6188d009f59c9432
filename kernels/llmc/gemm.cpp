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
  if (cap && std::strcmp(cap, "scalar") == 0) return Simd::kScalar;
  if (cap && std::strcmp(cap, "avx2") == 0) return avx2 ? Simd::kAvx2 : Simd::kScalar;
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
  if (s == Simd::kAvx2 && !avx2) return false;
  if (s == Simd::kAvx512 && !(avx2 && __builtin_cpu_supports("avx512f"))) return false;
  current() = s;
  return true;
}

// ------------------------------------------------------------------------------------------ GEMM
namespace {
constexpr int MR = 6;    // rows of a register tile
constexpr int KC = 256;  // k block: a 16-wide B strip of KC rows is 16 KiB (L1)
constexpr int MB = 96;   // rows per parallel work item (16 register tiles; A block 96 KiB, L2)
constexpr int NB = 256;  // columns per parallel work item (B panel 256 KiB, L2)
static_assert(MB % MR == 0 && NB % 32 == 0, "a work item holds whole register tiles and strips");

// Any tile, scalar: the same fma chain as the SIMD tiles. A is (M,K), or (K,M) when at; B is
// (K,N), or (N,K) when bt.
void tile_scalar(const float* A, bool at, const float* B, bool bt, float* C, int M, int K, int N, int i0,
                 int rows, int j0, int cols, int k0, int k1, bool load) {
  float c[MR][32];
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) c[i][j] = load ? C[(size_t)(i0 + i) * N + j0 + j] : 0.f;
  for (int k = k0; k < k1; k++) {
    for (int i = 0; i < rows; i++) {
      const float a = at ? A[(size_t)k * M + i0 + i] : A[(size_t)(i0 + i) * K + k];
      for (int j = 0; j < cols; j++) {
        const float b = bt ? B[(size_t)(j0 + j) * K + k] : B[(size_t)k * N + j0 + j];
        c[i][j] = std::fmaf(a, b, c[i][j]);
      }
    }
  }
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) C[(size_t)(i0 + i) * N + j0 + j] = c[i][j];
}

// Register tiles on packed panels: pa (kc, MR) holds 6 rows of A for one k block, pb (kc, NR) one
// column strip of B; c = fma(a, b, c) in ascending k, continuing the chain stored in C.

// The accumulators are named variables, not an array: GCC keeps an array of vectors on the stack
// and stores it every iteration, which halves the throughput.
#define LLMC_TILE_BODY(VEC, LOAD, STORE, ZERO, BCAST, FMA, W)                       \
  VEC c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;                   \
  if (load) {                                                                       \
    c00 = LOAD(C), c01 = LOAD(C + W);                                               \
    c10 = LOAD(C + ldc), c11 = LOAD(C + ldc + W);                                   \
    c20 = LOAD(C + 2 * ldc), c21 = LOAD(C + 2 * ldc + W);                           \
    c30 = LOAD(C + 3 * ldc), c31 = LOAD(C + 3 * ldc + W);                           \
    c40 = LOAD(C + 4 * ldc), c41 = LOAD(C + 4 * ldc + W);                           \
    c50 = LOAD(C + 5 * ldc), c51 = LOAD(C + 5 * ldc + W);                           \
  } else {                                                                          \
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = ZERO(); \
  }                                                                                 \
  for (int k = 0; k < kc; k++) {                                                    \
    const float* b = pb + (size_t)k * 2 * W;                                        \
    const float* a = pa + (size_t)k * MR;                                           \
    const VEC b0 = LOAD(b), b1 = LOAD(b + W);                                       \
    VEC av = BCAST(a[0]);                                                           \
    c00 = FMA(av, b0, c00), c01 = FMA(av, b1, c01);                                 \
    av = BCAST(a[1]);                                                               \
    c10 = FMA(av, b0, c10), c11 = FMA(av, b1, c11);                                 \
    av = BCAST(a[2]);                                                               \
    c20 = FMA(av, b0, c20), c21 = FMA(av, b1, c21);                                 \
    av = BCAST(a[3]);                                                               \
    c30 = FMA(av, b0, c30), c31 = FMA(av, b1, c31);                                 \
    av = BCAST(a[4]);                                                               \
    c40 = FMA(av, b0, c40), c41 = FMA(av, b1, c41);                                 \
    av = BCAST(a[5]);                                                               \
    c50 = FMA(av, b0, c50), c51 = FMA(av, b1, c51);                                 \
  }                                                                                 \
  STORE(C, c00), STORE(C + W, c01);                                                 \
  STORE(C + ldc, c10), STORE(C + ldc + W, c11);                                     \
  STORE(C + 2 * ldc, c20), STORE(C + 2 * ldc + W, c21);                             \
  STORE(C + 3 * ldc, c30), STORE(C + 3 * ldc + W, c31);                             \
  STORE(C + 4 * ldc, c40), STORE(C + 4 * ldc + W, c41);                             \
  STORE(C + 5 * ldc, c50), STORE(C + 5 * ldc + W, c51);

// 6 x 16 tile, AVX2: 12 accumulators, 2 B vectors, 1 broadcast.
__attribute__((target("avx2,fma"))) void tile_avx2(const float* pa, const float* pb, float* C, int ldc,
                                                   int kc, bool load) {
  LLMC_TILE_BODY(__m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_setzero_ps, _mm256_set1_ps,
                 _mm256_fmadd_ps, 8)
}

// 6 x 32 tile, AVX-512: 12 accumulators.
__attribute__((target("avx512f,fma"))) void tile_avx512(const float* pa, const float* pb, float* C, int ldc,
                                                        int kc, bool load) {
  LLMC_TILE_BODY(__m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_setzero_ps, _mm512_set1_ps,
                 _mm512_fmadd_ps, 16)
}
#undef LLMC_TILE_BODY

// o[c] = column c of the 8 x 8 block whose rows are r[0..7] (unpack, shuffle, permute).
__attribute__((target("avx2"))) inline void transpose8_regs(const __m256 r[8], __m256 o[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; i++) {
    o[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    o[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 block, in registers. Every AVX-512 CPU has
// AVX2, so both SIMD paths pack with it.
__attribute__((target("avx2"))) void transpose8x8(const float* src, size_t lds, float* dst, size_t ldd) {
  __m256 r[8], o[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * lds);
  transpose8_regs(r, o);
  for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + i * ldd, o[i]);
}

// d (kc, 6) = the 6 rows a[r * lda + k], k < kc, transposed: 8 x 8 blocks in registers (rows 6
// and 7 of the block are zero), each output row stored as 8 floats at a stride of 6 in ascending
// order, so the two spare lanes of one store are overwritten by the next and the last lands in
// the 8 floats the caller keeps spare at the end of the panel.
__attribute__((target("avx2"))) void pack_a6_avx2(const float* a, size_t lda, int kc, float* d) {
  const int k8 = kc / 8 * 8;
  for (int k = 0; k < k8; k += 8) {
    __m256 r[8], o[8];
    for (int i = 0; i < 6; i++) r[i] = _mm256_loadu_ps(a + i * lda + k);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8_regs(r, o);
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(d + (size_t)(k + i) * 6, o[i]);
  }
  for (int k = k8; k < kc; k++)
    for (int r = 0; r < 6; r++) d[(size_t)k * 6 + r] = a[r * lda + k];
}

// Packs rows i0..i0+rows of A (M,K), or of A^T when at, for k0..k0+kc into d (kc, MR); rows past
// `rows` are zero (an edge tile runs the full register tile; its padded rows are never stored).
void pack_a(const float* A, bool at, int M, int K, int i0, int rows, int k0, int kc, float* d) {
  if (rows < MR) std::fill(d, d + (size_t)kc * MR, 0.f);
  if (!at && rows == MR) {  // block_simd is the only caller: an AVX2 or AVX-512 CPU
    pack_a6_avx2(A + (size_t)i0 * K + k0, K, kc, d);
    return;
  }
  if (at) {
    for (int k = 0; k < kc; k++)
      for (int r = 0; r < rows; r++) d[(size_t)k * MR + r] = A[(size_t)(k0 + k) * M + i0 + r];
  } else {
    for (int r = 0; r < rows; r++) {
      const float* a = A + (size_t)(i0 + r) * K + k0;
      for (int k = 0; k < kc; k++) d[(size_t)k * MR + r] = a[k];
    }
  }
}

// Packs columns j0..j0+cols of B (K,N), or of B^T when bt (B stored (N,K)), for k0..k0+kc into
// d (kc, NR); columns past `cols` are zero.
template <int NR>
void pack_b(const float* B, bool bt, int N, int K, int j0, int cols, int k0, int kc, float* d) {
  if (cols < NR) std::fill(d, d + (size_t)kc * NR, 0.f);
  if (bt) {  // 8 x 8 blocks of B (N,K) transposed in registers, then the ragged rest
    const int j8 = cols / 8 * 8, k8 = kc / 8 * 8;
    for (int j = 0; j < j8; j += 8)
      for (int k = 0; k < k8; k += 8) transpose8x8(B + (size_t)(j0 + j) * K + k0 + k, K, d + (size_t)k * NR + j, NR);
    for (int j = 0; j < cols; j++) {
      const float* b = B + (size_t)(j0 + j) * K + k0;
      for (int k = j < j8 ? k8 : 0; k < kc; k++) d[(size_t)k * NR + j] = b[k];
    }
  } else if (cols == NR) {
    // constant sizes: the copies become two or four vector moves instead of memcpy calls
    const float* b = B + (size_t)k0 * N + j0;
    for (int k = 0; k < kc; k++) std::memcpy(d + (size_t)k * NR, b + (size_t)k * N, sizeof(float) * NR);
  } else {
    const float* b = B + (size_t)k0 * N + j0;
    for (int k = 0; k < kc; k++) std::memcpy(d + (size_t)k * NR, b + (size_t)k * N, sizeof(float) * cols);
  }
}

// One (row block, column block) work item over all k blocks, in ascending k, on packed copies of A
// and B (contiguous panels: no cache-set aliasing from power-of-two strides). Each k block packs
// its B panel (NB columns) and A block (MB rows) once; every register tile of the item reuses them.
// Edge tiles run the same register tile on zero-padded panels into a local tile, of which only
// the real rows and columns are read from and written to C: their FMA chains are those of a full tile.
template <int NR>
void block_simd(const float* A, bool at, const float* B, bool bt, float* C, int M, int K, int N, int ib,
                int jb, bool acc, void (*tile)(const float*, const float*, float*, int, int, bool)) {
  const int i_end = std::min(M, ib + MB), j_end = std::min(N, jb + NB);
  const int tiles = (i_end - ib + MR - 1) / MR, strips = (j_end - jb + NR - 1) / NR;
  thread_local std::vector<float> pa, pb;
  pa.resize((size_t)MB * KC + 8);  // tiles x (kc, MR), and pack_a6_avx2's spare lanes
  pb.resize((size_t)NB * KC);  // strips x (kc, NR)
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int kc = std::min(KC, K - k0);
    const bool load = acc || k0 > 0;
    for (int t = 0; t < tiles; t++)
      pack_a(A, at, M, K, ib + t * MR, std::min(MR, i_end - ib - t * MR), k0, kc, pa.data() + (size_t)t * kc * MR);
    for (int s = 0; s < strips; s++)
      pack_b<NR>(B, bt, N, K, jb + s * NR, std::min(NR, j_end - jb - s * NR), k0, kc, pb.data() + (size_t)s * kc * NR);
    for (int s = 0; s < strips; s++) {
      const int j0 = jb + s * NR, cols = std::min(NR, j_end - j0);
      const float* b = pb.data() + (size_t)s * kc * NR;
      for (int t = 0; t < tiles; t++) {
        const int i0 = ib + t * MR, rows = std::min(MR, i_end - i0);
        const float* a = pa.data() + (size_t)t * kc * MR;
        float* c = C + (size_t)i0 * N + j0;
        if (rows == MR && cols == NR) {
          tile(a, b, c, N, kc, load);
          continue;
        }
        alignas(64) float ct[MR * NR] = {};
        if (load)
          for (int i = 0; i < rows; i++) std::copy_n(c + (size_t)i * N, cols, ct + i * NR);
        tile(a, b, ct, NR, kc, load);
        for (int i = 0; i < rows; i++) std::copy_n(ct + i * NR, cols, c + (size_t)i * N);
      }
    }
  }
}

// The scalar path: the same chains, tile by tile on the unpacked operands.
void block_scalar(const float* A, bool at, const float* B, bool bt, float* C, int M, int K, int N, int ib,
                  int jb, bool acc) {
  const int i_end = std::min(M, ib + MB), j_end = std::min(N, jb + NB);
  for (int k0 = 0; k0 < K; k0 += KC) {
    const int k1 = std::min(K, k0 + KC);
    for (int j0 = jb; j0 < j_end; j0 += 32)
      for (int i0 = ib; i0 < i_end; i0 += MR)
        tile_scalar(A, at, B, bt, C, M, K, N, i0, std::min(MR, i_end - i0), j0, std::min(32, j_end - j0), k0, k1,
                    acc || k0 > 0);
  }
}

void block(const float* A, bool at, const float* B, bool bt, float* C, int M, int K, int N, int ib, int jb,
           bool acc, Simd path) {
  if (K == 0) {
    if (!acc)
      for (int i = ib; i < std::min(M, ib + MB); i++)
        std::fill(C + (size_t)i * N + jb, C + (size_t)i * N + std::min(N, jb + NB), 0.f);
    return;
  }
  if (path == Simd::kAvx512) block_simd<32>(A, at, B, bt, C, M, K, N, ib, jb, acc, tile_avx512);
  else if (path == Simd::kAvx2) block_simd<16>(A, at, B, bt, C, M, K, N, ib, jb, acc, tile_avx2);
  else block_scalar(A, at, B, bt, C, M, K, N, ib, jb, acc);
}
}  // namespace

namespace {
void gemm(const float* A, bool at, const float* B, bool bt, float* C, int M, int K, int N, bool accumulate,
          bool parallel) {
  if (M <= 0 || N <= 0) return;
  const Simd path = simd();
  const int mblocks = (M + MB - 1) / MB, nblocks = (N + NB - 1) / NB;
  const int items = mblocks * nblocks;
#pragma omp parallel for schedule(static) if (parallel && items > 1)
  for (int it = 0; it < items; it++)
    block(A, at, B, bt, C, M, K, N, (it / nblocks) * MB, (it % nblocks) * NB, accumulate, path);
}
}  // namespace

void gemm_nn(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate, bool parallel) {
  gemm(A, false, B, false, C, M, K, N, accumulate, parallel);
}

void gemm_tn(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate, bool parallel) {
  gemm(A, true, B, false, C, M, K, N, accumulate, parallel);
}

void gemm_nt(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate, bool parallel) {
  gemm(A, false, B, true, C, M, K, N, accumulate, parallel);
}

void transpose(const float* A, float* AT, int rows, int cols) {
  // 32 x 32 tiles through a local buffer: rows are read and written contiguously (a strided inner
  // loop over a power-of-two leading dimension thrashes a cache set)
  constexpr int BS = 32;
  const int rblocks = (rows + BS - 1) / BS, cblocks = (cols + BS - 1) / BS;
#pragma omp parallel for schedule(static)
  for (int blk = 0; blk < rblocks * cblocks; blk++) {
    const int r0 = (blk / cblocks) * BS, c0 = (blk % cblocks) * BS;
    const int nr = std::min(BS, rows - r0), nc = std::min(BS, cols - c0);
    float t[BS][BS];
    for (int r = 0; r < nr; r++)
      for (int c = 0; c < nc; c++) t[c][r] = A[(size_t)(r0 + r) * cols + c0 + c];
    for (int c = 0; c < nc; c++)
      for (int r = 0; r < nr; r++) AT[(size_t)(c0 + c) * rows + r0 + r] = t[c][r];
  }
}

void gemm_nn_ref(const float* A, const float* B, float* C, int M, int K, int N, bool accumulate) {
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = accumulate ? C[(size_t)i * N + j] : 0.0;
      for (int k = 0; k < K; k++) s += (double)A[(size_t)i * K + k] * B[(size_t)k * N + j];
      C[(size_t)i * N + j] = (float)s;
    }
}

}  // namespace llmc
