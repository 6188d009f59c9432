// binllm-hamming-bench: timing driver for the H1 search (used by kernels/bench/h1_hamming_vs_faiss.py).
//
//   binllm-hamming-bench hamming --db codes.npy --queries q.npy --k 10 [--threads T] [--repeat R]
//                                [--out-ids ids.npy] [--out-dist dist.npy] [--device cpu|cuda:N]
//                                [--simd auto|portable|avx2|avx512]
//       codes: uint8 (n, bytes) .npy (FAISS IndexBinaryFlat layout: bit j = byte j/8, bit j%8).
//       Prints one JSON object: timings (best of R), codes/s, queries/s; cuda: also GPU figures
//       with the CPU result cross-checked (identical ids required).
//   binllm-hamming-bench float-vs-binary [--n 100000] [--nq 100] [--dim 768] [--bits 256] [--k 10]
//                                        [--seed 1] [--threads T] [--repeat R]
//       Synthetic data, rhp codes; exact float cosine search vs exact Hamming search.
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>

#include "binllm/protocol.hpp"
#include "hamming.hpp"
#ifdef BINLLM_WITH_CUDA
#include "hamming_cuda.hpp"
#endif

using binllm::Json;
namespace h1 = binllm::h1;

namespace {

struct Args {
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  long long num(const std::string& k, long long def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::stoll(it->second);
  }
};

h1::Codes codes_from_u8(const binllm::NpyArray& a) {
  h1::Codes c(a.rows, static_cast<int>(a.cols * 8));
  for (size_t i = 0; i < a.rows; ++i) {
    const unsigned char* r = a.bytes.data() + i * a.cols;
    uint64_t* w = c.row(i);
    for (size_t b = 0; b < a.cols; ++b) w[b / 8] |= static_cast<uint64_t>(r[b]) << (8 * (b % 8));
  }
  return c;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int cmd_hamming(const Args& a) {
  const std::string db_path = a.get("db", ""), q_path = a.get("queries", "");
  if (db_path.empty() || q_path.empty()) throw binllm::ConfigError("hamming: --db and --queries are required");
  const int k = static_cast<int>(a.num("k", 10));
  const int threads = static_cast<int>(a.num("threads", binllm::hardware_threads()));
  const int repeat = static_cast<int>(a.num("repeat", 3));
  const std::string device = a.get("device", "cpu");
  h1::SimdPath simd;
  try {
    simd = h1::resolve_simd_path(h1::parse_simd_path(a.get("simd", "auto")));
  } catch (const std::invalid_argument& e) {
    throw binllm::ResourceError(std::string("hamming: --simd: ") + e.what());
  }
  h1::Codes db = codes_from_u8(binllm::load_npy(db_path, "|u1"));
  h1::Codes qc = codes_from_u8(binllm::load_npy(q_path, "|u1"));
  if (db.m != qc.m) throw binllm::ConfigError("hamming: --db and --queries code lengths differ");
  double t0 = now_s();
  h1::HammingIndex index(db);
  const double build_s = now_s() - t0;
  std::vector<double> times;
  h1::TopK top;
  for (int r = 0; r < repeat; ++r) {
    t0 = now_s();
    top = h1::hamming_knn(index, qc, k, threads, nullptr, simd);
    times.push_back(now_s() - t0);
  }
  const double best = *std::min_element(times.begin(), times.end());
  Json all = Json::array();
  for (double t : times) all.push(t);
  Json out = Json::object({{"mode", "hamming"},
                           {"device", "cpu"},
                           {"n", db.n},
                           {"nq", qc.n},
                           {"bits", db.m},
                           {"k", k},
                           {"threads", threads},
                           {"simd", h1::simd_path_name(simd)},
                           {"index_build_s", build_s},
                           {"search_s_best", best},
                           {"search_s_all", all},
                           {"codes_per_s", static_cast<double>(db.n) * qc.n / best},
                           {"queries_per_s", qc.n / best},
                           {"build", binllm::build_info()}});
  if (device != "cpu") {
#ifdef BINLLM_WITH_CUDA
    const int dev = std::stoi(device.substr(device.find(':') + 1));
    h1::cuda::DeviceProps props = h1::cuda::open_device(dev);
    h1::cuda::Timing best_t;
    best_t.kernel_s = 1e30;
    h1::TopK g;
    for (int r = 0; r < repeat + 1; ++r) {  // first run warms up
      h1::cuda::Timing tm;
      g = h1::cuda::hamming_knn(dev, db, qc, k, &tm);
      if (r > 0 && tm.kernel_s < best_t.kernel_s) best_t = tm;
    }
    const bool same = g.ids == top.ids && g.dist == top.dist;
    out.set("cuda", Json::object({{"device", props.name},
                                  {"cc", props.cc},
                                  {"kernel_s_best", best_t.kernel_s},
                                  {"search_s", best_t.search_s},
                                  {"codes_per_s", static_cast<double>(db.n) * qc.n / best_t.kernel_s},
                                  {"bytes_scanned", best_t.bytes_scanned},
                                  {"achieved_bytes_per_s", best_t.bytes_scanned / best_t.kernel_s},
                                  {"peak_bytes_per_s", props.mem_bw_bytes_per_s},
                                  {"bandwidth_fraction", props.mem_bw_bytes_per_s > 0
                                                             ? best_t.bytes_scanned / best_t.kernel_s / props.mem_bw_bytes_per_s
                                                             : 0.0},
                                  {"identical_to_cpu", same}}));
    if (!same) {
      std::cout << out.dump() << std::endl;
      binllm::log("bench: CUDA top-k differs from the CPU top-k");
      return 1;
    }
#else
    throw binllm::ResourceError("bench: built without CUDA; --device " + device + " unavailable");
#endif
  }
  const std::string out_ids = a.get("out-ids", ""), out_dist = a.get("out-dist", "");
  if (!out_ids.empty()) binllm::save_npy(out_ids, "<i4", top.nq, static_cast<size_t>(k), top.ids.data(), 4);
  if (!out_dist.empty()) binllm::save_npy(out_dist, "<i4", top.nq, static_cast<size_t>(k), top.dist.data(), 4);
  std::cout << out.dump() << std::endl;
  return 0;
}

int cmd_float_vs_binary(const Args& a) {
  h1::SyntheticOptions o;
  o.n_docs = static_cast<size_t>(a.num("n", 100000));
  o.n_queries = static_cast<size_t>(a.num("nq", 100));
  o.dim = static_cast<int>(a.num("dim", 768));
  o.n_topics = static_cast<int>(a.num("topics", 100));
  o.rel_per_query = 0;
  const int bits = static_cast<int>(a.num("bits", 256));
  const int k = static_cast<int>(a.num("k", 10));
  const uint64_t seed = static_cast<uint64_t>(a.num("seed", 1));
  const int threads = static_cast<int>(a.num("threads", binllm::hardware_threads()));
  const int repeat = static_cast<int>(a.num("repeat", 3));
  double t0 = now_s();
  h1::Dataset ds = h1::make_synthetic(o, seed, threads);
  h1::Encoder enc = h1::make_rhp_encoder(o.dim, bits, seed);
  h1::Codes db = enc.encode(ds.corpus, threads), qc = enc.encode(ds.queries, threads);
  h1::normalize_rows(ds.corpus, threads);
  h1::normalize_rows(ds.queries, threads);
  h1::HammingIndex index(db);
  const double prep_s = now_s() - t0;
  double best_f = 1e30, best_b = 1e30;
  h1::TopK ft, bt;
  for (int r = 0; r < repeat; ++r) {
    t0 = now_s();
    ft = h1::float_knn(ds.corpus, ds.queries, k, threads);
    best_f = std::min(best_f, now_s() - t0);
    t0 = now_s();
    bt = h1::hamming_knn(index, qc, k, threads);
    best_b = std::min(best_b, now_s() - t0);
  }
  double ov = 0;
  for (size_t q = 0; q < o.n_queries; ++q) ov += h1::overlap_at_k(ft.ids_row(q), bt.ids_row(q), k);
  const double bytes_f = 4.0 * o.dim, bytes_b = 8.0 * db.W;
  Json out = Json::object({{"mode", "float-vs-binary"},
                           {"n", o.n_docs},
                           {"nq", o.n_queries},
                           {"dim", o.dim},
                           {"bits", bits},
                           {"k", k},
                           {"threads", threads},
                           {"simd", h1::hamming_simd_path()},
                           {"prep_s", prep_s},
                           {"float_search_s_best", best_f},
                           {"binary_search_s_best", best_b},
                           {"speedup", best_f / best_b},
                           {"bytes_per_vector_float", bytes_f},
                           {"bytes_per_vector_binary", bytes_b},
                           {"memory_ratio", bytes_f / bytes_b},
                           {"overlap_at_k", ov / static_cast<double>(o.n_queries)},
                           {"build", binllm::build_info()}});
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::cerr << "usage: binllm-hamming-bench hamming --db codes.npy --queries q.npy [--k 10] [--threads T] "
                 "[--repeat R] [--out-ids f.npy] [--out-dist f.npy] [--device cpu|cuda:N]\n"
                 "       binllm-hamming-bench float-vs-binary [--n 100000] [--nq 100] [--dim 768] [--bits 256] "
                 "[--k 10] [--seed 1] [--threads T] [--repeat R]\n";
    return argc < 2 ? 2 : 0;
  }
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::cerr << "bench: bad argument '" << s << "'\n";
      return 2;
    }
    a.kv[s.substr(2)] = argv[++i];
  }
  try {
    const std::string cmd = argv[1];
    if (cmd == "hamming") return cmd_hamming(a);
    if (cmd == "float-vs-binary") return cmd_float_vs_binary(a);
    std::cerr << "bench: unknown command '" << cmd << "'\n";
    return 2;
  } catch (const binllm::ConfigError& e) {
    std::cerr << "bench: " << e.what() << "\n";
    return 2;
  } catch (const binllm::ResourceError& e) {
    std::cerr << "bench: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "bench: " << e.what() << "\n";
    return 1;
  }
}
