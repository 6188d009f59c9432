// Unit tests of the H1 core against brute-force references, adversarial data, the random-hyperplane
// theorem, hand-computed nDCG. `test_hamming --write-fixtures DIR` writes the .npy/BEIR files used
// by hamming_blackbox.sh.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include "binllm/protocol.hpp"
#include "check.hpp"
#include "hamming.hpp"

using namespace binllm::h1;
using binllm::Rng;

namespace {

Codes random_codes(size_t n, int m, uint64_t seed, double p_one = 0.5) {
  Codes c(n, m);
  Rng r(seed);
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j)
      if (r.uniform() < p_one) c.set_bit(i, j);
  return c;
}

Matrix random_matrix(size_t n, size_t d, uint64_t seed) {
  Matrix x(n, d);
  Rng r(seed);
  for (auto& v : x.data) v = static_cast<float>(r.normal());
  return x;
}

bool same_topk(const TopK& a, const TopK& b, bool check_dist = true) {
  if (a.nq != b.nq || a.k != b.k || a.ids != b.ids) return false;
  return !check_dist || a.dist == b.dist;
}

// The SIMD paths this CPU runs (portable always; avx2 / avx512 where CPUID has them).
std::vector<SimdPath> cpu_paths() {
  std::vector<SimdPath> p;
  for (SimdPath s : {SimdPath::Portable, SimdPath::Avx2, SimdPath::Avx512})
    if (cpu_supports(s)) p.push_back(s);
  return p;
}

// Every path and thread count against the full-sort reference: same ids (tie order included)
// and distances.
void check_hamming_vs_reference(const Codes& db, const Codes& q, int k, const std::string& label) {
  TopK ref = hamming_knn_reference(db, q, k);
  HammingIndex idx(db);
  for (SimdPath path : cpu_paths())
    for (int t : {1, 2, 3}) {
      TopK got = hamming_knn(idx, q, k, t, nullptr, path);
      CHECK_MSG(same_topk(got, ref), label + " path=" + simd_path_name(path) + " threads=" + std::to_string(t));
    }
}

}  // namespace

TEST(hamming_random_many_lengths) {
  // m not a multiple of 64, W from 1 to 9 (templated and generic scan paths), odd n (padding lanes)
  for (int m : {1, 7, 63, 64, 65, 100, 128, 130, 192, 256, 300, 384, 512, 513, 576}) {
    Codes db = random_codes(203, m, 11 + m);
    Codes q = random_codes(17, m, 1000 + m);
    check_hamming_vs_reference(db, q, 10, "m=" + std::to_string(m));
  }
  Codes db = random_codes(1000, 256, 5), q = random_codes(70, 256, 6);
  check_hamming_vs_reference(db, q, 50, "k=50");
  check_hamming_vs_reference(db, q, 1, "k=1");
  Codes small = random_codes(9, 64, 8);
  check_hamming_vs_reference(small, random_codes(5, 64, 9), 9, "k=n");
}

TEST(hamming_adversarial_ties) {
  // all-equal codes: every distance ties, ids must come out 0..k-1
  Codes db(100, 96);
  for (size_t i = 0; i < db.n; ++i)
    for (int j = 0; j < 96; j += 3) db.set_bit(i, j);
  Codes q = random_codes(4, 96, 3);
  check_hamming_vs_reference(db, q, 10, "all-equal");
  HammingIndex idx(db);
  TopK got = hamming_knn(idx, q, 10, 2);
  for (int j = 0; j < 10; ++j) CHECK(got.ids[j] == j);
  // duplicate documents: blocks of identical codes
  Codes dup(120, 130);
  Codes base = random_codes(12, 130, 77);
  for (size_t i = 0; i < dup.n; ++i)
    for (int w = 0; w < dup.W; ++w) dup.row(i)[w] = base.row(i % 12)[w];
  check_hamming_vs_reference(dup, random_codes(9, 130, 78), 25, "duplicates");
  // skewed bits (many near-ties) and all-zero codes
  check_hamming_vs_reference(random_codes(500, 200, 4, 0.02), random_codes(11, 200, 5, 0.02), 30, "sparse");
  check_hamming_vs_reference(Codes(50, 70), Codes(3, 70), 50, "all-zero");
}

TEST(hamming_simd_paths) {
  // names round-trip; a path the CPU lacks is refused by name; auto resolves to the best
  for (SimdPath p : {SimdPath::Auto, SimdPath::Portable, SimdPath::Avx2, SimdPath::Avx512})
    CHECK(parse_simd_path(simd_path_name(p)) == p);
  CHECK(resolve_simd_path(SimdPath::Auto) == best_simd_path());
  CHECK(cpu_supports(best_simd_path()));
  for (SimdPath p : {SimdPath::Avx2, SimdPath::Avx512})
    if (!cpu_supports(p)) {
      bool threw = false;
      try {
        resolve_simd_path(p);
      } catch (const std::invalid_argument& e) {
        threw = std::string(e.what()).find(simd_path_name(p)) != std::string::npos;
      }
      CHECK_MSG(threw, std::string("no error naming ") + simd_path_name(p));
    }
  std::string ran;
  for (SimdPath p : cpu_paths()) ran += std::string(" ") + simd_path_name(p);
  std::fprintf(stderr, "  paths compared on this CPU:%s\n", ran.c_str());
  // > 31 words exercises the AVX2 byte-count flush (31 words per byte sum)
  for (int m : {1984, 1985, 2048, 4096}) check_hamming_vs_reference(random_codes(77, m, m), random_codes(5, m, m + 1), 7, "m=" + std::to_string(m));
  Codes big = random_codes(20000, 256, 42), q = random_codes(33, 256, 43);
  check_hamming_vs_reference(big, q, 10, "n=20000");
}

TEST(rescore_vs_brute_force) {
  // Brute force: every Hamming distance, full sort, first kc ids, their float scores, full sort.
  const size_t n = 700, nq = 23, d = 48;
  Matrix x = random_matrix(n, d, 71), qf = random_matrix(nq, d, 72);
  normalize_rows(x, 2);
  normalize_rows(qf, 2);
  for (Binarizer b : {Binarizer::Sign, Binarizer::Rhp}) {
    Encoder enc = b == Binarizer::Sign ? make_sign_encoder(static_cast<int>(d)) : make_rhp_encoder(static_cast<int>(d), 40, 5);
    Codes db = enc.encode(x, 2), qc = enc.encode(qf, 2);
    std::vector<float> qp(nq * enc.m), scratch(d);
    for (size_t q = 0; q < nq; ++q) enc.project_row(qf.row(q), qp.data() + q * enc.m, scratch.data());
    const RescoreFn vs_float = [&](size_t q, int32_t id) { return dot(qf.row(q), x.row(id), d); };
    const RescoreFn vs_bits = [&](size_t q, int32_t id) {
      double s = 0;  // naive double: +-1 per bit
      for (int j = 0; j < enc.m; ++j) s += (db.bit(id, j) ? 1.0 : -1.0) * qp[q * enc.m + j];
      return static_cast<float>(s);
    };
    for (int mult : {1, 2, 4, 10}) {
      const int k = 10, kc = mult * k;
      TopK ref_c = hamming_knn_reference(db, qc, kc);
      HammingIndex idx(db);
      TopK cand = hamming_knn(idx, qc, kc, 2);
      CHECK(same_topk(cand, ref_c));
      for (const RescoreFn* f : {&vs_float, &vs_bits}) {
        TopK got = rescore_topk(cand, k, *f), ref = rescore_topk_reference(ref_c, k, *f);
        CHECK_MSG(got.ids == ref.ids, "rescore ids mult=" + std::to_string(mult));
        CHECK(got.score == ref.score);
        if (mult == 1) {  // kc = k: rescoring only reorders the Hamming top k
          for (size_t q = 0; q < nq; ++q) {
            std::vector<int32_t> a(cand.ids_row(q), cand.ids_row(q) + k), bb(got.ids_row(q), got.ids_row(q) + k);
            std::sort(a.begin(), a.end());
            std::sort(bb.begin(), bb.end());
            CHECK(a == bb);
          }
        }
      }
      // float rescoring with all n candidates is the exact float search
      if (mult == 10) {
        TopK all = hamming_knn(idx, qc, static_cast<int>(n), 1);
        TopK full = rescore_topk(all, k, vs_float), exact = float_knn_reference(x, qf, k);
        CHECK(full.ids == exact.ids);
      }
    }
  }
}

TEST(float_search_vs_reference) {
  for (size_t d : {1u, 3u, 16u, 17u, 100u}) {
    Matrix x = random_matrix(300, d, 10 + d), q = random_matrix(13, d, 20 + d);
    normalize_rows(x, 2);
    normalize_rows(q, 2);
    TopK ref = float_knn_reference(x, q, 20);
    for (int t : {1, 2, 3}) {
      TopK got = float_knn(x, q, 20, t);
      CHECK_MSG(got.ids == ref.ids && got.score == ref.score, "d=" + std::to_string(d) + " t=" + std::to_string(t));
    }
  }
  // duplicates and d = 1: massive ties broken by id
  Matrix x(64, 1), q(2, 1);
  for (size_t i = 0; i < 64; ++i) x.row(i)[0] = (i % 2) ? 1.f : -1.f;
  q.row(0)[0] = 1.f;
  q.row(1)[0] = -1.f;
  TopK got = float_knn(x, q, 5, 2);
  const int32_t want0[5] = {1, 3, 5, 7, 9}, want1[5] = {0, 2, 4, 6, 8};
  for (int j = 0; j < 5; ++j) {
    CHECK(got.ids[j] == want0[j]);
    CHECK(got.ids[5 + j] == want1[j]);
  }
}

TEST(sign_binarizer_and_d1) {
  Matrix x(4, 1);
  x.row(0)[0] = 1.f;
  x.row(1)[0] = -2.f;
  x.row(2)[0] = 0.f;
  x.row(3)[0] = 3.f;
  Codes c = make_sign_encoder(1).encode(x, 2);
  CHECK(c.bit(0, 0) && !c.bit(1, 0) && !c.bit(2, 0) && c.bit(3, 0));
  Matrix y = random_matrix(50, 70, 3);
  Codes s = make_sign_encoder(70).encode(y, 1);
  bool ok = true;
  for (size_t i = 0; i < 50; ++i)
    for (int j = 0; j < 70; ++j) ok = ok && (s.bit(i, j) == (y.row(i)[j] > 0));
  CHECK(ok);
  CHECK(s.row(0)[1] >> 6 == 0);  // padding bits of the last word are zero
}

TEST(rhp_nested_and_deterministic) {
  Encoder a = make_rhp_encoder(20, 64, 9), b = make_rhp_encoder(20, 130, 9), c = make_rhp_encoder(20, 64, 10);
  bool nested = true, differs = false;
  for (int r = 0; r < 20; ++r)
    for (int j = 0; j < 64; ++j) {
      nested = nested && a.proj[r * 64 + j] == b.proj[r * 130 + j];
      differs = differs || a.proj[r * 64 + j] != c.proj[r * 64 + j];
    }
  CHECK(nested);
  CHECK(differs);
  Matrix x = random_matrix(333, 20, 1);
  Codes c1 = b.encode(x, 1), c2 = b.encode(x, 2), c3 = b.encode(x, 3);
  CHECK(c1.words == c2.words && c2.words == c3.words);
}

// Random-hyperplane theorem: P[bit differs] = theta / pi, so E[ham/m] = theta/pi and
// Var[ham/m] = p(1-p)/m. With independent hyperplanes per pair, the mean deviation over P pairs has
// sd <= 1/(2 sqrt(m P)); we require |mean dev| < 5 sd and that the RMS deviation shrinks ~ 1/sqrt(m).
TEST(rhp_hamming_angle_relation) {
  const int d = 24, P = 300;
  double rms_prev = 0;
  for (int m : {64, 256, 1024}) {
    Rng r(123 + m);
    double sum_dev = 0, sum_sq = 0;
    for (int p = 0; p < P; ++p) {
      Matrix x(2, d);
      for (auto& v : x.data) v = static_cast<float>(r.normal());
      // mix the pair to cover small and large angles
      const float mix = static_cast<float>(p % 10) / 10.f;
      for (int j = 0; j < d; ++j) x.row(1)[j] = mix * x.row(0)[j] + (1 - mix) * x.row(1)[j];
      Encoder e = make_rhp_encoder(d, m, 1000 * m + p);
      Codes c = e.encode(x, 1);
      const double ham = hamming_distance(c.row(0), c.row(1), c.W) / static_cast<double>(m);
      double dd = 0, n0 = 0, n1 = 0;
      for (int j = 0; j < d; ++j) {
        dd += static_cast<double>(x.row(0)[j]) * x.row(1)[j];
        n0 += static_cast<double>(x.row(0)[j]) * x.row(0)[j];
        n1 += static_cast<double>(x.row(1)[j]) * x.row(1)[j];
      }
      const double theta = std::acos(std::max(-1.0, std::min(1.0, dd / std::sqrt(n0 * n1))));
      const double dev = ham - theta / M_PI;
      sum_dev += dev;
      sum_sq += dev * dev;
    }
    const double mean_dev = sum_dev / P, rms = std::sqrt(sum_sq / P);
    const double bound = 5.0 / (2.0 * std::sqrt(static_cast<double>(m) * P));
    CHECK_MSG(std::fabs(mean_dev) < bound,
              "m=" + std::to_string(m) + " mean dev " + std::to_string(mean_dev) + " bound " + std::to_string(bound));
    CHECK_MSG(rms < 1.5 / (2.0 * std::sqrt(static_cast<double>(m))), "m=" + std::to_string(m) + " rms " + std::to_string(rms));
    if (rms_prev > 0) CHECK_MSG(rms < rms_prev / 1.5, "rms must shrink with m");  // expected ratio 2
    rms_prev = rms;
  }
}

TEST(itq_orthonormal_and_deterministic) {
  SyntheticOptions o;
  o.n_docs = 600;
  o.n_queries = 5;
  o.dim = 24;
  o.n_topics = 6;
  Dataset ds = make_synthetic(o, 4, 2);
  ItqOptions opt;
  opt.iters = 20;
  Encoder e1 = fit_itq_encoder(ds.corpus, 16, 4, opt, 1, nullptr);
  Encoder e2 = fit_itq_encoder(ds.corpus, 16, 4, opt, 3, nullptr);
  CHECK(e1.proj == e2.proj && e1.mean == e2.mean);
  // columns of proj = P R are orthonormal
  double worst = 0;
  for (int a = 0; a < 16; ++a)
    for (int b = 0; b < 16; ++b) {
      double s = 0;
      for (int r = 0; r < 24; ++r) s += static_cast<double>(e1.proj[r * 16 + a]) * e1.proj[r * 16 + b];
      worst = std::max(worst, std::fabs(s - (a == b ? 1.0 : 0.0)));
    }
  CHECK_MSG(worst < 1e-4, std::to_string(worst));
  // ITQ lowers the quantization loss ||B - V R||^2 relative to no rotation: proxy = codes differ
  Codes c = e1.encode(ds.corpus, 2);
  CHECK(c.m == 16 && c.n == 600);
  // m = d works too (full rotation), m = 1 works
  Encoder full = fit_itq_encoder(ds.corpus, 24, 4, opt, 2, nullptr);
  Encoder one = fit_itq_encoder(ds.corpus, 1, 4, opt, 2, nullptr);
  CHECK(full.m == 24 && one.m == 1);
}

// ITQ must lower its objective ||B - V R||_F^2 (B = sgn(V R)) relative to its random start.
static double itq_loss(const Encoder& e, const Matrix& x) {
  double loss = 0;
  for (size_t i = 0; i < x.rows; ++i)
    for (int j = 0; j < e.m; ++j) {
      double v = 0;
      for (int a = 0; a < e.d; ++a) v += (static_cast<double>(x.row(i)[a]) - e.mean[a]) * e.proj[static_cast<size_t>(a) * e.m + j];
      const double b = v > 0 ? 1.0 : -1.0;
      loss += (b - v) * (b - v);
    }
  return loss;
}

TEST(itq_lowers_quantization_loss) {
  SyntheticOptions o;
  o.n_docs = 800;
  o.n_queries = 1;
  o.dim = 32;
  o.n_topics = 5;
  Dataset ds = make_synthetic(o, 9, 2);
  // scale up so that |V| is comparable to the +-1 codes
  for (auto& v : ds.corpus.data) v *= 4.f;
  ItqOptions start, trained;
  start.iters = 0;
  trained.iters = 30;
  const double l0 = itq_loss(fit_itq_encoder(ds.corpus, 16, 9, start, 2, nullptr), ds.corpus);
  const double l1 = itq_loss(fit_itq_encoder(ds.corpus, 16, 9, trained, 2, nullptr), ds.corpus);
  CHECK_MSG(l1 < 0.97 * l0, "loss " + std::to_string(l0) + " -> " + std::to_string(l1));
  std::fprintf(stderr, "  itq loss %.1f -> %.1f\n", l0, l1);
}

// Both eigensolvers against each other and against A v = lambda v, on random, low-rank and
// repeated-eigenvalue symmetric matrices.
TEST(symmetric_eigen_solvers) {
  for (size_t n : {1u, 2u, 3u, 7u, 40u, 97u}) {
    for (int kind = 0; kind < 3; ++kind) {
      std::vector<double> A(n * n, 0.0);
      Rng r(n * 10 + kind);
      if (kind == 0) {  // random symmetric
        for (size_t i = 0; i < n; ++i)
          for (size_t j = 0; j <= i; ++j) A[i * n + j] = A[j * n + i] = r.normal();
      } else {  // X^T X with rank <= 3 (kind 1) or a multiple of the identity plus rank 1 (kind 2)
        std::vector<double> X(3 * n);
        for (auto& x : X) x = r.normal();
        for (size_t i = 0; i < n; ++i)
          for (size_t j = 0; j < n; ++j) {
            double s = 0;
            for (size_t t = 0; t < (kind == 1 ? 3u : 1u); ++t) s += X[t * n + i] * X[t * n + j];
            A[i * n + j] = s + (kind == 2 && i == j ? 2.0 : 0.0);
          }
      }
      std::vector<double> a1 = A, a2 = A, v1, v2, e1, e2;
      symmetric_eigen(a1, n, v1, e1, EigenMethod::TridiagonalQR);
      symmetric_eigen(a2, n, v2, e2, EigenMethod::Jacobi);
      double scale = 1e-300, worst_val = 0, worst_res = 0, worst_orth = 0;
      for (double x : v2) scale = std::max(scale, std::fabs(x));
      for (size_t i = 0; i < n; ++i) {
        worst_val = std::max(worst_val, std::fabs(v1[i] - v2[i]) / scale);
        for (size_t row = 0; row < n; ++row) {
          double s = 0;
          for (size_t j = 0; j < n; ++j) s += A[row * n + j] * e1[i * n + j];
          worst_res = std::max(worst_res, std::fabs(s - v1[i] * e1[i * n + row]) / scale);
        }
        for (size_t j = 0; j < n; ++j) {
          double s = 0;
          for (size_t c = 0; c < n; ++c) s += e1[i * n + c] * e1[j * n + c];
          worst_orth = std::max(worst_orth, std::fabs(s - (i == j ? 1.0 : 0.0)));
        }
      }
      const std::string tag = "n=" + std::to_string(n) + " kind=" + std::to_string(kind);
      CHECK_MSG(worst_val < 1e-10, tag + " eigenvalues differ by " + std::to_string(worst_val));
      CHECK_MSG(worst_res < 1e-10, tag + " residual " + std::to_string(worst_res));
      CHECK_MSG(worst_orth < 1e-10, tag + " orthogonality " + std::to_string(worst_orth));
    }
  }
}

TEST(synthetic_same_seed_same_data) {
  SyntheticOptions o;
  o.n_docs = 300;
  o.n_queries = 20;
  o.dim = 16;
  o.n_topics = 5;
  Dataset a = make_synthetic(o, 7, 1), b = make_synthetic(o, 7, 2), c = make_synthetic(o, 8, 1);
  CHECK(a.corpus.data == b.corpus.data && a.queries.data == b.queries.data);
  CHECK(a.corpus.data != c.corpus.data);
  CHECK(a.qrels == b.qrels);
  for (auto& q : a.qrels) {
    CHECK(!q.empty() && q[0].second == 2);
    CHECK(q.size() <= 11);
  }
}

TEST(ndcg_hand_computed) {
  // qrels: doc 1 grade 2, doc 2 grade 1
  std::vector<std::pair<int32_t, int>> rel = {{1, 2}, {2, 1}};
  const double l3 = std::log2(3.0), l4 = std::log2(4.0);
  const double idcg = 2.0 + 1.0 / l3;
  {
    int32_t r[3] = {1, 2, 9};  // perfect
    CHECK(std::fabs(ndcg_at_k(r, 3, rel, 10) - 1.0) < 1e-15);
  }
  {
    int32_t r[3] = {2, 1, 9};  // swapped: (1 + 2/log2 3) / idcg
    CHECK(std::fabs(ndcg_at_k(r, 3, rel, 10) - (1.0 + 2.0 / l3) / idcg) < 1e-15);
  }
  {
    int32_t r[4] = {7, 8, 9, 1};  // only doc 1 at rank 4: (2/log2 5)/idcg
    CHECK(std::fabs(ndcg_at_k(r, 4, rel, 10) - (2.0 / std::log2(5.0)) / idcg) < 1e-15);
    CHECK(ndcg_at_k(r, 4, rel, 3) == 0.0);  // cut off at k = 3
  }
  {
    int32_t r[3] = {9, 2, 8};  // doc 2 at rank 2: (1/log2 3) / idcg
    CHECK(std::fabs(ndcg_at_k(r, 3, rel, 10) - (1.0 / l3) / idcg) < 1e-15);
  }
  {
    // three relevant (2, 2, 1), ranking 3 (grade 1) first then both grade 2
    std::vector<std::pair<int32_t, int>> rel3 = {{5, 2}, {6, 2}, {7, 1}};
    int32_t r[3] = {7, 5, 6};
    const double dcg = 1.0 + 2.0 / l3 + 2.0 / l4, ideal = 2.0 + 2.0 / l3 + 1.0 / l4;
    CHECK(std::fabs(ndcg_at_k(r, 3, rel3, 10) - dcg / ideal) < 1e-15);
  }
  CHECK(ndcg_at_k(nullptr, 0, {}, 10) == 0.0);
  int32_t r[2] = {1, 3};
  CHECK(recall_at_k(r, 2, rel, 2) == 0.5);
  CHECK(recall_at_k(r, 2, rel, 1) == 0.5);
  int32_t a[4] = {1, 2, 3, 4}, b[4] = {4, 3, 9, 8};
  CHECK(overlap_at_k(a, b, 4) == 0.5);
  CHECK(overlap_at_k(a, a, 4) == 1.0);
}

TEST(beir_readers) {
  const std::string dir = "/tmp/binllm_test_beir_" + std::to_string(getpid());
  mkdir(dir.c_str(), 0755);
  {
    std::ofstream f(dir + "/c.jsonl");
    f << "{\"_id\": \"d1\", \"text\": \"a\"}\n{\"_id\": \"d2\"}\n\n{\"_id\": 3}\n";
  }
  auto ids = read_jsonl_ids(dir + "/c.jsonl");
  CHECK(ids.size() == 3 && ids[0] == "d1" && ids[2] == "3");
  {
    std::ofstream f(dir + "/q.tsv");
    f << "query-id\tcorpus-id\tscore\nq1\td2\t1\nq1\td1\t2\nq2\tzz\t1\n";
  }
  size_t skipped = 0;
  Qrels qr = read_qrels_tsv(dir + "/q.tsv", {"q1", "q2"}, ids, &skipped);
  CHECK(qr.size() == 2 && qr[0].size() == 2 && qr[1].empty() && skipped == 1);
  CHECK(qr[0][1].first == 0 && qr[0][1].second == 2);
  {
    std::ofstream f(dir + "/bad.tsv");
    f << "q1\td1\t1\nq1\td2\n";
  }
  CHECK_THROWS(binllm::ConfigError, read_qrels_tsv(dir + "/bad.tsv", {"q1"}, ids), "bad.tsv", "line 2");
  {
    std::ofstream f(dir + "/bad.jsonl");
    f << "{\"_id\": \"d1\"}\n{\"id\": \"d2\"}\n";
  }
  CHECK_THROWS(binllm::ConfigError, read_jsonl_ids(dir + "/bad.jsonl"), "bad.jsonl", "line 2", "_id");
  CHECK_THROWS(binllm::ConfigError, read_qrels_tsv(dir + "/none.tsv", {"q1"}, ids), "none.tsv");
  std::system(("rm -rf " + dir).c_str());
}

// ---------------------------------------------------------------- fixtures for the black-box test

static void write_text(const std::string& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

static int write_fixtures(const std::string& dir) {
  mkdir(dir.c_str(), 0755);
  mkdir((dir + "/beir").c_str(), 0755);
  mkdir((dir + "/beir/qrels").c_str(), 0755);
  SyntheticOptions o;
  o.n_docs = 500;
  o.n_queries = 30;
  o.dim = 32;
  o.n_topics = 8;
  Dataset ds = make_synthetic(o, 1, 1);
  binllm::save_npy_f32(dir + "/corpus.npy", ds.corpus.rows, ds.corpus.cols, ds.corpus.data.data());
  binllm::save_npy_f32(dir + "/queries.npy", ds.queries.rows, ds.queries.cols, ds.queries.data.data());
  binllm::save_npy_f32(dir + "/beir/corpus.npy", ds.corpus.rows, ds.corpus.cols, ds.corpus.data.data());
  binllm::save_npy_f32(dir + "/beir/queries.npy", ds.queries.rows, ds.queries.cols, ds.queries.data.data());
  std::string cj, qj, qr = "query-id\tcorpus-id\tscore\n";
  for (size_t i = 0; i < o.n_docs; ++i) cj += "{\"_id\": \"doc" + std::to_string(i) + "\", \"text\": \"t\"}\n";
  for (size_t q = 0; q < o.n_queries; ++q) {
    qj += "{\"_id\": \"query-" + std::to_string(q) + "\", \"text\": \"t\"}\n";
    for (auto& r : ds.qrels[q]) qr += "query-" + std::to_string(q) + "\tdoc" + std::to_string(r.first) + "\t" + std::to_string(r.second) + "\n";
  }
  write_text(dir + "/beir/corpus.jsonl", cj);
  write_text(dir + "/beir/queries.jsonl", qj);
  write_text(dir + "/beir/qrels/test.tsv", qr);
  write_text(dir + "/beir/qrels/broken.tsv", "query-id\tcorpus-id\tscore\nq0\tdoc1\tnotanumber\n");
  // malformed / wrong-shape npy files
  std::vector<float> v(64, 0.5f);
  binllm::save_npy_f32(dir + "/dim16.npy", 4, 16, v.data());  // dimension mismatch with corpus
  std::vector<double> dv(64, 0.5);
  binllm::save_npy(dir + "/f8.npy", "<f8", 4, 16, dv.data(), 8);
  write_text(dir + "/notnpy.npy", "hello, this is not an npy file at all");
  {
    std::ifstream in(dir + "/corpus.npy", std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    write_text(dir + "/truncated.npy", s.substr(0, s.size() - 100));
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write-fixtures") return write_fixtures(argv[2]);
  std::fprintf(stderr, "popcount path: %s\n", hamming_simd_path());
  return bt::run_all(argc, argv);
}
