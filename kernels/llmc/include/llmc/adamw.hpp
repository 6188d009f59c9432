// AdamW with global-norm gradient clipping over one flat parameter buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace llmc {

// What the optimiser does with each element: leave it (frozen, e.g. an NF4 base), update it, or
// update it with decoupled weight decay (matrices, embeddings; not biases or LayerNorm).
enum ParamKind : uint8_t { kFrozen = 0, kNoDecay = 1, kDecay = 2 };

// One AdamW step over external moments m, v (n); `step` is the 1-based step number (bias
// correction). The same arithmetic as AdamW::update, for callers that own their moments.
float adamw_step(float* params, const float* grads, float* m, float* v, const uint8_t* kinds, size_t n,
                 int step, float lr, float beta1, float beta2, float eps, float weight_decay, float clip);

struct AdamW {
  std::vector<float> m, v;  // (n) first / second moments
  int step = 0;
  void init(size_t n) {
    m.assign(n, 0.f);
    v.assign(n, 0.f);
    step = 0;
  }
  // One step: g := grads * min(1, clip / ||grads||) (clip <= 0: off; the norm is over non-frozen
  // elements, in double, in index order), then Adam with bias correction and decoupled weight
  // decay on kDecay elements. kinds (n) may be nullptr (all kDecay). Returns the gradient norm.
  float update(float* params, const float* grads, const uint8_t* kinds, size_t n, float lr, float beta1,
               float beta2, float eps, float weight_decay, float clip);
};

}  // namespace llmc
