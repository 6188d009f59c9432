// binllm-nlu: the H3/H4 kernel. One cell = one task set x quantisation variant x seed. Per task it
// trains (or loads from the cache) the full-precision teacher, derives the variant's student
// (NF4 + LoRA, BitLinear blocks distilled from the teacher, or binary token embeddings), and
// evaluates the packed model on the dev split.
//
//   binllm-nlu describe
//   binllm-nlu run --config cell.json
//   binllm-nlu bench [--d_model 128 --n_layers 2 --n_heads 4 --max_len 64 --batch 32 --steps 10
//                     --threads 2 --quant bin-blocks]
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include "binllm/cache.hpp"
#include "binllm/params.hpp"
#include "binllm/protocol.hpp"
#include "budget.hpp"
#include "cuda_eval.hpp"
#include "encoder.hpp"
#include "metrics.hpp"
#include "tasks.hpp"
#include "train.hpp"
#include "variants.hpp"

namespace {

using binllm::Json;
using Clock = std::chrono::steady_clock;
const char* kVersion = "0.1.0";

std::string synthetic_help() {
  std::string s;
  for (auto& t : nlu::synthetic_tasks()) s += std::string(s.empty() ? "" : "; ") + t.name + " (" + t.family + "): " + t.generator;
  return s;
}

struct Params : binllm::ParamDecls {
  Str quant = string("quant", "variant: fp16 teacher, int4 (NF4 base + LoRA, or QAT), bin-blocks (BitLinear attention/MLP, distilled), bin-embed (binary token embeddings, rest int4, distilled)",
                     "int4", {"fp16", "int4", "bin-blocks", "bin-embed"});
  Str dataset = string("dataset", "synthetic tasks, or GLUE-style TSV folders under task_dir", "synthetic", {"synthetic", "glue"});
  Str tasks = string("tasks", "comma-separated synthetic tasks: " + synthetic_help(), "sentiment,entailment,paraphrase,chain,count");
  Str task_dir = string("task_dir", "dataset=glue: a folder with train.tsv + dev.tsv, or a GLUE root of such folders");
  Int n_train = integer("n_train", "synthetic training examples per task", 2000, 8, 10000000);
  Int n_dev = integer("n_dev", "synthetic dev examples per task", 500, 8, 10000000);
  Str tokenizer = string("tokenizer", "bytes (259 ids) or words (whitespace words of the train split)", "bytes", {"bytes", "words"});
  Int max_len = integer("max_len", "tokens per example incl. [CLS]/[SEP] (longer inputs are cut)", 64, 4, 1024);
  Int max_vocab = integer("max_vocab", "tokenizer=words: vocabulary cap", 8000, 1, 1000000);
  Int d_model = integer("d_model", "model width", 64, 8, 4096);
  Int n_layers = integer("n_layers", "encoder blocks", 2, 1, 48);
  Int n_heads = integer("n_heads", "attention heads (divide d_model)", 4, 1, 64);
  Str pool = string("pool", "classifier input: the first ([CLS]) token or the mean over tokens", "cls", {"cls", "mean"});
  Int steps = integer("steps", "teacher training steps (AdamW)", 600, 1, 10000000);
  Int batch = integer("batch", "training batch (examples)", 32, 1, 4096);
  Num lr = number("lr", "teacher peak learning rate (warm-up 10%, cosine to 10%)", 3e-3, 0.0, 1.0);
  Num weight_decay = number("weight_decay", "AdamW decoupled weight decay on matrices", 0.01, 0.0, 10.0);
  Int student_steps = integer("student_steps", "student fine-tuning steps (int4 / bin-*)", 300, 0, 10000000);
  Num student_lr = number("student_lr", "student peak learning rate", 2e-3, 0.0, 1.0);
  Str int4_mode = string("int4_mode", "int4: nf4-lora (QLoRA: frozen NF4 base + LoRA) or qat (group-wise int4 fake-quant, STE)", "nf4-lora", {"nf4-lora", "qat"});
  Int group = integer("group", "int4 group / NF4 block size (divides d_model)", 32, 2, 4096);
  Int lora_rank = integer("lora_rank", "LoRA rank (int4 nf4-lora)", 8, 1, 64);
  Num lora_alpha = number("lora_alpha", "LoRA scale numerator (scale = alpha / rank)", 16.0, 0.0, 1e6);
  Str bin_weights = string("bin_weights", "BitLinear weights: binary (sign, per-row absmean) or ternary (absmean, b1.58)", "binary", {"binary", "ternary"});
  Str bin_blocks = string("bin_blocks", "bin-blocks: binarise all attention/MLP blocks, or just enough block rows (last layer first, MLP before attention) to equal bin-embed's total bits (H4)",
                          "all", {"all", "match-bin-embed"});
  Num budget_tolerance = number("budget_tolerance", "match-bin-embed: relative total-bits tolerance", 0.01, 0.0, 0.5);
  Num distill_weight = number("distill_weight", "bin-*: weight alpha of the KL term (1 - alpha on the labels)", 0.5, 0.0, 1.0);
  Num distill_temperature = number("distill_temperature", "bin-*: softmax temperature tau of the KL term (scaled by tau^2)", 2.0, 0.05, 100.0);
  Num distill_hidden = number("distill_hidden", "bin-*: weight beta of the MSE between student and teacher final hidden states (0 = off)", 0.0, 0.0, 100.0);
  Int eval_batch = integer("eval_batch", "dev examples per packed evaluation batch", 64, 1, 65536);
  Bool cache = boolean("cache", "cache teachers under <work_dir>/nlu-teachers (shared by sibling cells)", true);
};
const Params& P() {
  static const Params p;
  return p;
}

using binllm::fnv1a;
using binllm::hex64;
using binllm::make_dirs;

// teacher cache file: magic, n floats, params, 2 doubles (train seconds, tail loss)
bool save_flat(const std::string& path, const std::vector<float>& v, double t, double loss) {
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f) return false;
    const uint64_t magic = 0x31746c6e756c6e62ull, n = v.size();
    f.write((const char*)&magic, 8);
    f.write((const char*)&n, 8);
    f.write((const char*)v.data(), (std::streamsize)(n * 4));
    f.write((const char*)&t, 8);
    f.write((const char*)&loss, 8);
    if (!f) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}
bool load_flat(const std::string& path, std::vector<float>& v, double* t, double* loss) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  uint64_t magic = 0, n = 0;
  f.read((char*)&magic, 8);
  f.read((char*)&n, 8);
  if (!f || magic != 0x31746c6e756c6e62ull || n != v.size()) return false;
  f.read((char*)v.data(), (std::streamsize)(n * 4));
  f.read((char*)t, 8);
  f.read((char*)loss, 8);
  return (bool)f;
}

struct Cfg {
  std::string quant, dataset, tok_mode, int4_mode, bin_weights, bin_blocks;
  std::vector<nlu::TaskData> tasks;
  nlu::EncoderShape shape;
  int max_vocab = 0, steps = 0, batch = 0, student_steps = 0, group = 32, lora_rank = 8, eval_batch = 64;
  float lr = 0, wd = 0, student_lr = 0, lora_alpha = 16, alpha = 0, tau = 2, beta = 0, tol = 0.01f;
  bool cache = true;
};

nlu::VariantOptions variant_options(const Cfg& c) {
  nlu::VariantOptions o;
  o.int4_mode = c.int4_mode;
  o.bin_weights = c.bin_weights;
  o.group = c.group;
  o.lora_rank = c.lora_rank;
  o.lora_alpha = c.lora_alpha;
  o.tol = c.tol;
  return o;
}

// The variant's dev metrics from the GPU (the packed model evaluated by cuda_eval.cu); the measured
// peak memory stays the CPU packed evaluation's. Without a CUDA build this is never called.
void cuda_metrics(const nlu::Encoder& m, bool fp16, const nlu::Rows& dev, int batch, int device, nlu::EvalResult* ev) {
#ifdef BINLLM_WITH_CUDA
  nlu::PackedEncoder pe;
  pe.pack(m, fp16);
  std::vector<float> logits;
  std::string err;
  const auto t0 = Clock::now();
  if (!nlu::cuda_eval_logits(pe, dev.ids.data(), dev.lens.data(), dev.n, batch, device, &logits, &err))
    throw binllm::ResourceError("CUDA evaluation failed: " + err);
  ev->seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const int K = m.shape().K;
  double loss = 0, tokens = 0;
  for (int i = 0; i < dev.n; i++) {
    const float* z = logits.data() + (size_t)i * K;
    int best = 0;
    for (int k = 1; k < K; k++)
      if (z[k] > z[best]) best = k;
    double se = 0;
    for (int k = 0; k < K; k++) se += std::exp((double)z[k] - z[best]);
    loss += std::log(se) + z[best] - z[dev.labels[i]];
    ev->pred[i] = best;
    tokens += dev.lens[i];
  }
  ev->loss = dev.n ? loss / dev.n : 0;
  ev->tokens_per_s = tokens / std::max(ev->seconds, 1e-9);
#else
  (void)m, (void)fp16, (void)dev, (void)batch, (void)device, (void)ev;
#endif
}

void run_cell(binllm::RunContext& ctx) {
  auto& cf = ctx.cfg;
  const Params& p = P();
  const uint64_t seed = ctx.common.seed;
  llmc::set_threads(ctx.common.threads);
  Cfg c;
  c.quant = p.quant.get(cf);
  c.dataset = p.dataset.get(cf);
  c.tok_mode = p.tokenizer.get(cf);
  const int T = (int)p.max_len.get(cf);
  c.max_vocab = (int)p.max_vocab.get(cf);
  c.shape.T = T;
  c.shape.C = (int)p.d_model.get(cf);
  c.shape.L = (int)p.n_layers.get(cf);
  c.shape.NH = (int)p.n_heads.get(cf);
  c.shape.mean_pool = p.pool.get(cf) == "mean";
  if (c.shape.C % c.shape.NH) cf.fail("n_heads", "must divide d_model = " + std::to_string(c.shape.C));
  c.steps = (int)p.steps.get(cf);
  c.batch = (int)p.batch.get(cf);
  c.lr = (float)p.lr.get(cf);
  c.wd = (float)p.weight_decay.get(cf);
  c.student_steps = (int)p.student_steps.get(cf);
  c.student_lr = (float)p.student_lr.get(cf);
  c.int4_mode = p.int4_mode.get(cf);
  c.group = (int)p.group.get(cf);
  if (c.shape.C % c.group) cf.fail("group", "must divide d_model = " + std::to_string(c.shape.C));
  c.lora_rank = (int)p.lora_rank.get(cf);
  c.lora_alpha = (float)p.lora_alpha.get(cf);
  c.bin_weights = p.bin_weights.get(cf);
  c.bin_blocks = p.bin_blocks.get(cf);
  c.tol = (float)p.budget_tolerance.get(cf);
  c.alpha = (float)p.distill_weight.get(cf);
  c.tau = (float)p.distill_temperature.get(cf);
  c.beta = (float)p.distill_hidden.get(cf);
  c.eval_batch = (int)p.eval_batch.get(cf);
  c.cache = p.cache.get(cf);
  if (c.dataset == "synthetic") {
    const int ntr = (int)p.n_train.get(cf), ndv = (int)p.n_dev.get(cf);
    std::string list = p.tasks.get(cf);
    std::stringstream ss(list);
    std::string name;
    while (std::getline(ss, name, ',')) {
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (name.empty()) continue;
      if (!nlu::find_synthetic(name)) {
        std::string acc;
        for (auto& t : nlu::synthetic_tasks()) acc += std::string(acc.empty() ? "" : ", ") + t.name;
        cf.fail("tasks", "names the unknown task '" + name + "' (synthetic tasks: " + acc + ")");
      }
      c.tasks.push_back(nlu::make_synthetic(name, seed, ntr, ndv));
    }
    if (c.tasks.empty()) cf.fail("tasks", "lists no task");
  } else {
    // the synthetic-task params may come along with a platform's defaults; they do not apply here
    for (const auto* k : {&p.tasks.key, &p.n_train.key, &p.n_dev.key}) cf.mark_read(*k);
    const std::string dir = p.task_dir.get(cf);  // required: no default
    try {
      c.tasks = nlu::load_glue_dir(dir);
    } catch (const binllm::ConfigError& e) {
      cf.fail("task_dir", std::string("(dataset glue): ") + e.what());
    }
  }
  cf.reject_unknown();
  const nlu::VariantOptions vo = variant_options(c);
#ifdef BINLLM_WITH_CUDA
  if (ctx.common.cuda) {
    nlu::CudaInfo ci;
    std::string err;
    if (!nlu::cuda_probe(ctx.common.cuda_index, &ci, &err)) throw binllm::ResourceError(err);
    ctx.device.kind = "cuda";
    ctx.device.name = ci.name;
    ctx.device.cc = ci.cc;
    ctx.device.index = ctx.common.cuda_index;
  }
#endif
  ctx.start();

  for (auto& task : c.tasks) {
    binllm::check_stop();
    const Json tags = Json::object({{"task", task.name}, {"family", task.family}});
    nlu::Tokenizer tok;
    tok.build(c.tok_mode, task.train, c.max_vocab);
    const nlu::Rows train = nlu::encode_rows(tok, task.train, T), dev = nlu::encode_rows(tok, task.dev, T);
    for (int lab : train.labels)
      if (lab >= task.n_classes) throw std::logic_error("label out of range");
    nlu::EncoderShape s = c.shape;
    s.V = tok.vocab();
    s.K = task.n_classes;
    auto progress = [&](const std::string& phase) {
      return [&ctx, phase](int done, int total) {
        binllm::check_stop();
        ctx.emit.progress(phase, done, total);
      };
    };

    // ---- teacher (fp32 training, fp16 storage): trained once per (build, config, data, seed)
    nlu::Encoder teacher;
    teacher.build(s, nlu::plan_for(vo, "fp16", s), c.batch);
    std::ostringstream key;
    key << "nlu-teacher-v1|build=" << BINLLM_BUILD_HASH << "|V=" << s.V << "|T=" << s.T << "|C=" << s.C << "|L=" << s.L
        << "|H=" << s.NH << "|K=" << s.K << "|pool=" << s.mean_pool << "|steps=" << c.steps << "|B=" << c.batch
        << "|lr=" << c.lr << "|wd=" << c.wd << "|tok=" << c.tok_mode << "|task=" << task.name
        << "|data=" << hex64(fnv1a(train.ids.data(), train.ids.size() * 4, fnv1a(train.labels.data(), train.labels.size() * 4)))
        << "|seed=" << seed;
    const std::string ks = key.str();
    std::string path;
    std::unique_ptr<binllm::FileLock> lock;
    if (c.cache && !ctx.common.work_dir.empty()) {
      const std::string dir = ctx.common.work_dir + "/nlu-teachers";
      if (make_dirs(dir)) {
        path = dir + "/" + hex64(fnv1a(ks.data(), ks.size())) + ".bin";
        // siblings training the same teacher wait here instead of training it twice (SIGTERM
        // still ends the wait)
        lock.reset(new binllm::FileLock(path + ".lock", [] { binllm::check_stop(); }));
      } else {
        binllm::log("nlu: cannot create " + dir + "; training without a cache");
      }
    }
    double teacher_time = 0, teacher_loss = 0;
    bool cached = !path.empty() && load_flat(path, teacher.flat(), &teacher_time, &teacher_loss);
    if (!cached) {
      teacher.init(seed);
      nlu::TrainOptions o;
      o.steps = c.steps;
      o.batch = c.batch;
      o.warmup = c.steps / 10;
      o.lr = c.lr;
      o.weight_decay = c.wd;
      o.seed = seed;
      o.progress = progress("teacher_" + task.name);
      const auto t0 = Clock::now();
      teacher_loss = nlu::train_encoder(teacher, train, o);
      teacher_time = std::chrono::duration<double>(Clock::now() - t0).count();
      if (!path.empty() && !save_flat(path, teacher.flat(), teacher_time, teacher_loss))
        binllm::log("nlu: could not write the teacher cache " + path);
    }
    lock.reset();  // releases the lock
    const nlu::EvalResult te = nlu::evaluate_packed(teacher, true, dev, c.eval_batch);
    const nlu::ClassMetrics tm = nlu::class_metrics(te.pred, dev.labels, s.K);

    // ---- the variant
    nlu::EvalResult ev = te;
    if (ctx.common.cuda && c.quant == "fp16") cuda_metrics(teacher, true, dev, c.eval_batch, ctx.common.cuda_index, &ev);
    double total_bits = 16.0 * teacher.n_base_params(), train_time = teacher_time, train_loss = teacher_loss;
    const size_t n_params = teacher.n_base_params();
    if (c.quant != "fp16") {
      std::vector<nlu::BudgetChoice> chosen;
      double target = 0, matched = 0;
      nlu::QuantPlan plan;
      if (c.quant == "bin-blocks" && c.bin_blocks == "match-bin-embed") {
        try {
          plan = nlu::match_bin_embed(vo, s, &chosen, &target, &matched);
        } catch (const nlu::BudgetError& e) {
          cf.fail("bin_blocks", "= \"match-bin-embed\" cannot be met for task " + task.name + " (d_model " +
                                    std::to_string(s.C) + ", vocab " + std::to_string(s.V) + "): " + e.what());
        }
      } else {
        plan = nlu::plan_for(vo, c.quant, s);
      }
      nlu::Encoder student;
      student.build(s, plan, c.batch);
      student.init(binllm::derive_seed(seed, 0x73747564ull));  // LoRA adapters' init
      student.load_from(teacher);
      nlu::TrainOptions o;
      o.steps = c.student_steps;
      o.batch = c.batch;
      o.warmup = c.student_steps / 10;
      o.lr = c.student_lr;
      o.weight_decay = c.wd;
      o.seed = binllm::derive_seed(seed, 1);
      o.progress = progress("student_" + task.name);
      if (c.quant == "bin-blocks" || c.quant == "bin-embed") {
        o.teacher = &teacher;
        o.alpha = c.alpha;
        o.tau = c.tau;
        o.beta = c.beta;
      }
      const auto t0 = Clock::now();
      train_loss = c.student_steps > 0 ? nlu::train_encoder(student, train, o) : 0.0;
      train_time = std::chrono::duration<double>(Clock::now() - t0).count();
      ev = nlu::evaluate_packed(student, false, dev, c.eval_batch);
      if (ctx.common.cuda) cuda_metrics(student, false, dev, c.eval_batch, ctx.common.cuda_index, &ev);
      total_bits = student.storage_bits();
      if (c.quant == "bin-blocks" && c.bin_blocks == "match-bin-embed") {
        ctx.emit.metric("budget_target_bits", target, tags);
        for (auto& ch : chosen) {
          Json bt = tags;
          bt.set("block", ch.block);
          ctx.emit.metric("binarized_rows", ch.rows, bt);
          ctx.emit.metric("binarized_fraction", (double)ch.rows / ch.of, bt);
          binllm::log("nlu: " + task.name + ": budget match binarises " + std::to_string(ch.rows) + "/" +
                      std::to_string(ch.of) + " rows of " + ch.block);
        }
      }
    }
    const nlu::ClassMetrics m = nlu::class_metrics(ev.pred, dev.labels, s.K);
    ctx.emit.metric("accuracy", m.accuracy, tags);
    ctx.emit.metric("f1", m.f1, tags);
    ctx.emit.metric("mcc", m.mcc, tags);
    ctx.emit.metric("loss", ev.loss, tags);
    ctx.emit.metric("teacher_accuracy", tm.accuracy, tags);
    ctx.emit.metric("total_bits", total_bits, tags);
    ctx.emit.metric("bits_per_param", total_bits / (double)n_params, tags);
    ctx.emit.metric("n_params", (double)n_params, tags);
    ctx.emit.metric("peak_mem_bytes", ev.peak_mem_bytes, tags);
    ctx.emit.metric("weight_bytes", ev.weight_bytes, tags);
    ctx.emit.metric("train_time_s", train_time, tags);
    ctx.emit.metric("train_loss_final", train_loss, tags);
    ctx.emit.metric("teacher_cached", cached ? 1.0 : 0.0, tags);
    ctx.emit.metric("eval_tokens_per_s", ev.tokens_per_s, tags);
    std::vector<std::string> ids(dev.n);
    std::vector<double> correct(dev.n);
    for (int i = 0; i < dev.n; i++) {
      ids[i] = std::to_string(i);
      correct[i] = ev.pred[i] == dev.labels[i] ? 1.0 : 0.0;
    }
    ctx.emit.values("correct", "example", ids, correct, tags);
    binllm::log("nlu: " + task.name + " " + c.quant + ": accuracy " + std::to_string(m.accuracy) + " (teacher " +
                std::to_string(tm.accuracy) + "), " + std::to_string(total_bits / n_params) + " bits/param");
  }
}

// bench: one training step and the packed evaluation of a given shape, timed
int run_bench(int argc, char** argv) {
  nlu::EncoderShape s;
  s.V = 259;
  s.T = 64;
  s.C = 128;
  s.L = 2;
  s.NH = 4;
  s.K = 2;
  int batch = 32, steps = 10, threads = 2, eval_n = 512;
  std::string quant = "bin-blocks";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--d_model") s.C = std::stoi(v);
    else if (k == "--n_layers") s.L = std::stoi(v);
    else if (k == "--n_heads") s.NH = std::stoi(v);
    else if (k == "--max_len") s.T = std::stoi(v);
    else if (k == "--batch") batch = std::stoi(v);
    else if (k == "--steps") steps = std::stoi(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--eval_n") eval_n = std::stoi(v);
    else if (k == "--quant") quant = v;
    else {
      std::fprintf(stderr, "bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  llmc::set_threads(threads);
  nlu::VariantOptions vo;
  vo.int4_mode = "qat";
  nlu::Encoder m;
  m.build(s, nlu::plan_for(vo, quant, s), batch);
  m.init(1);
  binllm::Rng r(2);
  nlu::Rows rows;
  rows.n = std::max(batch, eval_n);
  rows.T = s.T;
  rows.ids.resize((size_t)rows.n * s.T);
  for (auto& x : rows.ids) x = 3 + (int)r.below(256);
  rows.lens.assign(rows.n, s.T);
  rows.labels.resize(rows.n);
  for (auto& y : rows.labels) y = (int)r.below(2);
  nlu::LossSpec ls;
  auto one = [&]() {
    m.forward(rows.ids.data(), rows.lens.data(), rows.labels.data(), batch, ls);
    m.backward(rows.ids.data(), rows.lens.data(), rows.labels.data(), batch, ls);
    m.step(1e-3f, 0.01f, 1.0f);
  };
  one();
  auto t0 = Clock::now();
  for (int i = 0; i < steps; i++) one();
  const double ttrain = std::chrono::duration<double>(Clock::now() - t0).count() / steps;
  // fake-quant eval forward (what PyTorch runs) and the packed evaluation
  t0 = Clock::now();
  for (int i0 = 0; i0 + batch <= rows.n; i0 += batch)
    m.forward(rows.ids.data() + (size_t)i0 * s.T, rows.lens.data() + i0, nullptr, batch, ls);
  const double tfq = std::chrono::duration<double>(Clock::now() - t0).count();
  const nlu::EvalResult ev = nlu::evaluate_packed(m, quant == "fp16", rows, batch);
  const double ntok = (double)(rows.n / batch) * batch * s.T;
  std::printf("{\"impl\":\"binllm\",\"simd\":\"%s\",\"quant\":\"%s\",\"d_model\":%d,\"n_layers\":%d,\"n_heads\":%d,\"max_len\":%d,"
              "\"batch\":%d,\"threads\":%d,\"train_step_s\":%.6f,\"eval_tokens_per_s\":%.1f,\"packed_eval_tokens_per_s\":%.1f,"
              "\"peak_mem_bytes\":%.0f}\n",
              llmc::simd_name(), quant.c_str(), s.C, s.L, s.NH, s.T, batch, threads, ttrain, ntok / tfq, ev.tokens_per_s, ev.peak_mem_bytes);
  return 0;
}

// See binllm-lm: passive OpenMP waits keep a loaded 2-core machine from crawling.
void prefer_passive_openmp(char** argv) {
#ifdef __linux__
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (::setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  ::unsetenv("OMP_WAIT_POLICY");
#else
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "run" || std::string(argv[1]) == "bench")) prefer_passive_openmp(argv);
  if (argc > 1 && std::string(argv[1]) == "bench") return run_bench(argc, argv);
  binllm::KernelSpec spec;
  spec.name = "nlu";
  spec.version = kVersion;
  spec.hypotheses = {"H3", "H4"};
  spec.description =
      "small bidirectional transformer encoder (llmc) with a classification head on synthetic or GLUE-style TSV tasks; "
      "variants fp16 (teacher), int4 (NF4 + LoRA or QAT), bin-blocks (BitLinear blocks, KL-distilled), bin-embed "
      "(binary token embeddings); metrics from the packed model on the dev split";
  spec.params = P().schema();
#ifdef BINLLM_WITH_CUDA
  spec.cuda_ccs = nlu::cuda_built_ccs();
#endif
  spec.run = run_cell;
  return binllm::run_main(argc, argv, spec);
}
