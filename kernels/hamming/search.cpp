// Exact top-k search: Hamming over bit-packed codes (popcount) and cosine over float rows.
#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>

#include "binllm/protocol.hpp"
#include "hamming.hpp"

#if defined(__AVX512F__) && defined(__AVX512VPOPCNTDQ__)
#include <immintrin.h>
#define BINLLM_H1_AVX512 1
#endif

namespace binllm {
namespace h1 {

const char* hamming_simd_path() {
#ifdef BINLLM_H1_AVX512
  return "avx512-vpopcntdq";
#else
  return "portable";
#endif
}

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

#ifdef BINLLM_H1_AVX512
// Scans blocks [b0, b1) for one query; Wt > 0 fixes W at compile time (query words in registers).
template <int Wt>
void scan_blocks(const uint64_t* blocks, int W_rt, size_t b0, size_t b1, size_t n, const uint64_t* q,
                 SmallTopK& top) {
  const int W = Wt > 0 ? Wt : W_rt;
  __m512i qv[Wt > 0 ? Wt : 1];
  if (Wt > 0)
    for (int w = 0; w < W; ++w) qv[w] = _mm512_set1_epi64(static_cast<long long>(q[w]));
  __m512i thr = _mm512_set1_epi64(top.threshold());
  for (size_t b = b0; b < b1; ++b) {
    const uint64_t* blk = blocks + b * static_cast<size_t>(W) * 8;
    __m512i acc = _mm512_setzero_si512();
    for (int w = 0; w < W; ++w) {
      const __m512i qw = Wt > 0 ? qv[w] : _mm512_set1_epi64(static_cast<long long>(q[w]));
      const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(blk + w * 8), qw);
      acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
    }
    __mmask8 mk = _mm512_cmplt_epi64_mask(acc, thr);
    if (mk) {
      alignas(64) long long dd[8];
      _mm512_store_si512(dd, acc);
      while (mk) {
        const int l = __builtin_ctz(mk);
        mk = static_cast<__mmask8>(mk & (mk - 1));
        const size_t idx = b * 8 + static_cast<size_t>(l);
        if (idx >= n) break;
        if (dd[l] < top.threshold()) top.insert(static_cast<int32_t>(dd[l]), static_cast<int32_t>(idx));
      }
      thr = _mm512_set1_epi64(top.threshold());
    }
  }
}
#else
template <int Wt>
void scan_blocks(const uint64_t* blocks, int W_rt, size_t b0, size_t b1, size_t n, const uint64_t* q,
                 SmallTopK& top) {
  const int W = Wt > 0 ? Wt : W_rt;
  int32_t thr = top.threshold();
  for (size_t b = b0; b < b1; ++b) {
    const uint64_t* blk = blocks + b * static_cast<size_t>(W) * 8;
    int32_t dd[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int w = 0; w < W; ++w) {
      const uint64_t qw = q[w];
      for (int l = 0; l < 8; ++l) dd[l] += __builtin_popcountll(blk[w * 8 + l] ^ qw);
    }
    for (int l = 0; l < 8; ++l) {
      if (dd[l] < thr) {
        const size_t idx = b * 8 + static_cast<size_t>(l);
        if (idx >= n) break;
        top.insert(dd[l], static_cast<int32_t>(idx));
        thr = top.threshold();
      }
    }
  }
}
#endif

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

using ScanFn = void (*)(const uint64_t*, int, size_t, size_t, size_t, const uint64_t*, SmallTopK&);

ScanFn pick_scan(int W) {
  switch (W) {
    case 1: return scan_blocks<1>;
    case 2: return scan_blocks<2>;
    case 3: return scan_blocks<3>;
    case 4: return scan_blocks<4>;
    case 5: return scan_blocks<5>;
    case 6: return scan_blocks<6>;
    case 8: return scan_blocks<8>;
    case 12: return scan_blocks<12>;
    case 16: return scan_blocks<16>;
    case 32: return scan_blocks<32>;
    default: return scan_blocks<0>;
  }
}

// Query-block size: large blocks reuse each cached database tile for many queries; small query
// counts get smaller blocks so every thread has work. Results do not depend on it.
size_t query_block(size_t nq, int threads) {
  size_t per = (nq + static_cast<size_t>(std::max(1, threads)) * 2 - 1) / (static_cast<size_t>(std::max(1, threads)) * 2);
  return std::max<size_t>(1, std::min<size_t>(64, per));
}

}  // namespace

TopK hamming_knn(const HammingIndex& index, const Codes& queries, int k, int threads, const ProgressFn& progress) {
  if (queries.W != index.W) throw std::invalid_argument("hamming_knn: query and database code lengths differ");
  if (k < 1 || static_cast<size_t>(k) > index.n) throw std::invalid_argument("hamming_knn: k out of range");
  TopK out;
  out.nq = queries.n;
  out.k = k;
  out.ids.assign(queries.n * k, -1);
  out.dist.assign(queries.n * k, 0);
  const int W = index.W;
  const ScanFn scan = pick_scan(W);
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

}  // namespace h1
}  // namespace binllm
