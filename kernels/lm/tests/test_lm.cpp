// Unit tests of the LM kernel's math core. Usage: lm_tests <name>|all
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "util.hpp"
#include "../data.hpp"
#include "../model.hpp"
#include "../safetensors.hpp"

using namespace lm;


static std::vector<float> randvec(size_t n, Rng& r, float sd = 1.f) {
  std::vector<float> v(n);
  for (auto& x : v) x = sd * r.normal();
  return v;
}

// Compare analytic gradient `an` of f w.r.t. x against central differences on a few entries.
static void fd_check(const char* what, std::vector<float>& x, const std::vector<float>& an,
                     const std::function<double()>& f, int max_checks = 24, float eps = 1e-3f,
                     double rtol = 2e-2, double atol = 2e-3) {
  Rng r(42);
  const size_t n = x.size();
  double worst = 0;
  for (int c = 0; c < max_checks && c < (int)n; c++) {
    const size_t i = n <= (size_t)max_checks ? (size_t)c : (size_t)r.below(n);
    const float x0 = x[i];
    x[i] = x0 + eps;
    const double fp = f();
    x[i] = x0 - eps;
    const double fm = f();
    x[i] = x0;
    const double fd = (fp - fm) / (2.0 * eps);
    const double err = std::fabs(fd - an[i]);
    worst = std::max(worst, err / (atol + rtol * std::fabs(fd)));
    CHECK(err <= atol + rtol * std::fabs(fd), "%s[%zu]: analytic %.6g vs finite-difference %.6g",
          what, i, (double)an[i], fd);
  }
  std::printf("  %-28s worst err/tol = %.3f\n", what, worst);
}

static double weighted(const std::vector<float>& out, const std::vector<float>& w) {
  double s = 0;
  for (size_t i = 0; i < out.size(); i++) s += (double)out[i] * w[i];
  return s;
}

static void test_grad_layers() {
  Rng r(1);
  const int N = 6, C = 8, OC = 12;
  {  // layernorm
    auto x = randvec(N * C, r), w = randvec(C, r), b = randvec(C, r), g = randvec(N * C, r);
    std::vector<float> out(N * C), mean(N), rstd(N), dx(N * C, 0), dw(C, 0), db(C, 0);
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
    layernorm_backward(dx.data(), dw.data(), db.data(), g.data(), x.data(), w.data(), mean.data(),
                       rstd.data(), N, C);
    auto f = [&]() {
      layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), N, C);
      return weighted(out, g);
    };
    fd_check("layernorm dinp", x, dx, f);
    fd_check("layernorm dw", w, dw, f);
    fd_check("layernorm db", b, db, f);
  }
  {  // linear
    auto x = randvec(N * C, r), w = randvec(OC * C, r), b = randvec(OC, r), g = randvec(N * OC, r);
    std::vector<float> out(N * OC), sc(N * OC + C * OC), dx(N * C, 0), dw(OC * C, 0), db(OC, 0);
    linear_backward(dx.data(), dw.data(), db.data(), g.data(), x.data(), w.data(), N, C, OC,
                    sc.data());
    auto f = [&]() {
      linear_forward(out.data(), x.data(), w.data(), b.data(), N, C, OC, sc.data());
      return weighted(out, g);
    };
    fd_check("linear dinp", x, dx, f);
    fd_check("linear dw", w, dw, f);
    fd_check("linear db", b, db, f);
  }
  {  // gelu
    auto x = randvec(N * C, r, 2.f), g = randvec(N * C, r);
    std::vector<float> out(N * C), dx(N * C, 0);
    gelu_backward(dx.data(), x.data(), g.data(), N * C);
    auto f = [&]() {
      gelu_forward(out.data(), x.data(), N * C);
      return weighted(out, g);
    };
    fd_check("gelu dinp", x, dx, f);
  }
  {  // attention
    const int B = 2, T = 5, AC = 8, NH = 2;
    auto qkv = randvec(B * T * 3 * AC, r), g = randvec(B * T * AC, r);
    std::vector<float> out(B * T * AC), att(B * NH * T * T), dqkv(B * T * 3 * AC, 0);
    attention_forward(out.data(), att.data(), qkv.data(), B, T, AC, NH);
    attention_backward(dqkv.data(), g.data(), qkv.data(), att.data(), B, T, AC, NH);
    auto f = [&]() {
      attention_forward(out.data(), att.data(), qkv.data(), B, T, AC, NH);
      return weighted(out, g);
    };
    fd_check("attention dqkv", qkv, dqkv, f, 60);
  }
  {  // softmax cross-entropy (mean over rows)
    const int V = 7;
    auto lg = randvec(N * V, r, 2.f);
    std::vector<int> tg(N);
    for (int i = 0; i < N; i++) tg[i] = (int)r.below(V);
    std::vector<float> probs(N * V), losses(N), dl(N * V);
    crossentropy_forward(probs.data(), losses.data(), lg.data(), tg.data(), N, V);
    crossentropy_backward(dl.data(), probs.data(), tg.data(), N, V, 1.0f / N);
    auto f = [&]() {
      crossentropy_forward(probs.data(), losses.data(), lg.data(), tg.data(), N, V);
      double s = 0;
      for (float l : losses) s += l;
      return s / N;
    };
    fd_check("crossentropy dlogits", lg, dl, f);
  }
}

static ModelShape tiny_shape(bool tied) {
  ModelShape s;
  s.vocab = 11;
  s.ctx = 8;
  s.d_model = 8;
  s.n_layers = 2;
  s.n_heads = 2;
  s.tied = tied;
  return s;
}

static void test_grad_model() {
  for (int tied = 0; tied <= 1; tied++) {
    Model m;
    m.init(tiny_shape(tied), 7);
    // larger weights than the default init so every path carries signal
    Rng r(3);
    for (auto& p : m.params) p += 0.1f * r.normal();
    const int B = 2, T = 6;
    std::vector<int> in(B * T), tg(B * T);
    for (int i = 0; i < B * T; i++) {
      in[i] = (int)r.below(11);
      tg[i] = (int)r.below(11);
    }
    Trainer tr;
    tr.setup(&m, B, T);
    tr.forward(in.data(), tg.data());
    tr.backward(in.data(), tg.data());
    std::vector<float> g = tr.grads;
    auto f = [&]() { return (double)tr.forward(in.data(), tg.data()); };
    const ParamLayout& P = m.L;
    struct T_ {
      const char* name;
      size_t off, n;
    };
    const size_t C = 8, Lr = 2, V = 11;
    std::vector<T_> ts = {{"wte", P.wte, V * C},           {"wpe", P.wpe, 8 * C},
                          {"ln1w", P.ln1w, Lr * C},        {"ln1b", P.ln1b, Lr * C},
                          {"qkvw", P.qkvw, Lr * 3 * C * C}, {"qkvb", P.qkvb, Lr * 3 * C},
                          {"attprojw", P.attprojw, Lr * C * C}, {"attprojb", P.attprojb, Lr * C},
                          {"ln2w", P.ln2w, Lr * C},        {"ln2b", P.ln2b, Lr * C},
                          {"fcw", P.fcw, Lr * 4 * C * C},  {"fcb", P.fcb, Lr * 4 * C},
                          {"fcprojw", P.fcprojw, Lr * 4 * C * C}, {"fcprojb", P.fcprojb, Lr * C},
                          {"lnfw", P.lnfw, C},             {"lnfb", P.lnfb, C}};
    if (!tied) ts.push_back({"lmw", P.lmw, V * C});
    for (auto& t : ts) {
      // check through a view: copy the slice, perturb it inside the model
      std::vector<float> slice(m.params.begin() + t.off, m.params.begin() + t.off + t.n);
      std::vector<float> gslice(g.begin() + t.off, g.begin() + t.off + t.n);
      auto ff = [&]() {
        std::copy(slice.begin(), slice.end(), m.params.begin() + t.off);
        return f();
      };
      std::string nm = std::string(tied ? "tied " : "untied ") + t.name;
      fd_check(nm.c_str(), slice, gslice, ff, 12, 1e-2f, 3e-2, 1e-3);
      std::copy(slice.begin(), slice.end(), m.params.begin() + t.off);
    }
  }
}

static std::vector<int> bytes_of(const std::string& s) {
  std::vector<int> v;
  for (unsigned char c : s) v.push_back(c);
  return v;
}

// Train `steps` AdamW steps on random windows of `data`; returns the last loss.
static float train_on(Model& m, const std::vector<int>& data, int B, int T, int steps, float lr,
                      uint64_t seed) {
  Trainer tr;
  tr.setup(&m, B, T);
  Rng r(seed);
  std::vector<int> in(B * T), tg(B * T);
  float loss = 0;
  for (int s = 0; s < steps; s++) {
    for (int b = 0; b < B; b++) {
      size_t o = (size_t)r.below(data.size() - T - 1);
      for (int t = 0; t < T; t++) {
        in[b * T + t] = data[o + t];
        tg[b * T + t] = data[o + t + 1];
      }
    }
    loss = tr.forward(in.data(), tg.data());
    tr.backward(in.data(), tg.data());
    tr.update(lr, 0.9f, 0.95f, 1e-8f, 0.0f, 1.0f);
  }
  return loss;
}

static void test_overfit() {
  const std::string text = "the quick brown fox jumps over the lazy dog; binary caches! ";
  std::vector<int> data;
  for (int i = 0; i < 8; i++) {
    auto b = bytes_of(text);
    data.insert(data.end(), b.begin(), b.end());
  }
  ModelShape s;
  s.vocab = 256;
  s.ctx = 32;
  s.d_model = 32;
  s.n_layers = 2;
  s.n_heads = 4;
  Model m;
  m.init(s, 5);
  const float l0 = train_on(m, data, 4, 32, 1, 0.f, 1);
  const float l = train_on(m, data, 8, 32, 200, 3e-3f, 2);
  std::printf("  overfit: loss %.3f -> %.4f\n", l0, l);
  CHECK(l0 > 5.0f, "initial loss %.3f should be near log(256)", l0);
  CHECK(l < 0.15f, "tiny model did not overfit a tiny text: loss %.4f", l);
  // and evaluation agrees with training forward
  long cnt = 0;
  const double nll = eval_stream(m, data, 32, 4, EvalOptions{}, &cnt);
  std::printf("  eval nll on the same text: %.4f over %ld tokens\n", nll, cnt);
  CHECK(nll < 0.5, "eval nll %.4f", nll);
}

static Model trained_small(uint64_t seed, std::vector<int>* valid_out) {
  MarkovSource src;
  src.init(16, 2, 2.0, seed);
  Rng r(seed);
  auto train = src.generate(40000, r);
  auto valid = src.generate(4000, r);
  ModelShape s;
  s.vocab = 16;
  s.ctx = 32;
  s.d_model = 32;
  s.n_layers = 2;
  s.n_heads = 2;
  Model m;
  m.init(s, seed);
  train_on(m, train, 8, 32, 150, 3e-3f, seed + 1);
  if (valid_out) *valid_out = valid;
  return m;
}

static void test_kv_fp16() {
  std::vector<int> valid;
  Model m = trained_small(11, &valid);
  const int B = 4, T = 32;
  std::vector<int> in(valid.begin(), valid.begin() + B * T);
  std::vector<float> l32(B * T * 16), l16(B * T * 16);
  EvalOptions o32, o16;
  o16.kv = KvMode::FP16;
  eval_forward(m, in.data(), nullptr, B, T, o32, l32.data(), nullptr);
  eval_forward(m, in.data(), nullptr, B, T, o16, l16.data(), nullptr);
  // training forward gives the same logits as the fp32 evaluation path
  Trainer tr;
  tr.setup(&m, B, T);
  tr.forward(in.data(), nullptr);
  double dtrain = 0, d16 = 0, mag = 0;
  for (size_t i = 0; i < l32.size(); i++) {
    dtrain = std::max(dtrain, (double)std::fabs(tr.logits()[i] - l32[i]));
    d16 = std::max(d16, (double)std::fabs(l16[i] - l32[i]));
    mag = std::max(mag, (double)std::fabs(l32[i]));
  }
  std::printf("  max|logit| %.3f, train-vs-eval %.2e, fp16-vs-fp32 %.2e\n", mag, dtrain, d16);
  CHECK(dtrain < 1e-4, "fp32 eval logits differ from training forward by %.3g", dtrain);
  CHECK(d16 < 5e-3 * std::max(1.0, mag), "fp16 KV changes logits by %.3g", d16);
  CHECK(d16 > 0, "fp16 KV should not be exactly fp32");
}

static void test_kv_order() {
  // 1) quantizer round-trip error on Gaussian channels with per-channel spread
  Rng r(5);
  const int Tn = 128, C = 64, G = 32;
  std::vector<float> x(Tn * C);
  for (int t = 0; t < Tn; t++)
    for (int c = 0; c < C; c++) x[t * C + c] = (0.5f + (c % 7) * 0.3f) * r.normal();
  double ref = 0;
  for (float v : x) ref += (double)v * v;
  auto relmse_int = [&](int bits) {
    std::vector<float> y = x;
    for (int t = 0; t < Tn; t++)
      for (int g = 0; g < C; g += G) quant_group_int(y.data() + t * C + g, G, bits);
    double e = 0;
    for (size_t i = 0; i < x.size(); i++) e += (double)(y[i] - x[i]) * (y[i] - x[i]);
    return e / ref;
  };
  // bin: the last query's view (scale over all cached tokens)
  std::vector<float> sc(C, 0.f);
  for (int t = 0; t < Tn; t++)
    for (int c = 0; c < C; c++) sc[c] = bin_scale_update(sc[c], std::fabs(x[t * C + c]), t);
  double eb = 0;
  for (int t = 0; t < Tn; t++)
    for (int c = 0; c < C; c++) {
      double y = sign_pm1(x[t * C + c]) * sc[c];
      eb += (y - x[t * C + c]) * (y - x[t * C + c]);
    }
  eb /= ref;
  double e16 = 0;
  for (float v : x) e16 += (double)(round_fp16(v) - v) * (round_fp16(v) - v);
  e16 /= ref;
  const double e8 = relmse_int(8), e4 = relmse_int(4), e2 = relmse_int(2);
  std::printf("  rel. MSE: fp16 %.2e int8 %.2e int4 %.2e int2 %.2e bin %.2e\n", e16, e8, e4, e2,
              eb);
  CHECK(e16 < 1e-6 && e8 < 1e-4 && e4 < 2e-2 && e2 < 0.25 && eb < 0.45,
        "quantizer error above its bound");
  CHECK(e16 < e8 && e8 < e4 && e4 < e2 && e2 < eb, "quantizer error order violated");
  // 2) effect on a trained model's logits and NLL
  std::vector<int> valid;
  Model m = trained_small(12, &valid);
  const int B = 8, T = 32, V = 16;
  std::vector<int> in(valid.begin(), valid.begin() + B * T),
      tg(valid.begin() + 1, valid.begin() + B * T + 1);
  std::vector<float> base(B * T * V), q(B * T * V);
  std::vector<double> nll(B * T);
  eval_forward(m, in.data(), nullptr, B, T, EvalOptions{}, base.data(), nullptr);
  const KvMode modes[] = {KvMode::FP16, KvMode::INT8, KvMode::INT4, KvMode::INT2, KvMode::BIN};
  const char* names[] = {"fp16", "int8", "int4", "int2", "bin"};
  double prev = -1;
  for (int i = 0; i < 5; i++) {
    EvalOptions o;
    o.kv = modes[i];
    o.kv_group = 16;
    eval_forward(m, in.data(), tg.data(), B, T, o, q.data(), nll.data());
    double e = 0, n = 0;
    for (size_t j = 0; j < q.size(); j++) e += (double)(q[j] - base[j]) * (q[j] - base[j]);
    for (double v : nll) n += v;
    e = std::sqrt(e / q.size());
    std::printf("  kv %-5s logit RMS error %.3e  nll %.4f\n", names[i], e, n / nll.size());
    CHECK(e > prev, "logit error of kv=%s (%.3g) not above the previous setting's (%.3g)",
          names[i], e, prev);
    prev = e;
  }
  CHECK(kv_cache_bytes(m.shape, KvMode::BIN, 128, 32) * 3.5 <=
            kv_cache_bytes(m.shape, KvMode::INT4, 128, 32),
        "bin cache not <= int4/3.5 at L=128");
}

// Quantized-KV attention against a naive reference that, for every query t, materializes the
// cache as it stands at step t (dequantized K/V of positions 0..t, own token included) and runs
// plain softmax attention in double precision.
static void test_kv_reference() {
  const int B = 2, T = 9, C = 8, NH = 2, hs = C / NH, G = 4;
  Rng r(31);
  std::vector<float> qkv0 = randvec((size_t)B * T * 3 * C, r);
  for (size_t i = 0; i < qkv0.size(); i++) qkv0[i] += (i % 5) * 0.2f;  // channel offsets
  const KvMode modes[] = {KvMode::FP16, KvMode::INT8, KvMode::INT4, KvMode::INT2, KvMode::BIN};
  for (KvMode mode : modes) {
    EvalOptions o;
    o.kv = mode;
    o.kv_group = G;
    std::vector<float> qkv = qkv0, ks((size_t)B * T * C), vs((size_t)B * T * C), out((size_t)B * T * C);
    const bool bin = mode == KvMode::BIN;
    quantize_kv(qkv.data(), ks.data(), vs.data(), B, T, C, o);
    attention_eval(out.data(), qkv.data(), bin ? ks.data() : nullptr, bin ? vs.data() : nullptr, B, T, C, NH);
    double worst = 0;
    for (int b = 0; b < B; b++)
      for (int t = 0; t < T; t++) {
        // the cache at step t: K^, V^ for s <= t
        std::vector<double> Kh((size_t)(t + 1) * C), Vh((size_t)(t + 1) * C);
        for (int part = 0; part < 2; part++) {
          std::vector<double>& X = part ? Vh : Kh;
          for (int c = 0; c < C; c++) {
            float S = 0.f;
            for (int s = 0; s <= t; s++) {
              const float x = qkv0[((size_t)b * T + s) * 3 * C + (1 + part) * C + c];
              S = bin_scale_update(S, std::fabs(x), s);
            }
            for (int s = 0; s <= t; s++) {
              const float x = qkv0[((size_t)b * T + s) * 3 * C + (1 + part) * C + c];
              if (bin) X[(size_t)s * C + c] = (x >= 0 ? 1.0 : -1.0) * S;
              else if (mode == KvMode::FP16) X[(size_t)s * C + c] = round_fp16(x);
            }
          }
          if (!bin && mode != KvMode::FP16)
            for (int s = 0; s <= t; s++)
              for (int g = 0; g < C; g += G) {
                float grp[G];
                for (int i = 0; i < G; i++) grp[i] = qkv0[((size_t)b * T + s) * 3 * C + (1 + part) * C + g + i];
                quant_group_int(grp, G, kv_bits(mode));
                for (int i = 0; i < G; i++) X[(size_t)s * C + g + i] = grp[i];
              }
        }
        for (int h = 0; h < NH; h++) {
          const float* q = qkv0.data() + ((size_t)b * T + t) * 3 * C + h * hs;
          std::vector<double> sc(t + 1);
          double mx = -1e300;
          for (int s = 0; s <= t; s++) {
            double d = 0;
            for (int i = 0; i < hs; i++) d += (double)q[i] * Kh[(size_t)s * C + h * hs + i];
            sc[s] = d / std::sqrt((double)hs);
            mx = std::max(mx, sc[s]);
          }
          double sum = 0;
          for (auto& v : sc) sum += (v = std::exp(v - mx));
          for (int i = 0; i < hs; i++) {
            double acc = 0;
            for (int s = 0; s <= t; s++) acc += sc[s] / sum * Vh[(size_t)s * C + h * hs + i];
            worst = std::max(worst, std::fabs(acc - out[((size_t)b * T + t) * C + h * hs + i]));
          }
        }
      }
    std::printf("  kv mode %d: max |attention - reference| = %.2e\n", (int)mode, worst);
    CHECK(worst < 2e-5, "quantized attention differs from the reference by %.3g (mode %d)", worst, (int)mode);
  }
}

static void test_fp16_rounding() {
#ifdef __FLT16_MAX__
  Rng r(9);
  int bad = 0;
  for (int i = 0; i < 200000; i++) {
    float x = r.normal() * std::pow(2.0f, (float)(int)r.below(40) - 30);
    float ref = (float)(_Float16)x;
    if (std::fabs(x) >= 65504.f) continue;
    if (round_fp16(x) != ref) bad++;
  }
  CHECK(bad == 0, "%d values round differently from _Float16", bad);
  std::printf("  round_fp16 agrees with _Float16 on 200000 values\n");
#else
  std::printf("  (no _Float16 on this compiler; skipped)\n");
#endif
  CHECK(round_fp16(1.0f) == 1.0f && round_fp16(1e6f) == 65504.f && round_fp16(-1e6f) == -65504.f,
        "round_fp16 basic values");
}

static void test_determinism() {
  std::vector<float> p1, p2;
  double n1 = 0, n2 = 0;
  for (int th : {1, 2}) {
    set_threads(th);
    std::vector<int> valid;
    Model m = trained_small(21, &valid);
    EvalOptions o;
    o.kv = KvMode::BIN;
    long c = 0;
    double nll = eval_stream(m, valid, 24, 4, o, &c);
    (th == 1 ? p1 : p2) = m.params;
    (th == 1 ? n1 : n2) = nll;
  }
  set_threads(2);
  CHECK(p1 == p2, "trained parameters differ between 1 and 2 threads");
  CHECK(n1 == n2, "eval NLL differs between 1 and 2 threads: %.17g vs %.17g", n1, n2);
  std::printf("  1 vs 2 threads: params identical=%d, nll %.17g / %.17g\n", (int)(p1 == p2), n1,
              n2);
}

static void test_markov() {
  MarkovSource s;
  s.init(8, 2, 1.5, 3);
  const double H = s.entropy_rate();
  Rng r(4);
  auto st = s.generate(400000, r);
  const double emp = s.stream_nll(st);
  std::printf("  entropy rate %.4f nats, empirical %.4f\n", H, emp);
  CHECK(H > 0.1 && H < std::log(8.0), "entropy rate out of range");
  CHECK(std::fabs(emp - H) < 0.01, "empirical NLL %.4f far from the entropy rate %.4f", emp, H);
}

static void test_safetensors() {
  // A small GPT-2-layout checkpoint written here from a random model must load back to the same
  // model and give the same evaluation.
  Model m;
  ModelShape s;
  s.vocab = 40;
  s.ctx = 16;
  s.d_model = 16;
  s.n_layers = 2;
  s.n_heads = 2;
  m.init(s, 77);
  Rng r(78);
  for (auto& p : m.params) p += 0.05f * r.normal();
  const std::string path = "lm_test_gpt2.safetensors";
  std::string err;
  CHECK(write_gpt2_safetensors(path, m, &err), "write: %s", err.c_str());
  Model m2;
  CHECK(load_gpt2_safetensors(path, 2, m2, &err), "load: %s", err.c_str());
  CHECK(m2.shape.vocab == 40 && m2.shape.ctx == 16 && m2.shape.d_model == 16 &&
            m2.shape.n_layers == 2 && m2.shape.tied,
        "loaded shape wrong");
  CHECK(m2.params == m.params, "loaded parameters differ");
  std::vector<int> in(2 * 16);
  for (auto& t : in) t = (int)r.below(40);
  std::vector<float> a(2 * 16 * 40), b(2 * 16 * 40);
  eval_forward(m, in.data(), nullptr, 2, 16, EvalOptions{}, a.data(), nullptr);
  eval_forward(m2, in.data(), nullptr, 2, 16, EvalOptions{}, b.data(), nullptr);
  CHECK(a == b, "logits differ after the safetensors round trip");
  Model m3;
  CHECK(!load_gpt2_safetensors("does-not-exist.safetensors", 2, m3, &err), "missing file loads");
  std::remove(path.c_str());
  std::printf("  safetensors round trip ok\n");
}

int main(int argc, char** argv) {
  set_threads(2);
  const std::string which = argc > 1 ? argv[1] : "all";
  const TestCase cases[] = {{"grad_layers", test_grad_layers},   {"grad_model", test_grad_model},
                            {"overfit", test_overfit},           {"kv_fp16", test_kv_fp16},
                            {"kv_order", test_kv_order},         {"kv_reference", test_kv_reference},
                            {"fp16_rounding", test_fp16_rounding}, {"determinism", test_determinism},
                            {"markov", test_markov},             {"safetensors", test_safetensors}};
  return run_cases(which, cases);
}
