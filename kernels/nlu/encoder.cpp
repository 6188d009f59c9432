// The NLU encoder (see encoder.hpp): carving, init, forward, backward, storage accounting.
#include "encoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "llmc/quant.hpp"

namespace nlu {

const char* emb_quant_name(EmbQuant q) {
  switch (q) {
    case EmbQuant::kFp32: return "fp32";
    case EmbQuant::kInt4: return "int4";
    case EmbQuant::kNf4: return "nf4";
    case EmbQuant::kBinary: return "binary";
  }
  return "?";
}

const char* block_name(int kind) {
  static const char* n[4] = {"qkv", "attn_proj", "fc", "fc_proj"};
  return n[kind];
}

QuantPlan QuantPlan::uniform(const EncoderShape& s, EmbQuant emb, llmc::Quant rest) {
  QuantPlan p;
  p.wte = p.wpe = emb;
  p.rest = rest;
  p.bin_rows.assign((size_t)s.L * 4, 0);
  return p;
}

// ---------------------------------------------------------------- SplitLinear

void SplitLinear::configure(int in_, int out_, int nb_, const QuantPlan& plan) {
  in = in_;
  out = out_;
  nb = std::max(0, std::min(nb_, out_));
  llmc::LinearConfig c;
  c.in = in;
  c.bias = true;
  c.group = plan.group;
  c.lora_rank = plan.lora_rank;
  c.lora_alpha = plan.lora_alpha;
  if (nb > 0) {
    c.out = nb;
    c.quant = plan.bin;
    bin = llmc::Linear(c);
  }
  if (out - nb > 0) {
    c.out = out - nb;
    c.quant = plan.rest;
    rest = llmc::Linear(c);
  }
}

SplitParams SplitLinear::carve(llmc::Carver& c) const {
  SplitParams p;
  if (nb > 0) p.bin = bin.carve(c);
  if (out - nb > 0) p.rest = rest.carve(c);
  return p;
}

void SplitLinear::init(const SplitParams& p, binllm::Rng& rng, float std) const {
  if (nb > 0) bin.init(p.bin, rng, std);
  if (out - nb > 0) rest.init(p.rest, rng, std);
}

void SplitLinear::forward(float* o, const float* inp, int N, const SplitParams& p) {
  if (nb == out) return bin.forward(o, inp, N, p.bin);
  if (nb == 0) return rest.forward(o, inp, N, p.rest);
  const int nr = out - nb;
  ta_.resize((size_t)N * nb);
  tb_.resize((size_t)N * nr);
  bin.forward(ta_.data(), inp, N, p.bin);   // (N,nb)
  rest.forward(tb_.data(), inp, N, p.rest);  // (N,nr)
  for (int n = 0; n < N; n++) {
    std::memcpy(o + (size_t)n * out, ta_.data() + (size_t)n * nb, sizeof(float) * nb);
    std::memcpy(o + (size_t)n * out + nb, tb_.data() + (size_t)n * nr, sizeof(float) * nr);
  }
}

void SplitLinear::backward(float* dinp, const SplitParams& g, const float* dout, const float* inp, int N,
                           const SplitParams& p) {
  if (nb == out) return bin.backward(dinp, g.bin, dout, inp, N, p.bin);
  if (nb == 0) return rest.backward(dinp, g.rest, dout, inp, N, p.rest);
  const int nr = out - nb;
  dta_.resize((size_t)N * nb);
  dtb_.resize((size_t)N * nr);
  for (int n = 0; n < N; n++) {
    std::memcpy(dta_.data() + (size_t)n * nb, dout + (size_t)n * out, sizeof(float) * nb);
    std::memcpy(dtb_.data() + (size_t)n * nr, dout + (size_t)n * out + nb, sizeof(float) * nr);
  }
  bin.backward(dinp, g.bin, dta_.data(), inp, N, p.bin);
  rest.backward(dinp, g.rest, dtb_.data(), inp, N, p.rest);
}

double SplitLinear::storage_bits() const {
  return (nb > 0 ? bin.storage_bits() : 0.0) + (out - nb > 0 ? rest.storage_bits() : 0.0);
}

void SplitLinear::set_full(const SplitParams& p, const float* w, const float* b) const {
  if (nb > 0) {
    std::memcpy(p.bin.w, w, sizeof(float) * (size_t)nb * in);
    std::memcpy(p.bin.b, b, sizeof(float) * nb);
  }
  if (out - nb > 0) {
    std::memcpy(p.rest.w, w + (size_t)nb * in, sizeof(float) * (size_t)(out - nb) * in);
    std::memcpy(p.rest.b, b + nb, sizeof(float) * (out - nb));
  }
}

void SplitLinear::get_full(const SplitParams& p, float* w, float* b) const {
  if (nb > 0) {
    std::memcpy(w, p.bin.w, sizeof(float) * (size_t)nb * in);
    std::memcpy(b, p.bin.b, sizeof(float) * nb);
  }
  if (out - nb > 0) {
    std::memcpy(w + (size_t)nb * in, p.rest.w, sizeof(float) * (size_t)(out - nb) * in);
    std::memcpy(b + nb, p.rest.b, sizeof(float) * (out - nb));
  }
}

void SplitLinear::freeze() {
  if (nb > 0) bin.freeze();
  if (out - nb > 0) rest.freeze();
}

// ---------------------------------------------------------------- Encoder

EncoderParams Encoder::carve(llmc::Carver& c) {
  const size_t V = s_.V, T = s_.T, C = s_.C;
  EncoderParams p;
  p.wte = c.take(V * C);
  p.wpe = c.take(T * C);
  p.layers.resize(s_.L);
  for (int l = 0; l < s_.L; l++) {
    LayerParams& lp = p.layers[l];
    lp.ln1w = c.take(C);
    lp.ln1b = c.take(C);
    lp.lin[kQkv] = linear(l, kQkv).carve(c);
    lp.lin[kProj] = linear(l, kProj).carve(c);
    lp.ln2w = c.take(C);
    lp.ln2b = c.take(C);
    lp.lin[kFc] = linear(l, kFc).carve(c);
    lp.lin[kFcProj] = linear(l, kFcProj).carve(c);
  }
  p.lnfw = c.take(C);
  p.lnfb = c.take(C);
  p.head = head_.carve(c);
  return p;
}

void Encoder::build(const EncoderShape& s, const QuantPlan& plan, int max_batch) {
  if (s.C % s.NH) throw std::invalid_argument("n_heads must divide d_model");
  s_ = s;
  plan_ = plan;
  if (plan_.bin_rows.size() != (size_t)s.L * 4) plan_.bin_rows.assign((size_t)s.L * 4, 0);
  maxB_ = max_batch;
  const int C = s.C, F = s.F();
  lin_.assign((size_t)s.L * 4, SplitLinear());
  const int outs[4] = {3 * C, C, F, C}, ins[4] = {C, C, C, F};
  for (int l = 0; l < s.L; l++)
    for (int k = 0; k < 4; k++) linear(l, k).configure(ins[k], outs[k], plan_.bin_rows[(size_t)l * 4 + k], plan_);
  llmc::LinearConfig hc;
  hc.in = C;
  hc.out = s.K;
  hc.bias = true;
  hc.quant = llmc::Quant::kFp32;
  head_ = llmc::Linear(hc);
  llmc::Carver sizing;
  carve(sizing);
  P_.assign(sizing.off, 0.f);
  G_.assign(sizing.off, 0.f);
  llmc::Carver cp(P_.data()), cg(G_.data());
  p_ = carve(cp);
  g_ = carve(cg);
  // optimiser kinds per element
  kinds_.assign(P_.size(), llmc::kNoDecay);
  auto mark = [&](const float* ptr, size_t n, uint8_t k) {
    if (ptr) std::fill(kinds_.begin() + (ptr - P_.data()), kinds_.begin() + (ptr - P_.data()) + n, k);
  };
  mark(p_.wte, (size_t)s.V * C, plan_.wte == EmbQuant::kNf4 ? llmc::kFrozen : llmc::kDecay);
  mark(p_.wpe, (size_t)s.T * C, plan_.wpe == EmbQuant::kNf4 ? llmc::kFrozen : llmc::kDecay);
  for (int l = 0; l < s.L; l++)
    for (int k = 0; k < 4; k++) {
      SplitLinear& sl = linear(l, k);
      const SplitParams& sp = p_.layers[l].lin[k];
      auto part = [&](const llmc::Linear& lin, const llmc::LinearParams& lp, int rows) {
        if (rows <= 0) return;
        const bool frozen = lin.config().quant == llmc::Quant::kNf4Lora;
        mark(lp.w, (size_t)rows * sl.in, frozen ? llmc::kFrozen : llmc::kDecay);
        if (lp.lora_a) mark(lp.lora_a, (size_t)lin.config().lora_rank * sl.in, llmc::kDecay);
        if (lp.lora_b) mark(lp.lora_b, (size_t)rows * lin.config().lora_rank, llmc::kDecay);
      };
      part(sl.bin, sp.bin, sl.nb);
      part(sl.rest, sp.rest, sl.out - sl.nb);
    }
  mark(p_.head.w, (size_t)s.K * C, llmc::kDecay);
  opt_.init(P_.size());
  // activations
  const size_t N = (size_t)max_batch * s.T;
  wte_q_.assign((size_t)s.V * C, 0.f);
  wpe_q_.assign((size_t)s.T * C, 0.f);
  x0_.assign(N * C, 0.f);
  a_.assign(s.L, Acts());
  for (auto& A : a_) {
    A.ln1.assign(N * C, 0.f);
    A.ln1m.assign(N, 0.f);
    A.ln1r.assign(N, 0.f);
    A.qkv.assign(N * 3 * C, 0.f);
    A.att.assign((size_t)max_batch * s.NH * s.T * s.T, 0.f);
    A.atty.assign(N * C, 0.f);
    A.res1.assign(N * C, 0.f);
    A.ln2.assign(N * C, 0.f);
    A.ln2m.assign(N, 0.f);
    A.ln2r.assign(N, 0.f);
    A.fch.assign(N * F, 0.f);
    A.fcg.assign(N * F, 0.f);
    A.res2.assign(N * C, 0.f);
  }
  lnf_.assign(N * C, 0.f);
  lnfm_.assign(N, 0.f);
  lnfr_.assign(N, 0.f);
  pooled_.assign((size_t)max_batch * C, 0.f);
  logits_.assign((size_t)max_batch * s.K, 0.f);
  probs_.assign((size_t)max_batch * s.K, 0.f);
  ps_ = pt_ = probs_;
  losses_.assign(max_batch, 0.f);
  kl_ = losses_;
  nf4_emb_ready_ = false;
}

void Encoder::init(uint64_t seed) {
  binllm::Rng rng(seed, 0x6e6c752d696e6974ull);  // "nlu-init"
  const size_t V = s_.V, T = s_.T, C = s_.C;
  for (size_t i = 0; i < V * C; i++) p_.wte[i] = 0.02f * (float)rng.normal();
  for (size_t i = 0; i < T * C; i++) p_.wpe[i] = 0.01f * (float)rng.normal();
  const float res_std = 0.02f / std::sqrt(2.0f * s_.L);
  for (int l = 0; l < s_.L; l++) {
    LayerParams& lp = p_.layers[l];
    std::fill(lp.ln1w, lp.ln1w + C, 1.f);
    std::fill(lp.ln1b, lp.ln1b + C, 0.f);
    std::fill(lp.ln2w, lp.ln2w + C, 1.f);
    std::fill(lp.ln2b, lp.ln2b + C, 0.f);
    for (int k = 0; k < 4; k++)
      linear(l, k).init(lp.lin[k], rng, (k == kProj || k == kFcProj) ? res_std : 0.02f);
  }
  std::fill(p_.lnfw, p_.lnfw + C, 1.f);
  std::fill(p_.lnfb, p_.lnfb + C, 0.f);
  head_.init(p_.head, rng, 0.02f);
  nf4_emb_ready_ = false;
}

void Encoder::load_from(const Encoder& t) {
  const EncoderShape& a = t.s_;
  if (a.V != s_.V || a.T != s_.T || a.C != s_.C || a.L != s_.L || a.K != s_.K)
    throw std::invalid_argument("Encoder::load_from: shapes differ");
  const size_t C = s_.C;
  std::memcpy(p_.wte, t.p_.wte, sizeof(float) * s_.V * C);
  std::memcpy(p_.wpe, t.p_.wpe, sizeof(float) * s_.T * C);
  std::vector<float> w, b;
  for (int l = 0; l < s_.L; l++) {
    const LayerParams& tl = t.p_.layers[l];
    LayerParams& sl = p_.layers[l];
    for (auto pr : {std::make_pair(tl.ln1w, sl.ln1w), std::make_pair(tl.ln1b, sl.ln1b),
                    std::make_pair(tl.ln2w, sl.ln2w), std::make_pair(tl.ln2b, sl.ln2b)})
      std::memcpy(pr.second, pr.first, sizeof(float) * C);
    for (int k = 0; k < 4; k++) {
      const SplitLinear& tk = t.linear(l, k);
      w.resize((size_t)tk.out * tk.in);
      b.resize(tk.out);
      tk.get_full(tl.lin[k], w.data(), b.data());
      linear(l, k).set_full(sl.lin[k], w.data(), b.data());
      linear(l, k).freeze();
    }
  }
  std::memcpy(p_.lnfw, t.p_.lnfw, sizeof(float) * C);
  std::memcpy(p_.lnfb, t.p_.lnfb, sizeof(float) * C);
  std::memcpy(p_.head.w, t.p_.head.w, sizeof(float) * s_.K * C);
  std::memcpy(p_.head.b, t.p_.head.b, sizeof(float) * s_.K);
  nf4_emb_ready_ = false;
}

namespace {
void quantize_table(float* q, const float* w, int rows, int cols, EmbQuant mode, int group, bool* nf4_ready) {
  const size_t n = (size_t)rows * cols;
  switch (mode) {
    case EmbQuant::kFp32: std::memcpy(q, w, sizeof(float) * n); break;
    case EmbQuant::kInt4: llmc::int4_fake_quant(q, w, n, group); break;
    case EmbQuant::kBinary: llmc::binary_fake_quant(q, w, rows, cols); break;
    case EmbQuant::kNf4:
      if (!*nf4_ready) {
        std::vector<uint8_t> codes(n);
        std::vector<float> absmax(n / group);
        llmc::nf4_quantize(codes.data(), absmax.data(), w, n, group);
        llmc::nf4_dequantize(q, codes.data(), absmax.data(), n, group);
      }
      break;
  }
}
}  // namespace

void Encoder::quantize_embeddings() {
  bool ready = nf4_emb_ready_;
  quantize_table(wte_q_.data(), p_.wte, s_.V, s_.C, plan_.wte, plan_.group, &ready);
  quantize_table(wpe_q_.data(), p_.wpe, s_.T, s_.C, plan_.wpe, plan_.group, &ready);
  nf4_emb_ready_ = true;
}

float Encoder::forward(const int* tokens, const int* lens, const int* labels, int B, const LossSpec& loss) {
  if (B > maxB_) throw std::invalid_argument("Encoder::forward: batch above max_batch");
  const int T = s_.T, C = s_.C, F = s_.F(), K = s_.K, N = B * T;
  quantize_embeddings();
  llmc::embedding_forward(x0_.data(), tokens, wte_q_.data(), wpe_q_.data(), B, T, C);
  llmc::AttnShape as;
  as.B = B;
  as.T = T;
  as.C = C;
  as.NH = s_.NH;
  as.causal = false;
  dtmp_.resize((size_t)N * C);
  const float* x = x0_.data();  // (N,C) residual stream
  for (int l = 0; l < s_.L; l++) {
    Acts& A = a_[l];
    const LayerParams& lp = p_.layers[l];
    llmc::layernorm_forward(A.ln1.data(), A.ln1m.data(), A.ln1r.data(), x, lp.ln1w, lp.ln1b, N, C);
    linear(l, kQkv).forward(A.qkv.data(), A.ln1.data(), N, lp.lin[kQkv]);            // (N,3C)
    llmc::attention_forward(A.atty.data(), A.att.data(), A.qkv.data(), as, lens, nullptr);  // (N,C)
    linear(l, kProj).forward(dtmp_.data(), A.atty.data(), N, lp.lin[kProj]);          // (N,C)
    llmc::residual_forward(A.res1.data(), x, dtmp_.data(), (size_t)N * C);
    llmc::layernorm_forward(A.ln2.data(), A.ln2m.data(), A.ln2r.data(), A.res1.data(), lp.ln2w, lp.ln2b, N, C);
    linear(l, kFc).forward(A.fch.data(), A.ln2.data(), N, lp.lin[kFc]);                // (N,F)
    llmc::gelu_forward(A.fcg.data(), A.fch.data(), N * F);
    linear(l, kFcProj).forward(dtmp_.data(), A.fcg.data(), N, lp.lin[kFcProj]);       // (N,C)
    llmc::residual_forward(A.res2.data(), A.res1.data(), dtmp_.data(), (size_t)N * C);
    x = A.res2.data();
  }
  llmc::layernorm_forward(lnf_.data(), lnfm_.data(), lnfr_.data(), x, p_.lnfw, p_.lnfb, N, C);
  llmc::pool_forward(pooled_.data(), lnf_.data(), lens, B, T, C, s_.mean_pool ? llmc::Pool::kMean : llmc::Pool::kFirst);
  head_.forward(logits_.data(), pooled_.data(), B, p_.head);  // (B,K)
  if (!labels) return 0.f;
  llmc::crossentropy_forward(probs_.data(), losses_.data(), logits_.data(), labels, B, K);
  double ce = 0, kd = 0, mse = 0;
  for (int b = 0; b < B; b++) ce += losses_[b];
  ce /= B;
  if (loss.alpha > 0 && loss.teacher_logits) {
    llmc::kl_distill_forward(kl_.data(), ps_.data(), pt_.data(), logits_.data(), loss.teacher_logits, B, K, loss.tau);
    for (int b = 0; b < B; b++) kd += kl_[b];
    kd /= B;
  }
  if (loss.beta > 0 && loss.teacher_hidden) {
    for (size_t i = 0; i < (size_t)N * C; i++) {
      const double d = (double)lnf_[i] - loss.teacher_hidden[i];
      mse += d * d;
    }
    mse /= (double)N * C;
  }
  const double a = loss.teacher_logits ? loss.alpha : 0.0;
  return (float)((1.0 - a) * ce + a * kd + (loss.teacher_hidden ? loss.beta * mse : 0.0));
}

void Encoder::backward(const int* tokens, const int* lens, const int* labels, int B, const LossSpec& loss) {
  const int T = s_.T, C = s_.C, F = s_.F(), K = s_.K, N = B * T;
  std::fill(G_.begin(), G_.end(), 0.f);
  const float a = loss.teacher_logits ? loss.alpha : 0.f;
  dlogits_.resize((size_t)B * K);
  llmc::crossentropy_backward(dlogits_.data(), probs_.data(), labels, B, K, (1.f - a) / B);
  if (a > 0) llmc::kl_distill_backward(dlogits_.data(), ps_.data(), pt_.data(), B, K, loss.tau, a / B);
  dpooled_.assign((size_t)B * C, 0.f);
  head_.backward(dpooled_.data(), g_.head, dlogits_.data(), pooled_.data(), B, p_.head);
  dlnf_.assign((size_t)N * C, 0.f);
  llmc::pool_backward(dlnf_.data(), dpooled_.data(), lens, B, T, C, s_.mean_pool ? llmc::Pool::kMean : llmc::Pool::kFirst);
  if (loss.beta > 0 && loss.teacher_hidden) {
    const float sc = 2.f * loss.beta / ((float)N * C);
    for (size_t i = 0; i < (size_t)N * C; i++) dlnf_[i] += sc * (lnf_[i] - loss.teacher_hidden[i]);
  }
  llmc::AttnShape as;
  as.B = B;
  as.T = T;
  as.C = C;
  as.NH = s_.NH;
  as.causal = false;
  dres_.assign((size_t)N * C, 0.f);  // d(residual stream)
  const float* xl = s_.L ? a_[s_.L - 1].res2.data() : x0_.data();
  llmc::layernorm_backward(dres_.data(), g_.lnfw, g_.lnfb, dlnf_.data(), xl, p_.lnfw, lnfm_.data(), lnfr_.data(), N, C);
  for (int l = s_.L - 1; l >= 0; l--) {
    Acts& A = a_[l];
    const LayerParams& lp = p_.layers[l];
    const LayerParams& gp = g_.layers[l];
    const float* xin = l ? a_[l - 1].res2.data() : x0_.data();
    // res2 = res1 + fc_proj(gelu(fc(ln2(res1))))
    dfcg_.assign((size_t)N * F, 0.f);
    linear(l, kFcProj).backward(dfcg_.data(), gp.lin[kFcProj], dres_.data(), A.fcg.data(), N, lp.lin[kFcProj]);
    dfch_.assign((size_t)N * F, 0.f);
    llmc::gelu_backward(dfch_.data(), A.fch.data(), dfcg_.data(), N * F);
    dln_.assign((size_t)N * C, 0.f);
    linear(l, kFc).backward(dln_.data(), gp.lin[kFc], dfch_.data(), A.ln2.data(), N, lp.lin[kFc]);
    llmc::layernorm_backward(dres_.data(), gp.ln2w, gp.ln2b, dln_.data(), A.res1.data(), lp.ln2w, A.ln2m.data(), A.ln2r.data(), N, C);
    // res1 = xin + attn_proj(attention(qkv(ln1(xin))))
    datty_.assign((size_t)N * C, 0.f);
    linear(l, kProj).backward(datty_.data(), gp.lin[kProj], dres_.data(), A.atty.data(), N, lp.lin[kProj]);
    dqkv_.assign((size_t)N * 3 * C, 0.f);
    llmc::attention_backward(dqkv_.data(), datty_.data(), A.qkv.data(), A.att.data(), as, lens);
    dln_.assign((size_t)N * C, 0.f);
    linear(l, kQkv).backward(dln_.data(), gp.lin[kQkv], dqkv_.data(), A.ln1.data(), N, lp.lin[kQkv]);
    llmc::layernorm_backward(dres_.data(), gp.ln1w, gp.ln1b, dln_.data(), xin, lp.ln1w, A.ln1m.data(), A.ln1r.data(), N, C);
  }
  llmc::embedding_backward(g_.wte, g_.wpe, dres_.data(), tokens, B, T, C);
}

float Encoder::step(float lr, float wd, float clip) {
  return opt_.update(P_.data(), G_.data(), kinds_.data(), P_.size(), lr, 0.9f, 0.999f, 1e-8f, wd, clip);
}

namespace {
double table_bits(EmbQuant q, double rows, double cols, int group) {
  const double n = rows * cols;
  switch (q) {
    case EmbQuant::kFp32: return 32 * n;
    case EmbQuant::kInt4:
    case EmbQuant::kNf4: return 4 * n + 32 * (n / group);
    case EmbQuant::kBinary: return n + 32 * rows;
  }
  return 0;
}
}  // namespace

size_t Encoder::n_base_params() const {
  const size_t C = s_.C, F = s_.F();
  size_t n = (size_t)s_.V * C + (size_t)s_.T * C + 2 * C + (size_t)s_.K * C + s_.K;
  n += (size_t)s_.L * (4 * C + (3 * C * C + 3 * C) + (C * C + C) + (F * C + F) + (C * F + C));
  return n;
}

double Encoder::storage_bits() const {
  double bits = table_bits(plan_.wte, s_.V, s_.C, plan_.group) + table_bits(plan_.wpe, s_.T, s_.C, plan_.group);
  bits += 32.0 * (4.0 * s_.L + 2) * s_.C;  // LayerNorm weights and biases
  for (auto& l : lin_) bits += l.storage_bits();
  bits += head_.storage_bits();
  return bits;
}

}  // namespace nlu
