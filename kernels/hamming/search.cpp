// Exact top-k search: Hamming over bit-packed codes (popcount) and cosine over float rows.
#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>

#include "binllm/protocol.hpp"
#include "hamming.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BINLLM_H1_X86 1
#endif

namespace binllm {
namespace h1 {

SimdPath parse_simd_path(const std::string& s) {
  if (s == "auto") return SimdPath::Auto;
  if (s == "portable") return SimdPath::Portable;
  if (s == "avx2") return SimdPath::Avx2;
  if (s == "avx512") return SimdPath::Avx512;
  throw std::invalid_argument("unknown SIMD path '" + s + "' (auto, portable, avx2, avx512)");
}

const char* simd_path_name(SimdPath p) {
  switch (p) {
    case SimdPath::Auto: return "auto";
    case SimdPath::Portable: return "portable";
    case SimdPath::Avx2: return "avx2";
    case SimdPath::Avx512: return "avx512";
  }
  return "?";
}

bool cpu_supports(SimdPath p) {
  switch (p) {
    case SimdPath::Auto:
    case SimdPath::Portable: return true;
#ifdef BINLLM_H1_X86
    // __builtin_cpu_supports reads CPUID (and the OS's XSAVE state) once, at start-up.
    case SimdPath::Avx2: return __builtin_cpu_supports("avx2");
    case SimdPath::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
#else
    default: return false;
#endif
  }
  return false;
}

SimdPath best_simd_path() {
  for (SimdPath p : {SimdPath::Avx512, SimdPath::Avx2})
    if (cpu_supports(p)) return p;
  return SimdPath::Portable;
}

SimdPath resolve_simd_path(SimdPath requested) {
  if (requested == SimdPath::Auto) return best_simd_path();
  if (!cpu_supports(requested))
    throw std::invalid_argument(std::string("this CPU lacks the SIMD path '") + simd_path_name(requested) + "'");
  return requested;
}

const char* hamming_simd_path() { return simd_path_name(best_simd_path()); }

float dot(const float* a, const float* b, size_t d) {
  // 64 partial sums (four independent 16-wide vector accumulators for instruction-level
  // parallelism), combined by a fixed pairwise tree: the order never depends on the ISA.
  float acc[64];
  for (int l = 0; l < 64; ++l) acc[l] = 0.f;
  size_t j = 0;
  for (; j + 64 <= d; j += 64)
    for (int l = 0; l < 64; ++l) acc[l] += a[j + l] * b[j + l];
  for (int l = 0; j < d; ++j, ++l) acc[l] += a[j] * b[j];
  for (int s = 32; s > 0; s >>= 1)
    for (int l = 0; l < s; ++l) acc[l] += acc[l + s];
  return acc[0];
}

void normalize_rows(Matrix& x, int threads) {
  parallel_for(x.rows, threads, [&](size_t i) {
    float* r = x.row(i);
    double s = 0;
    for (size_t j = 0; j < x.cols; ++j) s += static_cast<double>(r[j]) * r[j];
    if (s > 0) {
      const float inv = static_cast<float>(1.0 / std::sqrt(s));
      for (size_t j = 0; j < x.cols; ++j) r[j] *= inv;
    }
  });
}

HammingIndex::HammingIndex(const Codes& c) : n(c.n), m(c.m), W(c.W), n_blocks((c.n + 7) / 8) {
  blocks.assign(n_blocks * static_cast<size_t>(W) * 8, 0);
  for (size_t i = 0; i < n; ++i) {
    const size_t b = i / 8, l = i % 8;
    for (int w = 0; w < W; ++w) blocks[(b * W + w) * 8 + l] = c.row(i)[w];
  }
}

namespace {

// The k smallest (dist, id) pairs, kept sorted. Candidates arrive in increasing id order per
// query, so a candidate equal to the current k-th distance never enters (ties -> smaller id).
struct SmallTopK {
  int k = 0, count = 0;
  int32_t* d = nullptr;
  int32_t* id = nullptr;
  int32_t threshold() const { return count < k ? INT32_MAX : d[k - 1]; }
  void insert(int32_t dist, int32_t idx) {
    int pos = count < k ? count : k - 1;
    while (pos > 0 && (d[pos - 1] > dist || (d[pos - 1] == dist && id[pos - 1] > idx))) {
      d[pos] = d[pos - 1];
      id[pos] = id[pos - 1];
      --pos;
    }
    d[pos] = dist;
    id[pos] = idx;
    if (count < k) ++count;
  }
};

// Three scans of database blocks [b0, b1) for one query, one per SIMD path, with the same
// contract: every code whose distance is below the running k-th distance is offered to `top` in
// increasing id order, so all paths keep the same neighbours, ties included. Wt > 0 fixes W at
// compile time (query words held in registers); Wt = 0 is the generic loop.
using ScanFn = void (*)(const uint64_t*, int, size_t, size_t, size_t, const uint64_t*, SmallTopK&);

// Offers lanes of block b whose bit is set in `mask` (distances dd[8]) to top, in lane order.
inline void offer_lanes(unsigned mask, const int32_t* dd, size_t b, size_t n, SmallTopK& top) {
  while (mask) {
    const int l = __builtin_ctz(mask);
    mask &= mask - 1;
    const size_t idx = b * 8 + static_cast<size_t>(l);
    if (idx >= n) break;
    if (dd[l] < top.threshold()) top.insert(dd[l], static_cast<int32_t>(idx));
  }
}

// Naive reference path: one 64-bit popcount per (code, word).
template <int Wt>
void scan_portable(const uint64_t* blocks, int W_rt, size_t b0, size_t b1, size_t n, const uint64_t* q,
                   SmallTopK& top) {
  const int W = Wt > 0 ? Wt : W_rt;
  int32_t thr = top.threshold();
  for (size_t b = b0; b < b1; ++b) {
    const uint64_t* blk = blocks + b * static_cast<size_t>(W) * 8;  // [W][8 lanes]
    int32_t dd[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int w = 0; w < W; ++w) {
      const uint64_t qw = q[w];
      for (int l = 0; l < 8; ++l) dd[l] += __builtin_popcountll(blk[w * 8 + l] ^ qw);
    }
    unsigned mask = 0;
    for (int l = 0; l < 8; ++l) mask |= unsigned(dd[l] < thr) << l;
    if (mask) {
      offer_lanes(mask, dd, b, n, top);
      thr = top.threshold();
    }
  }
}

#ifdef BINLLM_H1_X86
// AVX2 has no vector popcount: each byte's count comes from two 16-entry table lookups
// (vpshufb on the low and high nibble). Byte counts of up to 31 words are summed as bytes
// (31 * 8 = 248 < 256), then vpsadbw adds the 8 bytes of each 64-bit lane: one lane = one code.
__attribute__((target("avx2"))) inline __m256i popcount_bytes_avx2(__m256i x) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_shuffle_epi8(lut, _mm256_and_si256(x, low4));
  const __m256i hi = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), low4));
  return _mm256_add_epi8(lo, hi);
}

template <int Wt>
__attribute__((target("avx2"))) void scan_avx2(const uint64_t* blocks, int W_rt, size_t b0, size_t b1, size_t n,
                                               const uint64_t* q, SmallTopK& top) {
  const int W = Wt > 0 ? Wt : W_rt;
  constexpr int kByteSumWords = 31;  // words whose byte counts fit in a byte
  const __m256i zero = _mm256_setzero_si256();
  __m256i qv[Wt > 0 ? Wt : 1];
  if (Wt > 0)
    for (int w = 0; w < W; ++w) qv[w] = _mm256_set1_epi64x(static_cast<long long>(q[w]));
  __m256i thr = _mm256_set1_epi64x(top.threshold());
  for (size_t b = b0; b < b1; ++b) {
    const uint64_t* blk = blocks + b * static_cast<size_t>(W) * 8;  // [W][8 lanes]
    __m256i d_lo = zero, d_hi = zero;                                // 4 x u64: lanes 0-3, 4-7
    for (int w0 = 0; w0 < W; w0 += kByteSumWords) {
      const int w1 = std::min(W, w0 + kByteSumWords);
      __m256i c_lo = zero, c_hi = zero;  // 32 x u8 byte counts
      for (int w = w0; w < w1; ++w) {
        const __m256i qw = Wt > 0 ? qv[w] : _mm256_set1_epi64x(static_cast<long long>(q[w]));
        const __m256i* p = reinterpret_cast<const __m256i*>(blk + w * 8);
        c_lo = _mm256_add_epi8(c_lo, popcount_bytes_avx2(_mm256_xor_si256(_mm256_loadu_si256(p), qw)));
        c_hi = _mm256_add_epi8(c_hi, popcount_bytes_avx2(_mm256_xor_si256(_mm256_loadu_si256(p + 1), qw)));
      }
      d_lo = _mm256_add_epi64(d_lo, _mm256_sad_epu8(c_lo, zero));
      d_hi = _mm256_add_epi64(d_hi, _mm256_sad_epu8(c_hi, zero));
    }
    const unsigned mask =
        static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(thr, d_lo)))) |
        static_cast<unsigned>(_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(thr, d_hi)))) << 4;
    if (mask) {
      alignas(32) long long dl[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(dl), d_lo);
      _mm256_store_si256(reinterpret_cast<__m256i*>(dl + 4), d_hi);
      int32_t dd[8];
      for (int l = 0; l < 8; ++l) dd[l] = static_cast<int32_t>(dl[l]);
      offer_lanes(mask, dd, b, n, top);
      thr = _mm256_set1_epi64x(top.threshold());
    }
  }
}

// AVX-512 VPOPCNTDQ: one block of 8 codes is one 512-bit register per word.
template <int Wt>
__attribute__((target("avx512f,avx512vpopcntdq"))) void scan_avx512(const uint64_t* blocks, int W_rt, size_t b0,
                                                                     size_t b1, size_t n, const uint64_t* q,
                                                                     SmallTopK& top) {
  const int W = Wt > 0 ? Wt : W_rt;
  __m512i qv[Wt > 0 ? Wt : 1];
  if (Wt > 0)
    for (int w = 0; w < W; ++w) qv[w] = _mm512_set1_epi64(static_cast<long long>(q[w]));
  __m512i thr = _mm512_set1_epi64(top.threshold());
  for (size_t b = b0; b < b1; ++b) {
    const uint64_t* blk = blocks + b * static_cast<size_t>(W) * 8;  // [W][8 lanes]
    __m512i acc = _mm512_setzero_si512();                            // 8 x u64 distances
    for (int w = 0; w < W; ++w) {
      const __m512i qw = Wt > 0 ? qv[w] : _mm512_set1_epi64(static_cast<long long>(q[w]));
      const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(blk + w * 8), qw);
      acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
    }
    const unsigned mask = _mm512_cmplt_epi64_mask(acc, thr);
    if (mask) {
      alignas(64) long long dl[8];
      _mm512_store_si512(dl, acc);
      int32_t dd[8];
      for (int l = 0; l < 8; ++l) dd[l] = static_cast<int32_t>(dl[l]);
      offer_lanes(mask, dd, b, n, top);
      thr = _mm512_set1_epi64(top.threshold());
    }
  }
}
#endif

// The scan for code length W on one path (W in the list gets a specialised loop).
template <template <int> class Scan>
ScanFn pick_w(int W) {
  switch (W) {
    case 1: return Scan<1>::fn;
    case 2: return Scan<2>::fn;
    case 3: return Scan<3>::fn;
    case 4: return Scan<4>::fn;
    case 5: return Scan<5>::fn;
    case 6: return Scan<6>::fn;
    case 8: return Scan<8>::fn;
    case 12: return Scan<12>::fn;
    case 16: return Scan<16>::fn;
    case 32: return Scan<32>::fn;
    default: return Scan<0>::fn;
  }
}
template <int Wt> struct PortableScan { static constexpr ScanFn fn = scan_portable<Wt>; };
#ifdef BINLLM_H1_X86
template <int Wt> struct Avx2Scan { static constexpr ScanFn fn = scan_avx2<Wt>; };
template <int Wt> struct Avx512Scan { static constexpr ScanFn fn = scan_avx512<Wt>; };
#endif

ScanFn pick_scan(SimdPath path, int W) {
  switch (path) {
#ifdef BINLLM_H1_X86
    case SimdPath::Avx512: return pick_w<Avx512Scan>(W);
    case SimdPath::Avx2: return pick_w<Avx2Scan>(W);
#endif
    default: return pick_w<PortableScan>(W);
  }
}

// Serialises progress callbacks from the worker threads.
struct ProgressCounter {
  const ProgressFn& fn;
  size_t total, done = 0;
  std::mutex mu;
  ProgressCounter(const ProgressFn& f, size_t t) : fn(f), total(t) {}
  void operator()(size_t n) {
    if (!fn) return;
    std::lock_guard<std::mutex> lk(mu);
    done += n;
    fn(done, total);
  }
};

// Query-block size: large blocks reuse each cached database tile for many queries; small query
// counts get smaller blocks so every thread has work. Results do not depend on it.
size_t query_block(size_t nq, int threads) {
  size_t per = (nq + static_cast<size_t>(std::max(1, threads)) * 2 - 1) / (static_cast<size_t>(std::max(1, threads)) * 2);
  return std::max<size_t>(1, std::min<size_t>(64, per));
}

}  // namespace

TopK hamming_knn(const HammingIndex& index, const Codes& queries, int k, int threads, const ProgressFn& progress,
                 SimdPath path) {
  if (queries.W != index.W) throw std::invalid_argument("hamming_knn: query and database code lengths differ");
  if (k < 1 || static_cast<size_t>(k) > index.n) throw std::invalid_argument("hamming_knn: k out of range");
  TopK out;
  out.nq = queries.n;
  out.k = k;
  out.ids.assign(queries.n * k, -1);
  out.dist.assign(queries.n * k, 0);
  const int W = index.W;
  const ScanFn scan = pick_scan(resolve_simd_path(path), W);
  // Database tile of ~256 KiB (L2-resident) scanned by every query of the block.
  const size_t tile_blocks = std::max<size_t>(1, (256u << 10) / (static_cast<size_t>(W) * 64));
  const size_t qb = query_block(queries.n, threads);
  const size_t n_qblocks = (queries.n + qb - 1) / qb;
  ProgressCounter report(progress, queries.n);
  parallel_for(n_qblocks, threads, [&](size_t qbi) {
    check_stop();
    const size_t q0 = qbi * qb, q1 = std::min(queries.n, q0 + qb);
    std::vector<SmallTopK> tops(q1 - q0);
    for (size_t q = q0; q < q1; ++q) {
      SmallTopK& t = tops[q - q0];
      t.k = k;
      t.d = out.dist.data() + q * k;
      t.id = out.ids.data() + q * k;
    }
    for (size_t b0 = 0; b0 < index.n_blocks; b0 += tile_blocks) {
      const size_t b1 = std::min(index.n_blocks, b0 + tile_blocks);
      for (size_t q = q0; q < q1; ++q) scan(index.blocks.data(), W, b0, b1, index.n, queries.row(q), tops[q - q0]);
      if (stop_requested()) check_stop();
    }
    report(q1 - q0);
  });
  return out;
}

TopK float_knn(const Matrix& corpus, const Matrix& queries, int k, int threads, const ProgressFn& progress) {
  if (queries.cols != corpus.cols) throw std::invalid_argument("float_knn: dimension mismatch");
  if (k < 1 || static_cast<size_t>(k) > corpus.rows) throw std::invalid_argument("float_knn: k out of range");
  TopK out;
  out.nq = queries.rows;
  out.k = k;
  out.ids.assign(queries.rows * k, -1);
  out.score.assign(queries.rows * k, 0.f);
  const size_t d = corpus.cols;
  const size_t tile = std::max<size_t>(8, (256u << 10) / (d * sizeof(float)));
  const size_t qb = std::min<size_t>(16, query_block(queries.rows, threads));
  const size_t n_qblocks = (queries.rows + qb - 1) / qb;
  ProgressCounter report(progress, queries.rows);
  parallel_for(n_qblocks, threads, [&](size_t qbi) {
    check_stop();
    const size_t q0 = qbi * qb, q1 = std::min(queries.rows, q0 + qb);
    std::vector<int> count(q1 - q0, 0);
    for (size_t i0 = 0; i0 < corpus.rows; i0 += tile) {
      const size_t i1 = std::min(corpus.rows, i0 + tile);
      for (size_t q = q0; q < q1; ++q) {
        const float* qv = queries.row(q);
        float* sc = out.score.data() + q * k;
        int32_t* id = out.ids.data() + q * k;
        int& cnt = count[q - q0];
        float thr = cnt < k ? -std::numeric_limits<float>::infinity() : sc[k - 1];
        for (size_t i = i0; i < i1; ++i) {
          const float s = dot(qv, corpus.row(i), d);
          if (s > thr || cnt < k) {
            // insert keeping (score desc, id asc); ids arrive increasing, so equal scores stay behind
            int pos = cnt < k ? cnt : k - 1;
            while (pos > 0 && sc[pos - 1] < s) {
              sc[pos] = sc[pos - 1];
              id[pos] = id[pos - 1];
              --pos;
            }
            sc[pos] = s;
            id[pos] = static_cast<int32_t>(i);
            if (cnt < k) ++cnt;
            thr = cnt < k ? -std::numeric_limits<float>::infinity() : sc[k - 1];
          }
        }
      }
      if (stop_requested()) check_stop();
    }
    report(q1 - q0);
  });
  return out;
}

TopK hamming_knn_reference(const Codes& db, const Codes& queries, int k) {
  TopK out;
  out.nq = queries.n;
  out.k = k;
  std::vector<std::pair<int32_t, int32_t>> all(db.n);
  for (size_t q = 0; q < queries.n; ++q) {
    for (size_t i = 0; i < db.n; ++i)
      all[i] = {hamming_distance(queries.row(q), db.row(i), db.W), static_cast<int32_t>(i)};
    std::sort(all.begin(), all.end());
    for (int j = 0; j < k; ++j) {
      out.dist.push_back(all[j].first);
      out.ids.push_back(all[j].second);
    }
  }
  return out;
}

TopK float_knn_reference(const Matrix& corpus, const Matrix& queries, int k) {
  TopK out;
  out.nq = queries.rows;
  out.k = k;
  std::vector<std::pair<float, int32_t>> all(corpus.rows);
  for (size_t q = 0; q < queries.rows; ++q) {
    for (size_t i = 0; i < corpus.rows; ++i) all[i] = {dot(queries.row(q), corpus.row(i), corpus.cols), static_cast<int32_t>(i)};
    std::sort(all.begin(), all.end(), [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (int j = 0; j < k; ++j) {
      out.score.push_back(all[j].first);
      out.ids.push_back(all[j].second);
    }
  }
  return out;
}

RescoreVectors parse_rescore_vectors(const std::string& s) {
  if (s == "binary") return RescoreVectors::Binary;
  if (s == "float") return RescoreVectors::Float;
  throw std::invalid_argument("unknown rescore vectors '" + s + "' (binary, float)");
}

// (score desc, id asc): the float search's order.
static bool better(float sa, int32_t ia, float sb, int32_t ib) { return sa != sb ? sa > sb : ia < ib; }

TopK rescore_topk(const TopK& cand, int k, const RescoreFn& score) {
  if (k < 1 || k > cand.k) throw std::invalid_argument("rescore_topk: k out of range");
  TopK out;
  out.nq = cand.nq;
  out.k = k;
  out.ids.assign(cand.nq * k, -1);
  out.score.assign(cand.nq * k, 0.f);
  for (size_t q = 0; q < cand.nq; ++q) {
    float* sc = out.score.data() + q * k;   // k, kept sorted
    int32_t* id = out.ids.data() + q * k;   // k
    int cnt = 0;
    for (int j = 0; j < cand.k; ++j) {
      const int32_t c = cand.ids_row(q)[j];
      const float s = score(q, c);
      if (cnt == k && !better(s, c, sc[k - 1], id[k - 1])) continue;
      int pos = cnt < k ? cnt++ : k - 1;
      while (pos > 0 && better(s, c, sc[pos - 1], id[pos - 1])) {
        sc[pos] = sc[pos - 1];
        id[pos] = id[pos - 1];
        --pos;
      }
      sc[pos] = s;
      id[pos] = c;
    }
  }
  return out;
}

TopK rescore_topk_reference(const TopK& cand, int k, const RescoreFn& score) {
  TopK out;
  out.nq = cand.nq;
  out.k = k;
  for (size_t q = 0; q < cand.nq; ++q) {
    std::vector<std::pair<float, int32_t>> all;
    for (int j = 0; j < cand.k; ++j) all.push_back({score(q, cand.ids_row(q)[j]), cand.ids_row(q)[j]});
    std::sort(all.begin(), all.end(), [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
      return better(a.first, a.second, b.first, b.second);
    });
    for (int j = 0; j < k; ++j) {
      out.score.push_back(all[j].first);
      out.ids.push_back(all[j].second);
    }
  }
  return out;
}

}  // namespace h1
}  // namespace binllm
