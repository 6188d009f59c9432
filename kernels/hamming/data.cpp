// Datasets (seeded synthetic generator with planted structure; BEIR folders) and retrieval metrics.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "binllm/protocol.hpp"
#include "hamming.hpp"

namespace binllm {
namespace h1 {

namespace {
constexpr uint64_t kStreamData = 0x6461746100000001ULL;  // "data"

void normalize(float* v, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; ++j) s += static_cast<double>(v[j]) * v[j];
  if (s > 0) {
    const double inv = 1.0 / std::sqrt(s);
    for (size_t j = 0; j < d; ++j) v[j] = static_cast<float>(v[j] * inv);
  }
}
double discount(int rank0) {  // 1 / log2(rank + 1) for 1-based rank = rank0 + 1
  static const double ln2 = det_log(2.0);
  return ln2 / det_log(static_cast<double>(rank0 + 2));
}
}  // namespace

// ---------------------------------------------------------------- metrics

double ndcg_at_k(const int32_t* ranked, int n_ranked, const std::vector<std::pair<int32_t, int>>& rel, int k) {
  std::vector<int> grades;
  for (auto& r : rel)
    if (r.second > 0) grades.push_back(r.second);
  if (grades.empty()) return 0.0;
  std::sort(grades.begin(), grades.end(), std::greater<int>());
  double idcg = 0;
  for (int i = 0; i < k && i < static_cast<int>(grades.size()); ++i) idcg += grades[i] * discount(i);
  double dcg = 0;
  for (int i = 0; i < k && i < n_ranked; ++i) {
    int g = 0;
    for (auto& r : rel)
      if (r.first == ranked[i]) {
        g = r.second;
        break;
      }
    if (g > 0) dcg += g * discount(i);
  }
  return dcg / idcg;
}

double recall_at_k(const int32_t* ranked, int n_ranked, const std::vector<std::pair<int32_t, int>>& rel, int k) {
  int n_rel = 0, hit = 0;
  for (auto& r : rel) {
    if (r.second <= 0) continue;
    ++n_rel;
    for (int i = 0; i < k && i < n_ranked; ++i)
      if (ranked[i] == r.first) {
        ++hit;
        break;
      }
  }
  return n_rel ? static_cast<double>(hit) / n_rel : 0.0;
}

double overlap_at_k(const int32_t* a, const int32_t* b, int k) {
  int common = 0;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j)
      if (a[i] == b[j]) {
        ++common;
        break;
      }
  return static_cast<double>(common) / k;
}

// ---------------------------------------------------------------- synthetic data

Dataset make_synthetic(const SyntheticOptions& o, uint64_t seed, int threads) {
  (void)threads;
  const size_t d = static_cast<size_t>(o.dim);
  const size_t T = static_cast<size_t>(o.n_topics);
  Rng r(seed, kStreamData);
  const double zs = 1.0 / std::sqrt(static_cast<double>(d));
  // topic centres on the unit sphere
  std::vector<float> centers(T * d);
  for (size_t t = 0; t < T; ++t) {
    for (size_t j = 0; j < d; ++j) centers[t * d + j] = static_cast<float>(r.normal());
    normalize(&centers[t * d], d);
  }
  // common offset (anisotropy): a fixed random direction, always drawn so the stream is stable
  std::vector<float> offset(d);
  for (size_t j = 0; j < d; ++j) offset[j] = static_cast<float>(r.normal());
  normalize(offset.data(), d);
  for (auto& v : offset) v = static_cast<float>(v * o.anisotropy);

  // per-topic latent bases (d x r, entries N(0, 1/r)): z = A u, u ~ N(0, I_r) has E|z|^2 = d
  const size_t rl = o.latent_dim > 0 ? static_cast<size_t>(o.latent_dim) : 0;
  std::vector<float> basis(T * d * rl);
  const double bs = rl ? 1.0 / std::sqrt(static_cast<double>(rl)) : 0.0;
  for (auto& v : basis) v = static_cast<float>(bs * r.normal());
  std::vector<double> z(d), u(rl);
  auto draw_noise = [&](size_t t) {  // z ~ N(0, I) (isotropic) or A_t u (latent), E|z|^2 = d
    if (!rl) {
      for (size_t j = 0; j < d; ++j) z[j] = r.normal();
      return;
    }
    for (size_t l = 0; l < rl; ++l) u[l] = r.normal();
    const float* A = &basis[t * d * rl];
    for (size_t j = 0; j < d; ++j) {
      double s = 0;
      for (size_t l = 0; l < rl; ++l) s += A[j * rl + l] * u[l];
      z[j] = s;
    }
  };

  Dataset ds;
  ds.corpus = Matrix(o.n_docs, d);
  std::vector<int32_t> topic(o.n_docs);
  std::vector<std::vector<int32_t>> members(T);
  for (size_t i = 0; i < o.n_docs; ++i) {
    if ((i & 1023) == 0) check_stop();
    const size_t t = static_cast<size_t>(r.below(T));
    topic[i] = static_cast<int32_t>(t);
    members[t].push_back(static_cast<int32_t>(i));
    float* x = ds.corpus.row(i);
    draw_noise(t);
    for (size_t j = 0; j < d; ++j) x[j] = static_cast<float>(centers[t * d + j] + o.topic_spread * zs * z[j]);
    normalize(x, d);
    for (size_t j = 0; j < d; ++j) x[j] += offset[j];
  }
  ds.queries = Matrix(o.n_queries, d);
  std::vector<int32_t> source(o.n_queries);
  for (size_t q = 0; q < o.n_queries; ++q) {
    if ((q & 1023) == 0) check_stop();
    const size_t s = static_cast<size_t>(r.below(o.n_docs));
    source[q] = static_cast<int32_t>(s);
    const float* x = ds.corpus.row(s);
    float* y = ds.queries.row(q);
    draw_noise(static_cast<size_t>(topic[s]));
    for (size_t j = 0; j < d; ++j) y[j] = static_cast<float>(x[j] + o.query_noise * zs * z[j]);
  }
  // graded qrels: source doc = 2; the rel_per_query same-topic docs nearest the source = 1
  ds.qrels.assign(o.n_queries, {});
  ds.has_qrels = true;
  std::vector<float> a(d), b(d);
  for (size_t q = 0; q < o.n_queries; ++q) {
    if ((q & 63) == 0) check_stop();
    const int32_t s = source[q];
    ds.qrels[q].push_back({s, 2});
    std::copy(ds.corpus.row(s), ds.corpus.row(s) + d, a.begin());
    normalize(a.data(), d);
    std::vector<std::pair<float, int32_t>> cand;
    for (int32_t i : members[static_cast<size_t>(topic[s])]) {
      if (i == s) continue;
      std::copy(ds.corpus.row(i), ds.corpus.row(i) + d, b.begin());
      normalize(b.data(), d);
      cand.push_back({dot(a.data(), b.data(), d), i});
    }
    const size_t take = std::min(cand.size(), static_cast<size_t>(std::max(0, o.rel_per_query)));
    std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(take), cand.end(),
                      [](const std::pair<float, int32_t>& x, const std::pair<float, int32_t>& y) {
                        return x.first != y.first ? x.first > y.first : x.second < y.second;
                      });
    for (size_t i = 0; i < take; ++i) ds.qrels[q].push_back({cand[i].second, 1});
  }
  std::ostringstream desc;
  desc << "synthetic(n_docs=" << o.n_docs << ", n_queries=" << o.n_queries << ", dim=" << o.dim
       << ", n_topics=" << o.n_topics << ")";
  ds.description = desc.str();
  return ds;
}

// ---------------------------------------------------------------- BEIR

std::vector<std::string> read_jsonl_ids(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError("BEIR file '" + path + "': cannot open (missing file?)");
  std::vector<std::string> ids;
  std::string line;
  size_t lineno = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Json j;
    try {
      j = Json::parse(line);
    } catch (const JsonParseError& e) {
      throw ConfigError("BEIR file '" + path + "' line " + std::to_string(lineno) + ": invalid JSON: " + e.what());
    }
    const Json* id = j.is_object() ? j.find("_id") : nullptr;
    if (!id || !(id->is_string() || id->is_number()))
      throw ConfigError("BEIR file '" + path + "' line " + std::to_string(lineno) + ": field '_id' missing or not a string");
    ids.push_back(id->is_string() ? id->as_string() : id->dump());
  }
  if (ids.empty()) throw ConfigError("BEIR file '" + path + "': no records");
  return ids;
}

Qrels read_qrels_tsv(const std::string& path, const std::vector<std::string>& query_ids,
                     const std::vector<std::string>& doc_ids, size_t* skipped) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError("qrels file '" + path + "': cannot open (missing file?)");
  std::unordered_map<std::string, int32_t> qmap, dmap;
  for (size_t i = 0; i < query_ids.size(); ++i) qmap.emplace(query_ids[i], static_cast<int32_t>(i));
  for (size_t i = 0; i < doc_ids.size(); ++i) dmap.emplace(doc_ids[i], static_cast<int32_t>(i));
  Qrels qrels(query_ids.size());
  std::string line;
  size_t lineno = 0, n_skipped = 0, n_used = 0;
  while (std::getline(f, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cols;
    size_t p = 0;
    for (;;) {
      size_t t = line.find('\t', p);
      cols.push_back(line.substr(p, t == std::string::npos ? std::string::npos : t - p));
      if (t == std::string::npos) break;
      p = t + 1;
    }
    if (cols.size() < 3)
      throw ConfigError("qrels file '" + path + "' line " + std::to_string(lineno) +
                        ": expected 3 tab-separated fields (query-id, corpus-id, score), got " +
                        std::to_string(cols.size()));
    // BEIR qrels have 3 columns; TREC-style files have 4 (qid, iter, docid, rel)
    const std::string& qid = cols[0];
    const std::string& did = cols.size() >= 4 ? cols[2] : cols[1];
    const std::string& sc = cols.size() >= 4 ? cols[3] : cols[2];
    char* end = nullptr;
    const double score = std::strtod(sc.c_str(), &end);
    if (sc.empty() || *end != '\0') {
      if (lineno == 1) continue;  // header line "query-id corpus-id score"
      throw ConfigError("qrels file '" + path + "' line " + std::to_string(lineno) + ": field 'score' = '" + sc +
                        "' is not a number");
    }
    auto qi = qmap.find(qid);
    auto di = dmap.find(did);
    if (qi == qmap.end() || di == dmap.end()) {
      ++n_skipped;
      continue;
    }
    qrels[static_cast<size_t>(qi->second)].push_back({di->second, static_cast<int>(std::lround(score))});
    ++n_used;
  }
  if (n_used == 0)
    throw ConfigError("qrels file '" + path + "': no judgement matches a query id of queries.jsonl and a corpus id of corpus.jsonl");
  if (skipped) *skipped = n_skipped;
  return qrels;
}

}  // namespace h1
}  // namespace binllm
