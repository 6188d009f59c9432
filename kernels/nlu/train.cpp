// Training loop and packed evaluation (see train.hpp).
#include "train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "binllm/rng.hpp"
#include "packed.hpp"

namespace nlu {

Rows encode_rows(const Tokenizer& tok, const std::vector<Example>& ex, int T) {
  Rows r;
  r.n = (int)ex.size();
  r.T = T;
  r.ids.assign((size_t)r.n * T, kPad);
  r.lens.resize(r.n);
  r.labels.resize(r.n);
  for (int i = 0; i < r.n; i++) {
    r.lens[i] = tok.encode(ex[i], T, r.ids.data() + (size_t)i * T);
    r.labels[i] = ex[i].label;
  }
  return r;
}

namespace {
float lr_at(const TrainOptions& o, int step) {
  if (o.warmup > 0 && step < o.warmup) return o.lr * (float)(step + 1) / (float)o.warmup;
  const int decay = std::max(1, o.steps - o.warmup);
  const double prog = std::min(1.0, (double)(step - o.warmup) / decay);
  const double mn = o.lr * o.min_lr_frac;
  return (float)(mn + 0.5 * (o.lr - mn) * (1.0 + std::cos(3.141592653589793 * prog)));
}
}  // namespace

double train_encoder(Encoder& m, const Rows& tr, const TrainOptions& o) {
  const int B = std::min(o.batch, tr.n), T = tr.T, C = m.shape().C, K = m.shape().K;
  binllm::Rng rng(o.seed, 0x62617463686573ull);  // "batches"
  std::vector<int> perm(tr.n);
  for (int i = 0; i < tr.n; i++) perm[i] = i;
  size_t cursor = tr.n;  // reshuffle on first use
  std::vector<int> ids((size_t)B * T), lens(B), labels(B);
  std::vector<float> tl((size_t)B * K), th;
  const int tail = std::max(1, o.steps / 10);
  double tail_sum = 0;
  int tail_n = 0;
  for (int s = 0; s < o.steps; s++) {
    for (int b = 0; b < B; b++) {
      if (cursor >= perm.size()) {
        for (size_t i = perm.size() - 1; i > 0; i--) std::swap(perm[i], perm[rng.below(i + 1)]);
        cursor = 0;
      }
      const int e = perm[cursor++];
      std::copy(tr.ids.begin() + (size_t)e * T, tr.ids.begin() + (size_t)(e + 1) * T, ids.begin() + (size_t)b * T);
      lens[b] = tr.lens[e];
      labels[b] = tr.labels[e];
    }
    LossSpec ls;
    if (o.teacher && (o.alpha > 0 || o.beta > 0)) {
      o.teacher->forward(ids.data(), lens.data(), nullptr, B, LossSpec{});
      std::copy(o.teacher->logits(), o.teacher->logits() + (size_t)B * K, tl.begin());
      ls.teacher_logits = tl.data();
      ls.alpha = o.alpha;
      ls.tau = o.tau;
      if (o.beta > 0) {
        th.assign(o.teacher->hidden(), o.teacher->hidden() + (size_t)B * T * C);
        ls.teacher_hidden = th.data();
        ls.beta = o.beta;
      }
    }
    const float loss = m.forward(ids.data(), lens.data(), labels.data(), B, ls);
    if (!std::isfinite(loss)) throw std::runtime_error("training diverged (loss is not finite) at step " + std::to_string(s));
    m.backward(ids.data(), lens.data(), labels.data(), B, ls);
    m.step(lr_at(o, s), o.weight_decay, o.clip);
    if (s >= o.steps - tail) {
      tail_sum += loss;
      tail_n++;
    }
    if (o.progress) o.progress(s + 1, o.steps);
  }
  return tail_n ? tail_sum / tail_n : 0.0;
}

EvalResult evaluate_packed(const Encoder& m, bool fp16, const Rows& dev, int eval_batch) {
  EvalResult r;
  const int T = dev.T, K = m.shape().K;
  const size_t base = MemMeter::current();
  MemMeter::reset();
  const auto t0 = std::chrono::steady_clock::now();
  {
    PackedEncoder pe;
    pe.pack(m, fp16);
    r.weight_bytes = (double)pe.weight_bytes();
    MVec<float> logits((size_t)eval_batch * K);  // (B,K)
    r.pred.resize(dev.n);
    double loss = 0, tokens = 0;
    for (int i0 = 0; i0 < dev.n; i0 += eval_batch) {
      const int B = std::min(eval_batch, dev.n - i0);
      pe.forward(dev.ids.data() + (size_t)i0 * T, dev.lens.data() + i0, B, logits.data());
      for (int b = 0; b < B; b++) {
        const float* z = logits.data() + (size_t)b * K;
        int best = 0;
        double mx = z[0];
        for (int k = 1; k < K; k++)
          if (z[k] > z[best]) best = k;
        for (int k = 1; k < K; k++) mx = std::max(mx, (double)z[k]);
        double se = 0;
        for (int k = 0; k < K; k++) se += std::exp((double)z[k] - mx);
        loss += std::log(se) + mx - z[dev.labels[i0 + b]];
        r.pred[i0 + b] = best;
        tokens += dev.lens[i0 + b];
      }
    }
    r.loss = dev.n ? loss / dev.n : 0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.tokens_per_s = tokens / std::max(r.seconds, 1e-9);
  }
  r.peak_mem_bytes = (double)(MemMeter::peak() - base);
  return r;
}

}  // namespace nlu
