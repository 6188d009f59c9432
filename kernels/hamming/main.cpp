// binllm-hamming: the H1 kernel (PROTOCOL.md §H1). One cell = one (dataset, binarizer, m, seed):
// binarize corpus and queries, exact float cosine top-k vs exact Hamming top-k, retrieval metrics.
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>

#include "binllm/protocol.hpp"
#include "hamming.hpp"
#ifdef BINLLM_WITH_CUDA
#include "hamming_cuda.hpp"
#endif

using binllm::ConfigError;
using binllm::Json;
namespace h1 = binllm::h1;

namespace {

// 0.4.0: per-query values, rescored metrics, run-time SIMD choice (simd param), threads tags.
const char* kVersion = "0.4.0";

// Rescoring multiplier: the Hamming search fetches rescore_multiplier * k candidates.
constexpr int64_t kRescoreMultiplierDefault = 4, kRescoreMultiplierMin = 1, kRescoreMultiplierMax = 1000;
const std::vector<std::string> kSimdChoices = {"auto", "portable", "avx2", "avx512"};  // default first
const std::vector<std::string> kRescoreVectorsChoices = {"binary", "float"};           // default first

struct Params {
  std::string dataset;
  h1::SyntheticOptions syn;
  std::string corpus_npy, queries_npy, beir_dir, qrels_split;
  std::string binarizer;
  int bits = 0;  // 0 = default (d)
  std::vector<int64_t> ks;
  h1::ItqOptions itq;
  bool cuda_check = true;
  h1::SimdPath simd = h1::SimdPath::Auto;
  int rescore_multiplier = static_cast<int>(kRescoreMultiplierDefault);
  std::string rescore_vectors;
};

const std::vector<std::string> kSyntheticKeys = {"n_docs",       "n_queries",   "dim",        "n_topics",
                                                 "topic_spread", "query_noise", "anisotropy", "rel_per_query",
                                                 "latent_dim"};
const std::vector<std::string> kFileKeys = {"corpus_npy", "queries_npy", "beir_dir", "qrels_split"};

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

Params read_params(binllm::Config& cfg) {
  Params p;
  p.dataset = cfg.get_string("dataset", "synthetic", {"synthetic", "beir", "npy"});
  p.binarizer = cfg.get_string("binarizer", "sign", {"sign", "rhp", "itq"});
  p.bits = static_cast<int>(cfg.get_int("bits", 0, 1, 65536));
  p.ks = cfg.get_int_list("ks", {10, 50}, 1, 100000);
  for (size_t i = 0; i < p.ks.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (p.ks[i] == p.ks[j]) cfg.fail("ks", "lists k = " + std::to_string(p.ks[i]) + " twice");
  p.itq.iters = static_cast<int>(cfg.get_int("itq_iters", 50, 0, 10000));
  p.itq.train_max = static_cast<size_t>(cfg.get_int("itq_train_max", 5000, 1, 100000000));
  p.cuda_check = cfg.get_bool("cuda_check", true);
  p.simd = h1::parse_simd_path(cfg.get_string("simd", kSimdChoices[0], kSimdChoices));
  p.rescore_multiplier = static_cast<int>(
      cfg.get_int("rescore_multiplier", kRescoreMultiplierDefault, kRescoreMultiplierMin, kRescoreMultiplierMax));
  p.rescore_vectors = cfg.get_string("rescore_vectors", kRescoreVectorsChoices[0], kRescoreVectorsChoices);
  if (p.binarizer != "itq") {
    for (const char* k : {"itq_iters", "itq_train_max"})
      if (cfg.has(k)) cfg.fail(k, "only applies to binarizer \"itq\"");
  }
  if (p.dataset == "synthetic") {
    for (auto& k : kFileKeys)
      if (cfg.has(k)) cfg.fail(k, "only applies to dataset \"beir\" or \"npy\" (dataset is \"synthetic\")");
    p.syn.n_docs = static_cast<size_t>(cfg.get_int("n_docs", 10000, 1, 2000000000));
    p.syn.n_queries = static_cast<size_t>(cfg.get_int("n_queries", 200, 1, 100000000));
    p.syn.dim = static_cast<int>(cfg.get_int("dim", 128, 1, 65536));
    p.syn.n_topics = static_cast<int>(cfg.get_int("n_topics", 40, 1, 10000000));
    p.syn.topic_spread = cfg.get_double("topic_spread", 0.8, 0.0, 1000.0);
    p.syn.query_noise = cfg.get_double("query_noise", 0.5, 0.0, 1000.0);
    p.syn.anisotropy = cfg.get_double("anisotropy", 0.0, 0.0, 1000.0);
    p.syn.rel_per_query = static_cast<int>(cfg.get_int("rel_per_query", 10, 0, 100000));
    p.syn.latent_dim = static_cast<int>(cfg.get_int("latent_dim", 16, 0, 65536));
  } else {
    for (auto& k : kSyntheticKeys)
      if (cfg.has(k)) cfg.fail(k, "only applies to dataset \"synthetic\" (dataset is \"" + p.dataset + "\")");
    if (p.dataset == "beir") {
      p.beir_dir = cfg.require_string("beir_dir");
      p.corpus_npy = cfg.get_string("corpus_npy", join_path(p.beir_dir, "corpus.npy"));
      p.queries_npy = cfg.get_string("queries_npy", join_path(p.beir_dir, "queries.npy"));
      p.qrels_split = cfg.get_string("qrels_split", "test");
    } else {
      p.corpus_npy = cfg.require_string("corpus_npy");
      p.queries_npy = cfg.require_string("queries_npy");
      if (cfg.has("beir_dir") || cfg.has("qrels_split"))
        cfg.fail(cfg.has("beir_dir") ? "beir_dir" : "qrels_split", "only applies to dataset \"beir\"");
    }
  }
  return p;
}

void check_finite(const h1::Matrix& m, const std::string& file) {
  for (size_t i = 0; i < m.rows; ++i)
    for (size_t j = 0; j < m.cols; ++j)
      if (!std::isfinite(m.row(i)[j]))
        throw ConfigError("npy file '" + file + "': row " + std::to_string(i) + ", column " + std::to_string(j) +
                          " is not finite");
}

h1::Matrix to_matrix(binllm::NpyMatrixF32&& m) {
  h1::Matrix x;
  x.rows = m.rows;
  x.cols = m.cols;
  x.data = std::move(m.data);
  return x;
}

h1::Dataset load_files(const Params& p) {
  h1::Dataset ds;
  ds.corpus = to_matrix(binllm::load_npy_f32(p.corpus_npy));
  ds.queries = to_matrix(binllm::load_npy_f32(p.queries_npy));
  if (ds.corpus.rows == 0) throw ConfigError("npy file '" + p.corpus_npy + "': corpus has 0 rows");
  if (ds.queries.rows == 0) throw ConfigError("npy file '" + p.queries_npy + "': queries have 0 rows");
  if (ds.corpus.cols != ds.queries.cols)
    throw ConfigError("npy files '" + p.corpus_npy + "' and '" + p.queries_npy + "': dimensions differ (" +
                      std::to_string(ds.corpus.cols) + " vs " + std::to_string(ds.queries.cols) + ")");
  if (ds.corpus.cols == 0) throw ConfigError("npy file '" + p.corpus_npy + "': dimension is 0");
  check_finite(ds.corpus, p.corpus_npy);
  check_finite(ds.queries, p.queries_npy);
  if (p.dataset == "beir") {
    const std::string cj = join_path(p.beir_dir, "corpus.jsonl");
    const std::string qj = join_path(p.beir_dir, "queries.jsonl");
    const std::string qr = join_path(join_path(p.beir_dir, "qrels"), p.qrels_split + ".tsv");
    auto doc_ids = h1::read_jsonl_ids(cj);
    auto query_ids = h1::read_jsonl_ids(qj);
    if (doc_ids.size() != ds.corpus.rows)
      throw ConfigError("BEIR file '" + cj + "' has " + std::to_string(doc_ids.size()) + " records but '" +
                        p.corpus_npy + "' has " + std::to_string(ds.corpus.rows) + " rows (rows must follow corpus.jsonl order)");
    if (query_ids.size() != ds.queries.rows)
      throw ConfigError("BEIR file '" + qj + "' has " + std::to_string(query_ids.size()) + " records but '" +
                        p.queries_npy + "' has " + std::to_string(ds.queries.rows) + " rows (rows must follow queries.jsonl order)");
    size_t skipped = 0;
    ds.qrels = h1::read_qrels_tsv(qr, query_ids, doc_ids, &skipped);
    ds.query_ids = query_ids;
    ds.has_qrels = true;
    bool any_relevant = false;
    for (auto& row : ds.qrels)
      for (auto& r : row) any_relevant = any_relevant || r.second > 0;
    if (!any_relevant)
      throw ConfigError("qrels file '" + qr + "': no judgement with score > 0 for the queries and documents given");
    if (skipped) binllm::log("hamming: " + std::to_string(skipped) + " qrels lines name unknown query/corpus ids; skipped");
  }
  ds.description = p.dataset + "(" + p.corpus_npy + ", " + std::to_string(ds.corpus.rows) + " x " +
                   std::to_string(ds.corpus.cols) + ")";
  return ds;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void run(binllm::RunContext& ctx) {
  auto& cfg = ctx.cfg;
  const int threads = ctx.common.threads;
  Params p = read_params(cfg);
  cfg.reject_unknown();

  // ---- inputs, checked before any work
  if (p.dataset == "synthetic") {
    if (p.binarizer == "sign" && p.bits != 0 && p.bits != p.syn.dim)
      cfg.fail("bits", "must equal dim (" + std::to_string(p.syn.dim) + ") for binarizer \"sign\" (or be omitted)");
    if (p.binarizer == "itq" && p.bits > p.syn.dim)
      cfg.fail("bits", "must be <= dim (" + std::to_string(p.syn.dim) + ") for binarizer \"itq\"");
    for (auto k : p.ks)
      if (static_cast<size_t>(k) > p.syn.n_docs)
        cfg.fail("ks", "holds k = " + std::to_string(k) + " > n_docs = " + std::to_string(p.syn.n_docs));
  }
  h1::Dataset ds = p.dataset == "synthetic" ? h1::make_synthetic(p.syn, ctx.common.seed, threads) : load_files(p);
  const int d = static_cast<int>(ds.corpus.cols);
  const size_t n = ds.corpus.rows, nq = ds.queries.rows;
  if (p.binarizer == "sign" && p.bits != 0 && p.bits != d)
    cfg.fail("bits", "must equal the embedding dimension (" + std::to_string(d) + ") for binarizer \"sign\" (or be omitted)");
  if (p.binarizer == "itq" && p.bits > d)
    cfg.fail("bits", "must be <= the embedding dimension (" + std::to_string(d) + ") for binarizer \"itq\"");
  for (auto k : p.ks)
    if (static_cast<size_t>(k) > n)
      cfg.fail("ks", "holds k = " + std::to_string(k) + " > corpus size " + std::to_string(n));
  const int m = p.bits == 0 ? d : p.bits;
  int kmax = 10;
  for (auto k : p.ks) kmax = std::max<int>(kmax, static_cast<int>(k));
  kmax = static_cast<int>(std::min<size_t>(static_cast<size_t>(kmax), n));

  // ---- device
  bool on_cuda = ctx.common.cuda;
#ifdef BINLLM_WITH_CUDA
  h1::cuda::DeviceProps gpu;
  if (on_cuda) {
    gpu = h1::cuda::open_device(ctx.common.cuda_index);  // ResourceError (exit 3) when absent
    ctx.device.kind = "cuda";
    ctx.device.name = gpu.name;
    ctx.device.cc = gpu.cc;
    ctx.device.index = ctx.common.cuda_index;
    if (m > h1::cuda::kMaxBits) cfg.fail("bits", "exceeds the CUDA path's limit of " + std::to_string(h1::cuda::kMaxBits));
  }
#endif
  // A forced SIMD path the CPU lacks is a missing resource (exit 3), named.
  h1::SimdPath simd;
  try {
    simd = h1::resolve_simd_path(p.simd);
  } catch (const std::invalid_argument& e) {
    throw binllm::ResourceError(std::string("parameter 'simd': ") + e.what());
  }
  const std::string simd_name = h1::simd_path_name(simd);
  if (ds.query_ids.empty())
    for (size_t q = 0; q < nq; ++q) ds.query_ids.push_back("q" + std::to_string(q));
  ctx.start();
  binllm::log("hamming: " + ds.description + ", " + std::to_string(nq) + " queries, binarizer " + p.binarizer +
              ", m = " + std::to_string(m) + ", SIMD path " + simd_name + ", threads " + std::to_string(threads));

  // ---- binarize
  h1::Encoder enc;
  if (p.binarizer == "sign") {
    enc = h1::make_sign_encoder(d);
  } else if (p.binarizer == "rhp") {
    enc = h1::make_rhp_encoder(d, m, ctx.common.seed);
  } else {
    enc = h1::fit_itq_encoder(ds.corpus, m, ctx.common.seed, p.itq, threads,
                              [&](int it, int total) { ctx.emit.progress("itq", it, total); });
  }
  auto phase = [&](const char* name) {
    return [&ctx, name](size_t done, size_t total) {
      ctx.emit.progress(name, static_cast<int64_t>(done), static_cast<int64_t>(total));
    };
  };
  h1::Codes db = enc.encode(ds.corpus, threads, phase("encode_corpus"));
  h1::Codes qc = enc.encode(ds.queries, threads, phase("encode_queries"));

  // ---- exact float cosine search
  h1::Matrix corpus_n = ds.corpus, queries_n = ds.queries;
  h1::normalize_rows(corpus_n, threads);
  h1::normalize_rows(queries_n, threads);
  auto t0 = std::chrono::steady_clock::now();
  h1::TopK ftop = h1::float_knn(corpus_n, queries_n, kmax, threads, phase("search_float"));
  const double float_s = seconds_since(t0);

  // ---- exact Hamming search
  h1::TopK btop;
  double binary_s = 0;
  h1::HammingIndex index(db);
  if (!on_cuda) {
    t0 = std::chrono::steady_clock::now();
    btop = h1::hamming_knn(index, qc, kmax, threads, phase("search_binary"), simd);
    binary_s = seconds_since(t0);
  } else {
#ifdef BINLLM_WITH_CUDA
    h1::cuda::Timing tm;
    btop = h1::cuda::hamming_knn(ctx.common.cuda_index, db, qc, kmax, &tm);
    binary_s = tm.search_s;
    const double codes_per_s = static_cast<double>(n) * static_cast<double>(nq) / tm.kernel_s;
    const double bytes = static_cast<double>(tm.bytes_scanned);
    ctx.emit.metric("codes_per_s_cuda", codes_per_s, Json::object({{"bits", m}}));
    if (gpu.mem_bw_bytes_per_s > 0)
      ctx.emit.metric("bandwidth_fraction_cuda", bytes / tm.kernel_s / gpu.mem_bw_bytes_per_s, Json::object({{"bits", m}}));
    if (p.cuda_check) {
      h1::TopK ref = h1::hamming_knn(index, qc, kmax, threads, nullptr, simd);
      if (ref.ids != btop.ids || ref.dist != btop.dist)
        throw std::runtime_error("CUDA top-k differs from the CPU top-k (cuda_check)");
      binllm::log("hamming: cuda_check passed (GPU top-k ids identical to CPU)");
    }
#endif
  }

  // ---- rescoring: Hamming candidates (rescore_multiplier * k) re-ranked by a float score
  const int mult = p.rescore_multiplier;
  const int kc_max = static_cast<int>(std::min<size_t>(n, static_cast<size_t>(mult) * static_cast<size_t>(kmax)));
  h1::TopK cand = kc_max <= kmax ? btop : h1::hamming_knn(index, qc, kc_max, threads, phase("search_candidates"), simd);
  h1::RescoreFn score;
  std::vector<float> qproj;  // nq x m: the float query in code space (rescore_vectors "binary")
  if (h1::parse_rescore_vectors(p.rescore_vectors) == h1::RescoreVectors::Float) {
    score = [&](size_t q, int32_t id) { return h1::dot(queries_n.row(q), corpus_n.row(id), corpus_n.cols); };
  } else {
    // sentence-transformers: float query . (2 * bits - 1); rhp/itq project the query first.
    qproj.assign(nq * static_cast<size_t>(m), 0.f);
    std::vector<float> scratch(static_cast<size_t>(d));
    for (size_t q = 0; q < nq; ++q) enc.project_row(queries_n.row(q), qproj.data() + q * m, scratch.data());
    score = [&](size_t q, int32_t id) {
      const float* y = qproj.data() + q * m;
      float s = 0;
      for (int j = 0; j < m; ++j) s += db.bit(static_cast<size_t>(id), j) ? y[j] : -y[j];
      return s;
    };
  }
  // The rescored top k of every k (ks and 10 for nDCG): rows sorted (score desc, id asc).
  auto rescored_at = [&](int k) {
    const int kc = static_cast<int>(std::min<size_t>(n, static_cast<size_t>(mult) * static_cast<size_t>(k)));
    h1::TopK pre;  // the first kc Hamming candidates of each query (nq x kc)
    pre.nq = nq;
    pre.k = kc;
    for (size_t q = 0; q < nq; ++q) pre.ids.insert(pre.ids.end(), cand.ids_row(q), cand.ids_row(q) + kc);
    return h1::rescore_topk(pre, k, score);
  };

  // ---- metrics: the mean over queries as a metric, the per-query values beside it
  const Json tb = Json::object({{"bits", m}});
  auto with_rescore = [&](Json t) {  // tags of a rescored metric
    t.set("rescore_multiplier", mult);
    t.set("rescore_vectors", p.rescore_vectors);
    return t;
  };
  // Emits mean(vals) and the per-query values; rows[i] is the query row of vals[i].
  auto emit_query_metric = [&](const std::string& name, const std::vector<double>& vals,
                               const std::vector<size_t>& rows, const Json& tags) {
    double sum = 0;
    for (double v : vals) sum += v;
    ctx.emit.metric(name, sum / static_cast<double>(vals.size()), tags);
    std::vector<std::string> ids;
    for (size_t r : rows) ids.push_back(ds.query_ids[r]);
    ctx.emit.values(name, "query", ids, vals, tags);
  };
  std::vector<size_t> all_rows(nq), judged_rows;
  for (size_t q = 0; q < nq; ++q) all_rows[q] = q;
  std::map<int, h1::TopK> rescored;
  for (auto k64 : p.ks) rescored[static_cast<int>(k64)] = rescored_at(static_cast<int>(k64));
  for (auto k64 : p.ks) {
    const int k = static_cast<int>(k64);
    const Json tk = Json::object({{"bits", m}, {"k", k}});
    std::vector<double> ov(nq), ovr(nq);
    for (size_t q = 0; q < nq; ++q) {
      ov[q] = h1::overlap_at_k(ftop.ids_row(q), btop.ids_row(q), k);
      ovr[q] = h1::overlap_at_k(ftop.ids_row(q), rescored[k].ids_row(q), k);
    }
    emit_query_metric("overlap_at_k", ov, all_rows, tk);
    emit_query_metric("overlap_at_k_rescored", ovr, all_rows, with_rescore(tk));
  }
  if (ds.has_qrels) {
    for (size_t q = 0; q < nq; ++q)
      for (auto& r : ds.qrels[q])
        if (r.second > 0) {
          judged_rows.push_back(q);
          break;
        }
    if (judged_rows.empty()) throw ConfigError("qrels: no query has a relevant document");
    for (auto k64 : p.ks) {
      const int k = static_cast<int>(k64);
      std::vector<double> rf, rb, rr;
      for (size_t q : judged_rows) {
        rf.push_back(h1::recall_at_k(ftop.ids_row(q), kmax, ds.qrels[q], k));
        rb.push_back(h1::recall_at_k(btop.ids_row(q), kmax, ds.qrels[q], k));
        rr.push_back(h1::recall_at_k(rescored[k].ids_row(q), k, ds.qrels[q], k));
      }
      const Json tk = Json::object({{"bits", m}, {"k", k}});
      emit_query_metric("recall_at_k_float", rf, judged_rows, tk);
      emit_query_metric("recall_at_k_binary", rb, judged_rows, tk);
      emit_query_metric("recall_at_k_rescored", rr, judged_rows,
                        with_rescore(tk));
    }
    const int k10 = static_cast<int>(std::min<size_t>(10, n));
    const h1::TopK r10 = rescored.count(k10) ? rescored[k10] : rescored_at(k10);
    std::vector<double> nf, nb, nr;
    for (size_t q : judged_rows) {
      nf.push_back(h1::ndcg_at_k(ftop.ids_row(q), kmax, ds.qrels[q], 10));
      nb.push_back(h1::ndcg_at_k(btop.ids_row(q), kmax, ds.qrels[q], 10));
      nr.push_back(h1::ndcg_at_k(r10.ids_row(q), k10, ds.qrels[q], 10));
    }
    emit_query_metric("ndcg_at_10_float", nf, judged_rows, tb);
    emit_query_metric("ndcg_at_10_binary", nb, judged_rows, tb);
    emit_query_metric("ndcg_at_10_rescored", nr, judged_rows,
                      with_rescore(tb));
  }
  ctx.emit.metric("bytes_per_vector", static_cast<double>(db.W) * 8.0, Json::object({{"bits", m}, {"repr", "binary"}}));
  ctx.emit.metric("bytes_per_vector", static_cast<double>(d) * 4.0, Json::object({{"repr", "float32"}}));
  // Timings carry the thread count (and the Hamming one its SIMD path or "cuda").
  ctx.emit.metric("queries_per_s_float", static_cast<double>(nq) / std::max(float_s, 1e-9),
                  Json::object({{"bits", m}, {"threads", threads}}));
  ctx.emit.metric("queries_per_s_binary", static_cast<double>(nq) / std::max(binary_s, 1e-9),
                  Json::object({{"bits", m}, {"threads", threads}, {"simd", on_cuda ? std::string("cuda") : simd_name}}));
  ctx.emit.metric("elapsed_s", ctx.emit.elapsed_s(), Json::object({{"threads", threads}}));
}

}  // namespace

int main(int argc, char** argv) {
  binllm::KernelSpec spec;
  spec.name = "hamming";
  spec.version = kVersion;
  spec.description =
      "H1: exact cosine top-k vs exact Hamming top-k of binarized embeddings (sign / rhp / itq); "
      "overlap@k, nDCG@10, recall@k (raw and rescored; per-query values beside each mean), bytes per vector, "
      "queries/s";
  spec.hypotheses = {"H1"};
#ifdef BINLLM_WITH_CUDA
  {
    std::string archs = BINLLM_CUDA_ARCHS;  // "80,90,100"
    std::stringstream ss(archs);
    std::string a;
    while (std::getline(ss, a, ','))
      if (a.size() >= 2) spec.cuda_ccs.push_back(a.substr(0, a.size() - 1) + "." + a.substr(a.size() - 1));
  }
#endif
  namespace sc = binllm::schema;
  spec.params = {
      {"dataset", sc::string("\"synthetic\" (seeded, planted topics), \"beir\" (beir_dir + .npy embeddings), "
                             "\"npy\" (corpus_npy + queries_npy, no qrels: overlap only)",
                             "synthetic", {"synthetic", "beir", "npy"})},
      {"binarizer", sc::string("sign (m = d), rhp (m random Gaussian hyperplanes from the seed), "
                               "itq (PCA to m dims + ITQ rotation; m <= d)",
                               "sign", {"sign", "rhp", "itq"})},
      {"bits", sc::integer("code length m (default d; sign requires m = d; need not be a multiple of 64)",
                           Json(), 1, 65536)},
      {"ks", sc::int_list("k values for overlap_at_k and recall_at_k (each <= corpus size)",
                          Json::array({10, 50}), 1, 100000)},
      {"itq_iters", sc::integer("ITQ iterations (itq only)", 50, 0, 10000)},
      {"itq_train_max", sc::integer("ITQ is trained on at most this many corpus rows, evenly strided (itq only)",
                                    5000, 1, 100000000)},
      {"simd", sc::string("Hamming scan path: auto (the best this CPU has, from CPUID), or force portable / avx2 / "
                          "avx512 (exit 3 when the CPU lacks it)",
                          kSimdChoices[0], kSimdChoices)},
      {"rescore_multiplier", sc::integer("rescored metrics: the Hamming search fetches rescore_multiplier * k "
                                         "candidates, re-ranked by a float score (capped at the corpus size)",
                                         kRescoreMultiplierDefault, kRescoreMultiplierMin, kRescoreMultiplierMax)},
      {"rescore_vectors", sc::string("rescoring score: binary = float query . (+-1 code bits), as sentence-transformers "
                                     "does (rhp/itq: the projected query); float = float query . float document",
                                     kRescoreVectorsChoices[0], kRescoreVectorsChoices)},
      {"cuda_check", sc::boolean("on cuda:N, also run the CPU search and fail if the top-k ids differ", true)},
      {"n_docs", sc::integer("synthetic: corpus size", 10000, 1, 2000000000)},
      {"n_queries", sc::integer("synthetic: number of queries", 200, 1, 100000000)},
      {"dim", sc::integer("synthetic: embedding dimension d", 128, 1, 65536)},
      {"n_topics", sc::integer("synthetic: topic clusters on the sphere", 40, 1, 10000000)},
      {"topic_spread", sc::number("synthetic: doc = normalize(centre + spread * z), z ~ N(0, I/d)", 0.8, 0.0, 1000.0)},
      {"query_noise", sc::number("synthetic: query = source doc + noise * z, z ~ N(0, I/d)", 0.5, 0.0, 1000.0)},
      {"anisotropy", sc::number("synthetic: norm of a common offset added to every doc", 0.0, 0.0, 1000.0)},
      {"rel_per_query", sc::integer("synthetic: grade-1 qrels per query (same-topic docs nearest the source doc, "
                                    "which has grade 2)",
                                    10, 0, 100000)},
      {"latent_dim", sc::integer("synthetic: > 0 puts within-topic variation (docs and query noise) in a random "
                                 "latent_dim-dimensional subspace per topic (low intrinsic dimension); 0 = isotropic",
                                 16, 0, 65536)},
      {"corpus_npy", sc::string("beir/npy: float32 (n, d) corpus embeddings in corpus.jsonl order "
                                "(beir default: <beir_dir>/corpus.npy)")},
      {"queries_npy", sc::string("beir/npy: float32 (nq, d) query embeddings in queries.jsonl order "
                                 "(beir default: <beir_dir>/queries.npy)")},
      {"beir_dir", sc::string("beir: folder with corpus.jsonl, queries.jsonl, qrels/<split>.tsv")},
      {"qrels_split", sc::string("beir: qrels file name under qrels/ (without .tsv)", "test")},
  };
  spec.run = run;
  return binllm::run_main(argc, argv, spec);
}
