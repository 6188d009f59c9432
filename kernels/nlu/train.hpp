// Training and evaluation of one task's encoder: token rows, the AdamW loop (optionally distilled
// from a teacher), and the packed evaluation that yields the reported metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "encoder.hpp"
#include "tasks.hpp"

namespace nlu {

struct Rows {  // n token rows of T ids with their lengths and labels
  int n = 0, T = 0;
  std::vector<int> ids, lens, labels;  // (n,T), (n), (n)
};
Rows encode_rows(const Tokenizer& tok, const std::vector<Example>& ex, int T);

struct TrainOptions {
  int steps = 100, batch = 32, warmup = 10;
  float lr = 3e-3f, min_lr_frac = 0.1f, weight_decay = 0.01f, clip = 1.0f;
  // distillation (bin-blocks / bin-embed): teacher forward on every batch
  Encoder* teacher = nullptr;
  float alpha = 0.f, tau = 2.f, beta = 0.f;
  uint64_t seed = 0;
  std::function<void(int, int)> progress;  // (done, total); may throw to stop
};
// Returns the mean training loss of the last 10% of steps.
double train_encoder(Encoder& m, const Rows& train, const TrainOptions& o);

struct EvalResult {
  std::vector<int> pred;
  double loss = 0;           // mean dev cross-entropy (nats)
  double peak_mem_bytes = 0;  // measured: packed weights + evaluation buffers at their peak
  double weight_bytes = 0;
  double tokens_per_s = 0;
  double seconds = 0;
};
// Packs `m` (fp16: halves for every fp32 tensor) and evaluates rows in batches of eval_batch.
EvalResult evaluate_packed(const Encoder& m, bool fp16, const Rows& dev, int eval_batch);

}  // namespace nlu
