// binllm H1 kernel core: binarizers, exact float / Hamming top-k, retrieval metrics, datasets.
// Everything here is deterministic: same inputs (and seed) give bit-identical outputs for every
// thread count, because parallel loops only split independent output rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace binllm {
namespace h1 {

// Progress callback (done, total); called from worker threads one at a time (under a lock).
using ProgressFn = std::function<void(size_t, size_t)>;

// ---------------------------------------------------------------- float matrices

struct Matrix {
  size_t rows = 0, cols = 0;
  std::vector<float> data;
  Matrix() = default;
  Matrix(size_t r, size_t c) : rows(r), cols(c), data(r * c, 0.f) {}
  float* row(size_t i) { return data.data() + i * cols; }
  const float* row(size_t i) const { return data.data() + i * cols; }
};

// Dot product with a fixed summation order (16 interleaved partial sums, then a fixed tree),
// so the result is the same on every platform and vector width.
float dot(const float* a, const float* b, size_t d);
// Scales every row to unit L2 norm (zero rows stay zero).
void normalize_rows(Matrix& x, int threads);

// ---------------------------------------------------------------- bit codes

// n codes of m bits, row-major, W = ceil(m/64) words per code; bit j is bit (j%64) of word j/64.
// Padding bits of the last word are zero.
struct Codes {
  size_t n = 0;
  int m = 0;
  int W = 0;
  std::vector<uint64_t> words;
  Codes() = default;
  Codes(size_t n_, int m_) : n(n_), m(m_), W((m_ + 63) / 64), words(n_ * static_cast<size_t>((m_ + 63) / 64), 0) {}
  uint64_t* row(size_t i) { return words.data() + i * W; }
  const uint64_t* row(size_t i) const { return words.data() + i * W; }
  void set_bit(size_t i, int j) { row(i)[j >> 6] |= uint64_t(1) << (j & 63); }
  bool bit(size_t i, int j) const { return (row(i)[j >> 6] >> (j & 63)) & 1; }
};

inline int hamming_distance(const uint64_t* a, const uint64_t* b, int W) {
  int d = 0;
  for (int w = 0; w < W; ++w) d += __builtin_popcountll(a[w] ^ b[w]);
  return d;
}

// ---------------------------------------------------------------- binarizers

enum class Binarizer { Sign, Rhp, Itq };
Binarizer parse_binarizer(const std::string& s);

// A fitted encoder: code = sign((x - mean) * proj), where proj is d x m (row-major).
// sign: identity (m = d, mean 0); rhp: Gaussian hyperplanes (mean 0); itq: mean, PCA * rotation.
struct Encoder {
  Binarizer kind = Binarizer::Sign;
  int d = 0, m = 0;
  std::vector<float> mean;  // d (empty = no centring)
  std::vector<float> proj;  // d * m, column j = hyperplane j (empty for sign)
  Codes encode(const Matrix& x, int threads, const ProgressFn& progress = nullptr) const;
  // y (m) = (x - mean) * proj, the values whose signs are the code bits (sign: y = x).
  // scratch holds d floats.
  void project_row(const float* x, float* y, float* scratch) const;
};

struct ItqOptions {
  int iters = 50;
  size_t train_max = 5000;   // ITQ is trained on at most this many corpus rows (evenly strided)
};

// Hyperplane j of rhp is drawn from its own stream (seed, j), so the projection for a larger m
// extends the one for a smaller m.
Encoder make_sign_encoder(int d);
Encoder make_rhp_encoder(int d, int m, uint64_t seed);
Encoder fit_itq_encoder(const Matrix& corpus, int m, uint64_t seed, const ItqOptions& opt, int threads,
                        const std::function<void(int, int)>& on_iter = nullptr);

// Symmetric eigen-decomposition (a: n x n row-major, destroyed): eigenvalues descending, the
// eigenvectors as the rows of vecs (n x n), each with its largest-magnitude component positive.
enum class EigenMethod { TridiagonalQR, Jacobi };
void symmetric_eigen(std::vector<double>& a, size_t n, std::vector<double>& values, std::vector<double>& vecs,
                     EigenMethod method = EigenMethod::TridiagonalQR);

// ---------------------------------------------------------------- exact top-k search

// Blocked copy of the database codes for the scan: blocks of 8 codes, word-major inside a block
// (block b, word w, lane l) -> 8 consecutive words per (b, w). Tail lanes are padding.
struct HammingIndex {
  size_t n = 0;
  int m = 0, W = 0;
  size_t n_blocks = 0;
  std::vector<uint64_t> blocks;  // n_blocks * W * 8
  explicit HammingIndex(const Codes& c);
  HammingIndex() = default;
};

// Result of a top-k search for nq queries: ids/dists row-major (nq x k), each row sorted by
// (distance ascending, id ascending) — for float search by (score descending, id ascending).
struct TopK {
  size_t nq = 0;
  int k = 0;
  std::vector<int32_t> ids;
  std::vector<int32_t> dist;   // Hamming distance (Hamming search)
  std::vector<float> score;    // cosine (float search)
  const int32_t* ids_row(size_t q) const { return ids.data() + q * k; }
};

// Popcount paths of the Hamming scan. Each is compiled into every x86 build (function target
// attributes) and picked at run time from CPUID, so a binary built anywhere runs its best path.
enum class SimdPath { Auto, Portable, Avx2, Avx512 };
SimdPath parse_simd_path(const std::string& s);  // "auto" | "portable" | "avx2" | "avx512"
const char* simd_path_name(SimdPath p);
bool cpu_supports(SimdPath p);
SimdPath best_simd_path();                        // avx512 (F + VPOPCNTDQ) > avx2 > portable
// Auto -> best_simd_path(); a path the CPU lacks throws std::invalid_argument naming it.
SimdPath resolve_simd_path(SimdPath requested);

// Exact Hamming k-NN: k <= index.n required. Ties by id; every path gives identical results.
// Polls stop_requested() between query blocks.
TopK hamming_knn(const HammingIndex& index, const Codes& queries, int k, int threads,
                 const ProgressFn& progress = nullptr, SimdPath path = SimdPath::Auto);
// Exact cosine k-NN over unit-normalised rows (score = dot). Ties by id.
TopK float_knn(const Matrix& corpus, const Matrix& queries, int k, int threads,
               const ProgressFn& progress = nullptr);
// Brute-force references (tests): full sort per query.
TopK hamming_knn_reference(const Codes& db, const Codes& queries, int k);
TopK float_knn_reference(const Matrix& corpus, const Matrix& queries, int k);
// Name of the path hamming_knn takes by default on this CPU.
const char* hamming_simd_path();

// Rescoring (the sentence-transformers embedding-quantization practice): the Hamming top
// (rescore_multiplier * k) candidates of each query, re-ranked by a float score, best k kept
// (score descending, id ascending). cand: nq x kc from hamming_knn; score(q, id) as below.
using RescoreFn = std::function<float(size_t q, int32_t id)>;
TopK rescore_topk(const TopK& cand, int k, const RescoreFn& score);
// Brute-force reference (tests): scores all kc candidates, full sort.
TopK rescore_topk_reference(const TopK& cand, int k, const RescoreFn& score);
// The two scores: the float query against the candidate's bits as +-1 (what sentence-transformers
// does: the float corpus is not kept), or against the candidate's float vector.
enum class RescoreVectors { Binary, Float };
RescoreVectors parse_rescore_vectors(const std::string& s);  // "binary" | "float"

// ---------------------------------------------------------------- relevance judgements & metrics

// qrels[q] = {(doc, grade)} with grade > 0 relevant.
using Qrels = std::vector<std::vector<std::pair<int32_t, int>>>;

// nDCG@k with linear gain (trec_eval / BEIR convention): DCG = sum grade / log2(rank + 1).
double ndcg_at_k(const int32_t* ranked, int n_ranked, const std::vector<std::pair<int32_t, int>>& rel, int k);
// |relevant in top k| / |relevant| (grade > 0).
double recall_at_k(const int32_t* ranked, int n_ranked, const std::vector<std::pair<int32_t, int>>& rel, int k);
// |A_k intersect B_k| / k.
double overlap_at_k(const int32_t* a, const int32_t* b, int k);

// ---------------------------------------------------------------- datasets

struct Dataset {
  Matrix corpus;   // n x d
  Matrix queries;  // nq x d
  Qrels qrels;     // per query (may be empty rows); empty vector = no qrels at all
  bool has_qrels = false;
  std::vector<std::string> query_ids;  // per query row: BEIR "_id", else "q<row>"
  std::string description;
};

struct SyntheticOptions {
  size_t n_docs = 10000;
  size_t n_queries = 200;
  int dim = 128;
  int n_topics = 40;
  double topic_spread = 0.8;   // doc = normalize(center + spread * z), z ~ N(0, I/d)
  double query_noise = 0.5;    // query = normalize(source_doc + noise * z)
  double anisotropy = 0.0;     // common offset added to every vector (real embeddings have one)
  int rel_per_query = 10;      // grade-1 docs: nearest same-topic docs to the source doc
  int latent_dim = 16;         // > 0: within-topic variation (docs and query noise) lies in a
                               // random latent_dim-dimensional subspace per topic (low intrinsic
                               // dimension, like real embeddings); 0: isotropic
};
// Planted structure: topic centres on the sphere, docs around them, each query perturbed from a
// source doc (grade 2), grade 1 for the rel_per_query same-topic docs nearest to the source.
// Depends only on (seed, options): identical for every binarizer and m.
Dataset make_synthetic(const SyntheticOptions& opt, uint64_t seed, int threads);

// BEIR folder: corpus.jsonl / queries.jsonl give the "_id" order of the .npy rows;
// qrels/<split>.tsv (query-id, corpus-id, score). Errors (ConfigError) name file and line.
std::vector<std::string> read_jsonl_ids(const std::string& path);
Qrels read_qrels_tsv(const std::string& path, const std::vector<std::string>& query_ids,
                     const std::vector<std::string>& doc_ids, size_t* skipped = nullptr);

}  // namespace h1
}  // namespace binllm
