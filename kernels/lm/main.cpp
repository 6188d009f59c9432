// binllm-lm: the H2 kernel. Trains (or loads) a small GPT-style decoder, then evaluates
// perplexity on held-out tokens with a quantized KV cache at several context lengths.
//
//   binllm-lm describe
//   binllm-lm run --config cell.json
//   binllm-lm bench [--d_model 128 --n_layers 2 --n_heads 4 --ctx 128 --batch 16 --vocab 256
//                    --steps 10 --threads 2 --eval_tokens 16384 --kv int4]
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include "binllm/cache.hpp"
#include "binllm/protocol.hpp"
#include "cuda_eval.hpp"
#include "data.hpp"
#include "llama_cell.hpp"
#include "llama_kv.hpp"
#include "model.hpp"
#include "params.hpp"
#include "safetensors.hpp"

namespace {

using binllm::Json;
using Clock = std::chrono::steady_clock;

const char* kVersion = "0.3.0";  // 0.3: Hugging Face folders, kv_rotation, max_windows, evaluation cache

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

lm::KvMode parse_kv(const std::string& s) {
  if (s == "fp32") return lm::KvMode::FP32;
  if (s == "fp16") return lm::KvMode::FP16;
  if (s == "int8") return lm::KvMode::INT8;
  if (s == "int4") return lm::KvMode::INT4;
  if (s == "int2") return lm::KvMode::INT2;
  return lm::KvMode::BIN;
}

double peak_rss_bytes() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss * 1024.0;  // Linux: kilobytes
}

using binllm::fnv1a;
using binllm::hex64;
using binllm::make_dirs;

bool file_exists(const std::string& p) {
  std::ifstream f(p);
  return (bool)f;
}

struct TrainCfg {
  int steps, batch, warmup;
  double lr, min_lr_frac, wd, beta1, beta2, clip;
};

float lr_at(const TrainCfg& t, int step) {
  if (t.warmup > 0 && step < t.warmup) return (float)(t.lr * (step + 1) / t.warmup);
  const int decay = std::max(1, t.steps - t.warmup);
  const double prog = std::min(1.0, (double)(step - t.warmup) / decay);
  const double mn = t.lr * t.min_lr_frac;
  return (float)(mn + 0.5 * (t.lr - mn) * (1.0 + std::cos(3.141592653589793 * prog)));
}

// Trains `model` on `train` tokens; returns the mean loss of the last 10% of steps.
double train_model(lm::Model& model, const std::vector<int>& train, const TrainCfg& tc,
                   uint64_t seed, binllm::Emitter* emit) {
  const int T = model.shape.ctx, B = tc.batch;
  lm::Trainer tr;
  tr.setup(&model, B, T);
  lm::Rng rng(seed ^ 0x62617463686573ull);
  std::vector<int> in((size_t)B * T), tg((size_t)B * T);
  const int tail = std::max(1, tc.steps / 10);
  double tail_sum = 0;
  int tail_n = 0;
  for (int s = 0; s < tc.steps; s++) {
    binllm::check_stop();
    for (int b = 0; b < B; b++) {
      const size_t o = (size_t)rng.below(train.size() - T - 1 + 1);
      for (int t = 0; t < T; t++) {
        in[(size_t)b * T + t] = train[o + t];
        tg[(size_t)b * T + t] = train[o + t + 1];
      }
    }
    const float loss = tr.forward(in.data(), tg.data());
    if (!std::isfinite(loss)) throw std::runtime_error("training diverged (loss is not finite) at step " + std::to_string(s));
    tr.backward(in.data(), tg.data());
    tr.update(lr_at(tc, s), (float)tc.beta1, (float)tc.beta2, 1e-8f, (float)tc.wd, (float)tc.clip);
    if (s >= tc.steps - tail) {
      tail_sum += loss;
      tail_n++;
    }
    if (emit) emit->progress("train", s + 1, tc.steps);
    if (emit && (s % 50 == 0 || s + 1 == tc.steps))
      binllm::log("lm: step " + std::to_string(s + 1) + "/" + std::to_string(tc.steps) +
                  " loss " + std::to_string(loss));
  }
  return tail_n ? tail_sum / tail_n : 0.0;
}

void run_cell(binllm::RunContext& ctx) {
  auto& c = ctx.cfg;
  if (lm::wants_llama(c)) {
    lm::run_llama_cell(ctx);
    return;
  }
  const auto t_start = Clock::now();
  const uint64_t seed = ctx.common.seed;
  lm::set_threads(ctx.common.threads);

  const lm::Params& P = lm::params();
  const std::string kv_name = P.kv.get(c);
  static const std::vector<std::string> kGptKv = {"fp32", "fp16", "int8", "int4", "int2", "bin"};
  if (std::find(kGptKv.begin(), kGptKv.end(), kv_name) == kGptKv.end())
    c.fail("kv", "is for pretrained models (give model); the GPT-style path takes fp32, fp16, int8, int4, int2, bin");
  const lm::KvMode kv = parse_kv(kv_name);
  const std::string checkpoint = P.checkpoint.get(c, "");
  if (P.tokenizer.get(c) != "bytes") c.fail("tokenizer", "must be \"bytes\" on the GPT-style path (\"model\" needs a pretrained model)");
  const int eval_batch = (int)P.eval_batch.get(c);
  const int64_t max_eval = P.max_eval_tokens.get(c);
  const bool use_cache = P.cache.get(c);
  const std::string dataset = P.dataset.get(c, checkpoint.empty() ? "synthetic" : "text");

  lm::ModelShape shape;
  TrainCfg tc{};
  lm::MarkovSource src;
  std::vector<int> train, valid;
  std::string data_key;
  double entropy = -1;

  if (checkpoint.empty()) {
    shape.d_model = (int)P.d_model.get(c);
    shape.n_layers = (int)P.n_layers.get(c);
    shape.n_heads = (int)P.n_heads.get(c);
    shape.ctx = (int)P.ctx.get(c);
    shape.tied = P.tied.get(c);
    if (shape.d_model % shape.n_heads != 0)
      c.fail("n_heads", "must divide d_model = " + std::to_string(shape.d_model));
    tc.steps = (int)P.steps.get(c);
    tc.batch = (int)P.batch.get(c);
    tc.lr = P.lr.get(c);
    tc.min_lr_frac = P.min_lr_frac.get(c);
    tc.warmup = (int)P.warmup_steps.get(c, tc.steps / 10);
    tc.wd = P.weight_decay.get(c);
    tc.beta1 = P.beta1.get(c);
    tc.beta2 = P.beta2.get(c);
    tc.clip = P.grad_clip.get(c);
  } else {
    // heads: the config, else "n_head" of a Hugging Face config.json next to the checkpoint, else 12
    int def_heads = 12;
    const size_t slash = checkpoint.find_last_of('/');
    const std::string cj = (slash == std::string::npos ? std::string() : checkpoint.substr(0, slash + 1)) + "config.json";
    std::ifstream cf(cj);
    if (cf) {
      std::stringstream ss;
      ss << cf.rdbuf();
      try {
        const Json j = Json::parse(ss.str());
        const Json* nh = j.is_object() ? j.find("n_head") : nullptr;
        if (nh && nh->is_integer() && nh->as_int() > 0) def_heads = (int)nh->as_int();
      } catch (const std::exception&) {
      }
    }
    shape.n_heads = (int)P.n_heads.get(c, def_heads);
  }

  if (dataset == "synthetic") {
    if (!checkpoint.empty()) c.fail("dataset", "must be \"text\" with a checkpoint (give valid_file)");
    const int V = (int)P.vocab.get(c);
    const int k = (int)P.markov_order.get(c);
    const double sharp = P.markov_sharpness.get(c);
    const int64_t ntr = P.n_train_tokens.get(c);
    const int64_t nva = P.n_valid_tokens.get(c);
    double states = std::pow((double)V, k);
    if (states * V > 1.6e7) c.fail("markov_order", "gives vocab^(order+1) > 1.6e7 transition entries; lower it or vocab");
    shape.vocab = V;
    if (ntr < shape.ctx + 2) c.fail("n_train_tokens", "must exceed ctx + 1 = " + std::to_string(shape.ctx + 1));
    std::ostringstream k_;
    k_ << "synthetic|V=" << V << "|k=" << k << "|sharp=" << sharp << "|ntr=" << ntr << "|nva=" << nva;
    data_key = k_.str();
    src.init(V, k, sharp, seed);
    lm::Rng drng(seed ^ 0x64617461ull);
    train = src.generate(ntr, drng);
    valid = src.generate(nva, drng);
    entropy = src.entropy_rate();
  } else {
    std::string tf;
    if (checkpoint.empty()) tf = P.train_file.require(c);
    const std::string vtok = checkpoint.empty() ? std::string() : P.valid_tokens.get(c, "");
    const std::string vf = vtok.empty() ? P.valid_file.require(c) : std::string();
    std::string err;
    if (checkpoint.empty()) {
      if (!lm::read_text_tokens(tf, train, err)) c.fail("train_file", err);
      if (train.empty()) c.fail("train_file", "is empty");
      if ((long)train.size() < shape.ctx + 2)
        c.fail("train_file", "has " + std::to_string(train.size()) + " bytes, fewer than ctx + 2 = " +
                                 std::to_string(shape.ctx + 2));
    }
    if (!vtok.empty()) {
      // pre-tokenized ids (e.g. GPT-2 BPE from the user's own tokenizer): a 2-D .npy, read row-major
      binllm::NpyArray a;
      try {
        a = binllm::load_npy(vtok);
      } catch (const std::exception& e) {
        c.fail("valid_tokens", e.what());
      }
      const size_t n = a.rows * a.cols;
      valid.resize(n);
      for (size_t i = 0; i < n; i++) {
        const unsigned char* p = a.bytes.data() + i * a.item_size;
        long long v = 0;
        if (a.descr == "<i4") { int32_t x; std::memcpy(&x, p, 4); v = x; }
        else if (a.descr == "<i8") { int64_t x; std::memcpy(&x, p, 8); v = x; }
        else if (a.descr == "<u2") { uint16_t x; std::memcpy(&x, p, 2); v = x; }
        else if (a.descr == "<u4") { uint32_t x; std::memcpy(&x, p, 4); v = x; }
        else if (a.descr == "<i2") { int16_t x; std::memcpy(&x, p, 2); v = x; }
        else if (a.descr == "|u1") { v = p[0]; }
        else c.fail("valid_tokens", "has dtype " + a.descr + "; token ids must be int32/int64/uint16/uint32/int16/uint8");
        if (v < 0 || v > (1 << 30)) c.fail("valid_tokens", "holds the out-of-range id " + std::to_string(v));
        valid[i] = (int)v;
      }
      if (valid.empty()) c.fail("valid_tokens", "is empty");
    } else {
      if (!lm::read_text_tokens(vf, valid, err)) c.fail("valid_file", err);
      if (valid.empty()) c.fail("valid_file", "is empty");
    }
    shape.vocab = 256;
    data_key = "text|" + hex64(fnv1a(train.data(), train.size() * sizeof(int)));
  }

  lm::Model model;
  if (!checkpoint.empty()) {
    std::string err;
    if (!file_exists(checkpoint)) c.fail("checkpoint", "cannot open the file");
    if (!lm::load_gpt2_safetensors(checkpoint, shape.n_heads, model, &err)) {
      if (err.find("n_heads") == 0) c.fail("n_heads", err);
      c.fail("checkpoint", err);
    }
    int max_id = 0;
    for (int v : valid) max_id = std::max(max_id, v);
    if (max_id >= model.shape.vocab)
      c.fail(c.has("valid_tokens") ? "valid_tokens" : "checkpoint",
             "has token id " + std::to_string(max_id) + " >= the checkpoint's vocab " + std::to_string(model.shape.vocab));
    shape = model.shape;
  }

  // contexts
  std::vector<int64_t> def_ctx = {std::max<int64_t>(1, shape.ctx / 2), std::max<int64_t>(1, 3 * shape.ctx / 4), shape.ctx};
  std::vector<int64_t> contexts;
  {
    // read with a wide range, then check against the trained context for a clear message
    contexts = P.contexts.get(c, def_ctx);
    for (auto L : contexts)
      if (L > shape.ctx)
        c.fail("contexts", "has " + std::to_string(L) + " > the trained context ctx = " + std::to_string(shape.ctx));
    for (auto L : contexts)
      if ((long)valid.size() < L + 1)
        c.fail(dataset == "synthetic" ? "n_valid_tokens" : (c.has("valid_tokens") ? "valid_tokens" : "valid_file"),
               "gives " + std::to_string(valid.size()) + " validation tokens, fewer than context " +
                   std::to_string(L) + " + 1");
  }
  // default group: 32 channels, or gcd(32, d_model) when 32 does not divide the width
  int def_group = 32;
  while (shape.d_model % def_group) def_group /= 2;
  const int kv_group = (int)P.kv_group.get(c, std::max(def_group, 2));
  if ((kv == lm::KvMode::INT8 || kv == lm::KvMode::INT4 || kv == lm::KvMode::INT2) && shape.d_model % kv_group != 0)
    c.fail("kv_group", "must divide d_model = " + std::to_string(shape.d_model));
  c.reject_unknown();

#ifdef BINLLM_WITH_CUDA
  lm::CudaInfo cinfo;
  if (ctx.common.cuda) {
    std::string err;
    if (!lm::cuda_probe(ctx.common.cuda_index, &cinfo, &err)) throw binllm::ResourceError(err);
    ctx.device.kind = "cuda";
    ctx.device.name = cinfo.name;
    ctx.device.cc = cinfo.cc;
    ctx.device.index = ctx.common.cuda_index;
  }
#endif
  ctx.start();
  const Json kvtag = Json::object({{"kv", kv_name}});

  // ---- model: checkpoint, cache, or train
  double train_loss = NAN;
  if (checkpoint.empty()) {
    std::ostringstream key;
    // the build hash is part of the key: a model trained by other code is never reused
    key << "lm-v1|build=" << BINLLM_BUILD_HASH << "|V=" << shape.vocab << "|C=" << shape.d_model << "|L=" << shape.n_layers
        << "|H=" << shape.n_heads << "|T=" << shape.ctx << "|tied=" << shape.tied << "|steps=" << tc.steps
        << "|B=" << tc.batch << "|lr=" << tc.lr << "|minlr=" << tc.min_lr_frac << "|wu=" << tc.warmup
        << "|wd=" << tc.wd << "|b1=" << tc.beta1 << "|b2=" << tc.beta2 << "|clip=" << tc.clip
        << "|" << data_key << "|seed=" << seed;
    const std::string ks = key.str();
    std::string cache_path;
    std::unique_ptr<binllm::FileLock> lock;  // siblings training the same model wait for it
    if (use_cache && !ctx.common.work_dir.empty()) {
      const std::string dir = ctx.common.work_dir + "/lm-models";
      if (make_dirs(dir)) {
        cache_path = dir + "/" + hex64(fnv1a(ks.data(), ks.size())) + ".bin";
        lock.reset(new binllm::FileLock(cache_path + ".lock", [] { binllm::check_stop(); }));
      } else {
        binllm::log("lm: cannot create " + dir + "; training without a cache");
      }
    }
    std::vector<double> meta;
    bool loaded = false;
    if (!cache_path.empty() && lm::load_model(cache_path, model, meta) && meta.size() >= 1 &&
        model.shape.vocab == shape.vocab && model.shape.d_model == shape.d_model &&
        model.shape.ctx == shape.ctx && model.shape.n_layers == shape.n_layers &&
        model.shape.n_heads == shape.n_heads && model.shape.tied == shape.tied) {
      loaded = true;
      train_loss = meta[0];
      binllm::log("lm: loaded the trained model from " + cache_path);
    }
    if (!loaded) {
      model.init(shape, seed);
      const auto t0 = Clock::now();
      train_loss = train_model(model, train, tc, seed, &ctx.emit);
      const double tt = seconds_since(t0);
      ctx.emit.metric("train_time_s", tt, kvtag);
      if (tc.steps > 0)
        ctx.emit.metric("train_tokens_per_s", (double)tc.steps * tc.batch * shape.ctx / tt, kvtag);
      if (!cache_path.empty() && !lm::save_model(cache_path, model, {train_loss, tt}))
        binllm::log("lm: could not write the model cache " + cache_path);
    }
    lock.reset();
    ctx.emit.metric("model_cached", loaded ? 1.0 : 0.0, kvtag);
    if (tc.steps > 0) ctx.emit.metric("train_loss_final", train_loss, kvtag);
  }
  if (entropy >= 0) ctx.emit.metric("entropy_rate_nats", entropy, kvtag);
  ctx.emit.metric("n_params", (double)model.num_params(), kvtag);
  ctx.emit.metric("bits_per_param", 32.0, kvtag);

  // ---- evaluation at every context length
  lm::EvalOptions eo;
  eo.kv = kv;
  eo.kv_group = kv_group;
  for (size_t ci = 0; ci < contexts.size(); ci++) {
    binllm::check_stop();
    const int L = (int)contexts[ci];
    std::vector<int> stream = valid;
    if (max_eval > 0 && (int64_t)stream.size() > max_eval + 1) stream.resize((size_t)max_eval + 1);
    long count = 0, hits = 0;
    const auto t0 = Clock::now();
    double nll;
#ifdef BINLLM_WITH_CUDA
    if (ctx.common.cuda) {
      std::string err;
      if (!lm::cuda_eval_stream(model, stream, L, eval_batch, eo, ctx.common.cuda_index, &nll, &count, &err, &hits))
        throw binllm::ResourceError("CUDA evaluation failed: " + err);
    } else
#endif
    {
      // batches of eval_batch windows (as lm::eval_stream), polling the stop flag between them
      const long nw = ((long)stream.size() - 1) / L;
      double total = 0;
      std::vector<int> in, tg;
      std::vector<double> nl;
      std::vector<unsigned char> hit;
      for (long w0 = 0; w0 < nw; w0 += eval_batch) {
        binllm::check_stop();
        const int Bc = (int)std::min<long>(eval_batch, nw - w0);
        in.resize((size_t)Bc * L);
        tg.resize((size_t)Bc * L);
        nl.resize((size_t)Bc * L);
        hit.resize((size_t)Bc * L);
        for (int b = 0; b < Bc; b++)
          for (int t = 0; t < L; t++) {
            const size_t pos = (size_t)(w0 + b) * L + t;
            in[(size_t)b * L + t] = stream[pos];
            tg[(size_t)b * L + t] = stream[pos + 1];
          }
        lm::eval_forward(model, in.data(), tg.data(), Bc, L, eo, nullptr, nl.data(), hit.data());
        for (double v : nl) total += v;
        for (unsigned char h : hit) hits += h;
        count += (long)Bc * L;
        ctx.emit.progress("eval_ctx_" + std::to_string(L), w0 + Bc, nw);
      }
      nll = count ? total / count : 0.0;
    }
    const double dt = seconds_since(t0);
    const Json tags = Json::object({{"ctx", L}, {"kv", kv_name}});
    ctx.emit.metric("nll", nll, tags);
    ctx.emit.metric("ppl", std::exp(nll), tags);
    ctx.emit.metric("kv_cache_bytes", lm::kv_cache_bytes(shape, kv, L, kv_group), tags);
    ctx.emit.metric("tokens_per_s", count / std::max(dt, 1e-9), tags);
    ctx.emit.metric("next_token_acc", count ? 100.0 * hits / count : 0.0, tags);
    ctx.emit.metric("eval_tokens", (double)count, tags);
    binllm::log("lm: ctx " + std::to_string(L) + " kv " + kv_name + ": nll " + std::to_string(nll) +
                " ppl " + std::to_string(std::exp(nll)) + " (" + std::to_string(count) + " tokens, " +
                std::to_string(dt) + " s)");
  }
  ctx.emit.metric("peak_mem_bytes", peak_rss_bytes(), kvtag);
  ctx.emit.metric("elapsed_s", seconds_since(t_start), kvtag);
}

// ---- bench: timing of one training step and of evaluation for a given shape
int run_bench(int argc, char** argv) {
  lm::ModelShape s;
  s.d_model = 128;
  s.n_layers = 2;
  s.n_heads = 4;
  s.ctx = 128;
  s.vocab = 256;
  int batch = 16, steps = 10, threads = 2, eval_tokens = 16384, eval_batch = 8;
  std::string kv = "fp32";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--d_model") s.d_model = std::stoi(v);
    else if (k == "--n_layers") s.n_layers = std::stoi(v);
    else if (k == "--n_heads") s.n_heads = std::stoi(v);
    else if (k == "--ctx") s.ctx = std::stoi(v);
    else if (k == "--vocab") s.vocab = std::stoi(v);
    else if (k == "--batch") batch = std::stoi(v);
    else if (k == "--steps") steps = std::stoi(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--eval_tokens") eval_tokens = std::stoi(v);
    else if (k == "--eval_batch") eval_batch = std::stoi(v);
    else if (k == "--kv") kv = v;
    else {
      std::fprintf(stderr, "bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  lm::set_threads(threads);
  lm::Model m;
  m.init(s, 1);
  lm::Rng r(2);
  std::vector<int> data((size_t)eval_tokens + s.ctx + 2);
  for (auto& x : data) x = (int)r.below(s.vocab);
  lm::Trainer tr;
  tr.setup(&m, batch, s.ctx);
  std::vector<int> in((size_t)batch * s.ctx), tg((size_t)batch * s.ctx);
  for (size_t i = 0; i < in.size(); i++) {
    in[i] = data[i];
    tg[i] = data[i + 1];
  }
  // warm-up step
  tr.forward(in.data(), tg.data());
  tr.backward(in.data(), tg.data());
  tr.update(1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f);
  auto t0 = Clock::now();
  for (int i = 0; i < steps; i++) {
    tr.forward(in.data(), tg.data());
    tr.backward(in.data(), tg.data());
    tr.update(1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 1.0f);
  }
  const double ttrain = seconds_since(t0) / steps;
  lm::EvalOptions eo;
  eo.kv = parse_kv(kv);
  std::vector<int> stream(data.begin(), data.begin() + eval_tokens + 1);
  long cnt = 0;
  t0 = Clock::now();
  lm::eval_stream(m, stream, s.ctx, eval_batch, eo, &cnt);
  const double teval = seconds_since(t0);
  std::printf("{\"impl\":\"binllm\",\"d_model\":%d,\"n_layers\":%d,\"n_heads\":%d,\"ctx\":%d,\"vocab\":%d,"
              "\"batch\":%d,\"threads\":%d,\"train_step_s\":%.6f,\"train_steps_per_s\":%.4f,"
              "\"eval_tokens_per_s\":%.1f,\"kv\":\"%s\",\"n_params\":%zu}\n",
              s.d_model, s.n_layers, s.n_heads, s.ctx, s.vocab, batch, threads, ttrain, 1.0 / ttrain,
              cnt / teval, kv.c_str(), m.num_params());
  return 0;
}

// write-test-checkpoint <path> [d_model n_layers n_heads ctx vocab seed]: a random model in the
// GPT-2 safetensors layout (for tests of the checkpoint path).
int write_test_checkpoint(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: binllm-lm write-test-checkpoint <path> [d_model n_layers n_heads ctx vocab seed]\n");
    return 2;
  }
  lm::ModelShape s;
  s.d_model = argc > 3 ? std::atoi(argv[3]) : 32;
  s.n_layers = argc > 4 ? std::atoi(argv[4]) : 2;
  s.n_heads = argc > 5 ? std::atoi(argv[5]) : 4;
  s.ctx = argc > 6 ? std::atoi(argv[6]) : 64;
  s.vocab = argc > 7 ? std::atoi(argv[7]) : 256;
  const uint64_t seed = argc > 8 ? std::strtoull(argv[8], nullptr, 10) : 1;
  lm::Model m;
  m.init(s, seed);
  std::string err;
  if (!lm::write_gpt2_safetensors(argv[2], m, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  return 0;
}

// OpenMP threads that spin while they wait make a loaded (shared, oversubscribed) CPU crawl: up to
// 5x slower with 2 threads on 2 busy cores, because the spinning thread keeps the core its partner
// needs. libgomp reads its wait policy from the environment before main(), so when the user has
// not chosen one we set OMP_WAIT_POLICY=PASSIVE and re-execute ourselves once (Linux only; on any
// failure we simply continue with the default policy).
void prefer_passive_openmp(char** argv) {
#ifdef __linux__
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  ::unsetenv("OMP_WAIT_POLICY");  // exec failed: keep going as we are
#else
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "run" || std::string(argv[1]) == "bench"))
    prefer_passive_openmp(argv);
  if (argc > 1 && std::string(argv[1]) == "bench") return run_bench(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "tokenize") return lm::cmd_tokenize(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "gguf-dump") return lm::cmd_gguf_dump(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "llama-eval") {
    prefer_passive_openmp(argv);
    return lm::cmd_llama_eval(argc, argv);
  }
  if (argc > 1 && std::string(argv[1]) == "write-test-checkpoint") return write_test_checkpoint(argc, argv);
  binllm::KernelSpec spec;
  spec.name = "lm";
  spec.version = kVersion;
  spec.hypotheses = {"H2"};
  spec.description =
      "Decoder LM perplexity with a quantized KV cache at several context lengths: a pretrained "
      "Llama-architecture GGUF model (SmolLM2-135M) with its own BPE tokenizer on raw text, or a "
      "GPT-style decoder trained with AdamW from a seed / loaded from GPT-2 safetensors";
  spec.params = lm::params().schema();
#ifdef BINLLM_WITH_CUDA
  spec.cuda_ccs = lm::cuda_built_ccs();
#endif
  spec.run = run_cell;
  return binllm::run_main(argc, argv, spec);
}
