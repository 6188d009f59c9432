// Unit tests of the NLU kernel's own parts (the llmc layers have their own tests): split linears,
// the encoder's backward incl. the distillation terms, overfitting, thread determinism, the H4
// budget matcher, the GLUE TSV reader, packed vs fake-quant evaluation, metrics, generators.
#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "../../tests/check.hpp"
#include "binllm/errors.hpp"
#include "encoder.hpp"
#include "metrics.hpp"
#include "packed.hpp"
#include "tasks.hpp"
#include "train.hpp"
#include "variants.hpp"
#include "llmc/quant.hpp"
#include "budget.hpp"

using namespace nlu;

namespace {

EncoderShape tiny_shape() {
  EncoderShape s;
  s.V = 20;
  s.T = 6;
  s.C = 16;
  s.L = 2;
  s.NH = 2;
  s.K = 3;
  return s;
}

Rows random_rows(const EncoderShape& s, int n, uint64_t seed) {
  binllm::Rng r(seed);
  Rows rows;
  rows.n = n;
  rows.T = s.T;
  rows.ids.resize((size_t)n * s.T, kPad);
  rows.lens.resize(n);
  rows.labels.resize(n);
  for (int i = 0; i < n; i++) {
    rows.lens[i] = 2 + (int)r.below(s.T - 1);
    for (int t = 0; t < rows.lens[i]; t++) rows.ids[(size_t)i * s.T + t] = t == 0 ? kCls : 4 + (int)r.below(s.V - 4);
    rows.labels[i] = (int)r.below(s.K);
  }
  return rows;
}

}  // namespace

// Directional derivative of the loss by central differences along `dir` (a flat-buffer vector):
// compared with grads . dir it checks every gradient at once.
static double directional_fd(Encoder& m, const Rows& rows, const LossSpec& ls, const std::vector<float>& dir) {
  std::vector<float>& P = m.flat();
  const std::vector<float> P0 = P;
  double norm = 0;
  for (float d : dir) norm += (double)d * d;
  const double eps = 1e-2 / std::sqrt(norm);  // a step of length 1e-2 along dir
  for (size_t i = 0; i < P.size(); i++) P[i] = P0[i] + (float)(eps * dir[i]);
  const double lp = m.forward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
  for (size_t i = 0; i < P.size(); i++) P[i] = P0[i] - (float)(eps * dir[i]);
  const double lm = m.forward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
  P = P0;
  return (lp - lm) / (2 * eps);
}

TEST(grad_encoder) {
  // d loss along random directions: analytic (grads . dir) vs central differences, fp32 plan, both pools
  for (bool mean : {false, true}) {
    EncoderShape s = tiny_shape();
    s.mean_pool = mean;
    Encoder m;
    m.build(s, QuantPlan::uniform(s, EmbQuant::kFp32, llmc::Quant::kFp32), 4);
    m.init(7);
    const Rows rows = random_rows(s, 4, 3);
    LossSpec ls;
    m.forward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
    m.backward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
    const std::vector<float> G = m.grads();
    binllm::Rng r(11);
    for (int trial = 0; trial < 3; trial++) {
      std::vector<float> dir(G.size());
      for (auto& d : dir) d = (float)r.normal();
      double an = 0;
      for (size_t i = 0; i < G.size(); i++) an += (double)G[i] * dir[i];
      const double fd = directional_fd(m, rows, ls, dir);
      CHECK_MSG(std::fabs(an - fd) <= 2e-2 * std::fabs(fd) + 1e-4, "pool " + std::to_string(mean) + ": analytic " + std::to_string(an) + " vs fd " + std::to_string(fd));
    }
  }
}

TEST(grad_distill) {
  // the KL (temperature tau, weight alpha) and hidden-state MSE terms, against central differences
  EncoderShape s = tiny_shape();
  Encoder m;
  m.build(s, QuantPlan::uniform(s, EmbQuant::kFp32, llmc::Quant::kFp32), 4);
  m.init(5);
  const Rows rows = random_rows(s, 4, 9);
  binllm::Rng r(3);
  std::vector<float> tl((size_t)4 * s.K), th((size_t)4 * s.T * s.C);
  for (auto& x : tl) x = 2.f * (float)r.normal();
  for (auto& x : th) x = (float)r.normal();
  for (float alpha : {0.5f, 1.0f})
    for (float tau : {1.0f, 3.0f}) {
      LossSpec ls;
      ls.teacher_logits = tl.data();
      ls.teacher_hidden = th.data();
      ls.alpha = alpha;
      ls.tau = tau;
      ls.beta = 0.3f;
      m.forward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
      m.backward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
      const std::vector<float> G = m.grads();
      std::vector<float> dir(G.size());
      for (auto& d : dir) d = (float)r.normal();
      double an = 0;
      for (size_t i = 0; i < G.size(); i++) an += (double)G[i] * dir[i];
      const double fd = directional_fd(m, rows, ls, dir);
      CHECK_MSG(std::fabs(an - fd) <= 2e-2 * std::fabs(fd) + 1e-4, "alpha " + std::to_string(alpha) + " tau " + std::to_string(tau) + ": " + std::to_string(an) + " vs " + std::to_string(fd));
    }
}

TEST(grad_split) {
  // A split linear (binary rows + int4 rows): forward = the two parts side by side, backward = the
  // STE gradients of the parts (d loss / d w := d loss / d w_q); LoRA of an NF4 plan by differences.
  binllm::Rng r(1);
  QuantPlan plan;
  plan.rest = llmc::Quant::kInt4;
  plan.bin = llmc::Quant::kBinary;
  plan.group = 8;
  const int in = 16, out = 12, nb = 5, N = 3;
  SplitLinear sl;
  sl.configure(in, out, nb, plan);
  llmc::Carver sz;
  sl.carve(sz);
  std::vector<float> P(sz.off), G(sz.off, 0.f);
  llmc::Carver cp(P.data()), cg(G.data());
  SplitParams p = sl.carve(cp), g = sl.carve(cg);
  sl.init(p, r, 0.5f);
  for (int i = 0; i < out; i++) (i < nb ? p.bin.b[i] : p.rest.b[i - nb]) = 0.1f * i;
  std::vector<float> x((size_t)N * in), y((size_t)N * out), dy((size_t)N * out), dx((size_t)N * in, 0.f);
  for (auto& v : x) v = (float)r.normal();
  for (auto& v : dy) v = (float)r.normal();
  sl.forward(y.data(), x.data(), N, p);
  // reference: the two llmc parts alone
  llmc::Linear a = sl.bin, b = sl.rest;
  std::vector<float> ya((size_t)N * nb), yb((size_t)N * (out - nb));
  a.forward(ya.data(), x.data(), N, p.bin);
  b.forward(yb.data(), x.data(), N, p.rest);
  bool same = true;
  for (int n = 0; n < N; n++)
    for (int o = 0; o < out; o++) same = same && y[(size_t)n * out + o] == (o < nb ? ya[(size_t)n * nb + o] : yb[(size_t)n * (out - nb) + o - nb]);
  CHECK(same);
  sl.backward(dx.data(), g, dy.data(), x.data(), N, p);
  // STE: dW of the binary part = dy_bin^T x_q8 ; check one element against a double computation
  std::vector<float> xq((size_t)N * in);
  llmc::act8_fake_quant(xq.data(), x.data(), N, in);
  double want = 0;
  for (int n = 0; n < N; n++) want += (double)dy[(size_t)n * out + 2] * xq[(size_t)n * in + 3];
  CHECK(std::fabs(g.bin.w[2 * in + 3] - want) < 1e-4);
  double want_r = 0;  // int4 rows: no activation quantisation
  for (int n = 0; n < N; n++) want_r += (double)dy[(size_t)n * out + nb + 1] * x[(size_t)n * in + 4];
  CHECK(std::fabs(g.rest.w[1 * in + 4] - want_r) < 1e-4);
  double want_b = 0;
  for (int n = 0; n < N; n++) want_b += dy[(size_t)n * out + 7];
  CHECK(std::fabs(g.rest.b[7 - nb] - want_b) < 1e-5);
  // dx = dy_bin W_bin,q + dy_rest W_rest,q (STE through the 8-bit activations)
  std::vector<float> wa((size_t)nb * in), wb((size_t)(out - nb) * in);
  llmc::binary_fake_quant(wa.data(), p.bin.w, nb, in);
  llmc::int4_fake_quant(wb.data(), p.rest.w, (size_t)(out - nb) * in, 8);
  double dx0 = 0;
  for (int o = 0; o < out; o++) dx0 += (double)dy[1 * out + o] * (o < nb ? wa[(size_t)o * in + 2] : wb[(size_t)(o - nb) * in + 2]);
  CHECK_MSG(std::fabs(dx[1 * in + 2] - dx0) < 1e-4, std::to_string(dx[1 * in + 2]) + " vs " + std::to_string(dx0));

  // LoRA (NF4 base frozen): the whole encoder with an NF4 plan, directional differences in the
  // adapters only (the frozen base and NF4 embeddings are piecewise constant)
  EncoderShape s = tiny_shape();
  Encoder m;
  QuantPlan qp = QuantPlan::uniform(s, EmbQuant::kNf4, llmc::Quant::kNf4Lora);
  qp.group = 8;
  m.build(s, qp, 4);
  m.init(3);
  // give B non-zero values so both adapter gradients are exercised
  for (int l = 0; l < s.L; l++)
    for (int k = 0; k < 4; k++) {
      const auto& lp = m.params().layers[l].lin[k].rest;
      const SplitLinear& lin = m.linear(l, k);
      for (int i = 0; i < lin.out * qp.lora_rank; i++) lp.lora_b[i] = 0.05f * (float)r.normal();
    }
  const Rows rows = random_rows(s, 4, 2);
  LossSpec ls;
  m.forward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
  m.backward(rows.ids.data(), rows.lens.data(), rows.labels.data(), rows.n, ls);
  const std::vector<float> Gm = m.grads();
  std::vector<float> dir(Gm.size(), 0.f);
  const auto& kinds = m.kinds();
  double an = 0;
  for (size_t i = 0; i < dir.size(); i++)
    if (kinds[i] != llmc::kFrozen) {
      dir[i] = (float)r.normal();
      an += (double)Gm[i] * dir[i];
    }
  const double fd = directional_fd(m, rows, ls, dir);
  CHECK_MSG(std::fabs(an - fd) <= 2e-2 * std::fabs(fd) + 1e-4, "LoRA: " + std::to_string(an) + " vs " + std::to_string(fd));
}

TEST(overfit) {
  // a tiny sentiment task is learnt to >= 95% training accuracy
  TaskData t = make_synthetic("sentiment", 1, 64, 8);
  Tokenizer tok;
  tok.build("words", t.train, 1000);
  EncoderShape s;
  s.V = tok.vocab();
  s.T = 20;
  s.C = 32;
  s.L = 1;
  s.NH = 2;
  s.K = 2;
  const Rows tr = encode_rows(tok, t.train, s.T);
  Encoder m;
  m.build(s, QuantPlan::uniform(s, EmbQuant::kFp32, llmc::Quant::kFp32), 32);
  m.init(1);
  TrainOptions o;
  o.steps = 250;
  o.batch = 32;
  o.warmup = 10;
  o.lr = 5e-3f;
  train_encoder(m, tr, o);
  const EvalResult ev = evaluate_packed(m, false, tr, 32);
  const ClassMetrics cm = class_metrics(ev.pred, tr.labels, 2);
  CHECK_MSG(cm.accuracy >= 95.0, "train accuracy " + std::to_string(cm.accuracy));
}

TEST(threads) {
  // training (distilled bin-blocks student) and packed evaluation are bit-identical at 1 and 2 threads
  TaskData t = make_synthetic("chain", 2, 64, 32);
  Tokenizer tok;
  tok.build("words", t.train, 1000);
  EncoderShape s;
  s.V = tok.vocab();
  s.T = 24;
  s.C = 32;
  s.L = 2;
  s.NH = 4;
  s.K = 2;
  const Rows tr = encode_rows(tok, t.train, s.T), dv = encode_rows(tok, t.dev, s.T);
  std::vector<float> flat[2];
  std::vector<int> pred[2];
  VariantOptions vo;
  for (int th = 1; th <= 2; th++) {
    llmc::set_threads(th);
    Encoder teacher, student;
    teacher.build(s, plan_for(vo, "fp16", s), 16);
    teacher.init(4);
    TrainOptions o;
    o.steps = 6;
    o.batch = 16;
    train_encoder(teacher, tr, o);
    student.build(s, plan_for(vo, "bin-blocks", s), 16);
    student.init(5);
    student.load_from(teacher);
    o.teacher = &teacher;
    o.alpha = 0.5f;
    o.beta = 0.1f;
    train_encoder(student, tr, o);
    flat[th - 1] = student.flat();
    pred[th - 1] = evaluate_packed(student, false, dv, 8).pred;
  }
  llmc::set_threads(1);
  CHECK(flat[0].size() == flat[1].size() && std::memcmp(flat[0].data(), flat[1].data(), flat[0].size() * 4) == 0);
  CHECK(pred[0] == pred[1]);
}

TEST(budget) {
  // the pure matcher, and the built model's real bits within 1% of bin-embed's on several shapes
  std::vector<BudgetBlock> blocks = {{"a", 10, 100, 20}, {"b", 10, 50, 10}};
  BudgetMatch m = match_budget(blocks, 2000, 1000, 0.01);  // a whole (800) + 5 rows of b (200)
  CHECK(m.ok && m.bin_rows[0] == 10 && m.bin_rows[1] == 5 && std::fabs(m.bits - 1000) < 1e-9);
  CHECK(!match_budget(blocks, 2000, 2100, 0.01).ok);  // target above the unbinarised model
  CHECK(!match_budget(blocks, 2000, 500, 0.01).ok);   // more than every block can save
  VariantOptions vo;
  vo.group = 16;
  int shapes = 0;
  for (int C : {32, 64, 128})
    for (int L : {1, 2, 4})
      for (int V : {60, 259, 1000}) {
        EncoderShape s;
        s.C = C;
        s.L = L;
        s.V = V;
        s.T = 32;
        s.NH = 4;
        s.K = 2;
        std::vector<BudgetChoice> ch;
        double target = 0, got = 0;
        try {
          match_bin_embed(vo, s, &ch, &target, &got);
          CHECK_MSG(std::fabs(got - target) <= 0.01 * target, std::to_string(got) + " vs " + std::to_string(target));
          CHECK(!ch.empty());
          shapes++;
        } catch (const BudgetError& e) {
          // only a vocabulary whose embedding saving exceeds every block's is unmatchable
          CHECK_MSG(V == 1000 && C * L <= 64, std::string("unexpected: ") + e.what());
        }
      }
  CHECK(shapes >= 20);
  EncoderShape big;
  big.C = 16;
  big.L = 1;
  big.V = 100000;
  big.T = 8;
  big.NH = 2;
  std::vector<BudgetChoice> ch;
  double a = 0, b = 0;
  CHECK_THROWS(BudgetError, match_bin_embed(vo, big, &ch, &a, &b), "saves");
}

namespace {
std::string tmpdir() {
  char buf[] = "/tmp/nlu-test-XXXXXX";
  return mkdtemp(buf);
}
void write(const std::string& p, const std::string& s) { std::ofstream(p) << s; }
}  // namespace

TEST(glue_tsv) {
  const std::string root = tmpdir();
  ::mkdir((root + "/SST-2").c_str(), 0755);
  write(root + "/SST-2/train.tsv", "sentence\tlabel\na fine film\t1\na dull film\t0\n");
  write(root + "/SST-2/dev.tsv", "sentence\tlabel\nfine\t1\n");
  ::mkdir((root + "/RTE").c_str(), 0755);
  write(root + "/RTE/train.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta dog runs\tan animal runs\tentailment\n1\ta dog runs\ta cat runs\tnot_entailment\n");
  write(root + "/RTE/dev.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tnot_entailment\n");
  ::mkdir((root + "/CoLA").c_str(), 0755);
  write(root + "/CoLA/train.tsv", "gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\ngj04\t0\t*\tThe more we study verbs.\n");
  write(root + "/CoLA/dev.tsv", "gj04\t1\t\tGood.\n");
  const std::vector<TaskData> ts = load_glue_dir(root);
  CHECK(ts.size() == 3);
  CHECK(ts[0].name == "CoLA" && !ts[0].pair && ts[0].train.size() == 2 && ts[0].train[1].label == 0 &&
        ts[0].train[0].a == "The sailors rode the breeze clear of the rocks.");
  CHECK(ts[1].name == "RTE" && ts[1].pair && ts[1].train[0].b == "an animal runs" && ts[1].train[0].label == 0 && ts[1].train[1].label == 1);
  CHECK(ts[2].name == "SST-2" && ts[2].train.size() == 2 && ts[2].dev.size() == 1 && ts[2].n_classes == 2);
  // bad input: file and line named
  ::mkdir((root + "/bad").c_str(), 0755);
  write(root + "/bad/train.tsv", "sentence\tlabel\nok\t1\nno label here\n");
  write(root + "/bad/dev.tsv", "sentence\tlabel\nok\t1\n");
  CHECK_THROWS(binllm::ConfigError, load_glue_task(root + "/bad", "bad"), "bad/train.tsv:3", "column");
  write(root + "/bad/train.tsv", "sentence\tlabel\nok\t1\nfine\tpositive\n");
  CHECK_THROWS(binllm::ConfigError, load_glue_task(root + "/bad", "bad"), "bad/train.tsv:3", "not an integer");
  write(root + "/bad/train.tsv", "text\tlabel\nok\t1\n");
  CHECK_THROWS(binllm::ConfigError, load_glue_task(root + "/bad", "bad"), "bad/train.tsv:1", "sentence");
  CHECK_THROWS(binllm::ConfigError, load_glue_dir(root + "/nope"), "nope");
  ::mkdir((root + "/empty").c_str(), 0755);
  CHECK_THROWS(binllm::ConfigError, load_glue_dir(root + "/empty"), "missing task folder");
  // the tokenizer: [CLS] a [SEP] b [SEP], pads, cut the longer side first
  Tokenizer tok;
  tok.build("bytes", {}, 0);
  int ids[8];
  CHECK(tok.encode({"abc", "de", 0}, 8, ids) == 8 && ids[0] == kCls && ids[1] == 3 + 'a' && ids[4] == kSep && ids[5] == 3 + 'd' && ids[7] == kSep);
  CHECK(tok.encode({"abcdef", "xy", 0}, 8, ids) == 8 && ids[4] == kSep && ids[5] == 3 + 'x');
  CHECK(tok.encode({"a", "", 0}, 8, ids) == 3 && ids[3] == kPad);
}

TEST(packed_vs_fakequant) {
  // the packed model (bits, codes, int8 activations) gives the fake-quant training forward's logits
  EncoderShape s = tiny_shape();
  s.C = 32;
  s.NH = 4;
  const Rows rows = random_rows(s, 5, 8);
  for (const char* q : {"fp16", "int4", "int4-qat", "bin-blocks", "bin-embed", "ternary", "match"}) {
    VariantOptions vo;
    vo.group = 16;
    std::string quant = q;
    if (quant == "int4-qat") {
      vo.int4_mode = "qat";
      quant = "int4";
    }
    if (quant == "ternary") {
      vo.bin_weights = "ternary";
      quant = "bin-blocks";
    }
    QuantPlan plan;
    if (quant == "match") {
      std::vector<BudgetChoice> ch;
      double a, b;
      plan = match_bin_embed(vo, s, &ch, &a, &b);
    } else {
      plan = plan_for(vo, quant, s);
    }
    Encoder m;
    m.build(s, plan, 5);
    m.init(3);
    // non-trivial LoRA and biases
    binllm::Rng r(9);
    for (size_t i = 0; i < m.flat().size(); i++)
      if (m.kinds()[i] != llmc::kFrozen) m.flat()[i] += 0.01f * (float)r.normal();
    m.forward(rows.ids.data(), rows.lens.data(), nullptr, rows.n, LossSpec{});
    std::vector<float> want(m.logits(), m.logits() + rows.n * s.K);
    PackedEncoder pe;
    pe.pack(m, false);
    std::vector<float> got(rows.n * s.K);
    pe.forward(rows.ids.data(), rows.lens.data(), rows.n, got.data());
    double err = 0, mag = 0;
    for (size_t i = 0; i < got.size(); i++) {
      err = std::max(err, (double)std::fabs(got[i] - want[i]));
      mag = std::max(mag, (double)std::fabs(want[i]));
    }
    CHECK_MSG(err <= 1e-4 * std::max(1.0, mag), std::string(q) + ": max |packed - fake-quant| = " + std::to_string(err));
    const double bits = m.storage_bits(), bytes = (double)pe.weight_bytes();
    if (quant != "fp16") CHECK_MSG(std::fabs(bytes * 8 - bits) <= 0.02 * bits + 64 * 8, std::string(q) + ": packed bytes " + std::to_string(bytes) + " vs bits/8 " + std::to_string(bits / 8));
  }
  CHECK(half_to_float(float_to_half(1.0f)) == 1.0f && float_to_half(1.0f) == 0x3c00 && float_to_half(-2.0f) == 0xc000);
  CHECK(float_to_half(65504.f) == 0x7bff && float_to_half(1e6f) == 0x7c00 && half_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(float_to_half(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);  // a tie rounds to even
}

TEST(metrics) {
  // confusion [[tn 3, fp 1], [fn 2, tp 4]]: acc 70, F1 = 8/11, MCC = (12-2)/sqrt(4*6*5*5)
  std::vector<int> gold = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1}, pred = {0, 0, 0, 1, 0, 0, 1, 1, 1, 1};
  ClassMetrics m = class_metrics(pred, gold, 2);
  CHECK(std::fabs(m.accuracy - 70.0) < 1e-12);
  CHECK(std::fabs(m.f1 - 100.0 * 8 / 11) < 1e-12);
  CHECK(std::fabs(m.mcc - 100.0 * 10 / std::sqrt(4.0 * 6 * 5 * 5)) < 1e-12);
  // three classes: Gorodkin's R_K from the confusion matrix by hand
  std::vector<int> g3 = {0, 0, 1, 1, 2, 2}, p3 = {0, 1, 1, 1, 2, 0};
  m = class_metrics(p3, g3, 3);
  // c = 4, n = 6, p = (2,3,1), t = (2,2,2): (24 - 12) / sqrt((36-14)(36-12))
  CHECK(std::fabs(m.mcc - 100.0 * 12 / std::sqrt(22.0 * 24)) < 1e-12);
  CHECK(std::fabs(m.f1 - 100.0 * (0.5 + 0.8 + 2.0 / 3) / 3) < 1e-12);
}

TEST(synthetic) {
  // each generator: deterministic per seed, different across seeds, roughly balanced labels
  for (auto& info : synthetic_tasks()) {
    TaskData a = make_synthetic(info.name, 5, 400, 100), b = make_synthetic(info.name, 5, 400, 100),
             c = make_synthetic(info.name, 6, 400, 100);
    bool same = a.train.size() == b.train.size(), diff = false;
    int pos = 0;
    for (size_t i = 0; i < a.train.size(); i++) {
      same = same && a.train[i].a == b.train[i].a && a.train[i].b == b.train[i].b && a.train[i].label == b.train[i].label;
      diff = diff || a.train[i].a != c.train[i].a;
      pos += a.train[i].label;
    }
    CHECK_MSG(same && diff, info.name);
    CHECK_MSG(pos > 120 && pos < 280, std::string(info.name) + ": " + std::to_string(pos) + "/400 positive");
    CHECK(a.pair == info.pair && (a.family == std::string("classification") || a.family == std::string("reasoning")));
  }
  // sentiment labels follow the negation rule on a hand-made case
  CHECK(find_synthetic("chain") && std::string(find_synthetic("chain")->family) == "reasoning");
  CHECK(find_synthetic("nope") == nullptr);
}

int main(int argc, char** argv) { return bt::run_all(argc, argv); }
