// The NLU model: a small pre-LayerNorm bidirectional transformer encoder with a classification
// head, built from llmc layers. Every weight matrix goes through a quantisation policy (the
// variant's QuantPlan); a block linear may be split by output rows into a binary part and a part
// at the plan's other policy (the H4 budget matcher binarises whole blocks plus some rows of one).
//
// Shapes: B batch, T max_len, C d_model, NH heads, F = 4C, V vocab, K classes, N = B*T rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "binllm/rng.hpp"
#include "llmc/adamw.hpp"
#include "llmc/core.hpp"
#include "llmc/layers.hpp"
#include "llmc/linear.hpp"

namespace nlu {

struct EncoderShape {
  int V = 259, T = 64, C = 64, L = 2, NH = 4, K = 2;
  bool mean_pool = false;  // false: pooled first ([CLS]) token
  int F() const { return 4 * C; }
};

// Token / position embedding storage: fp32 latent used as is, int4 group-wise QAT (STE), NF4
// (frozen), or binary (sign with per-row absmean scale, STE).
enum class EmbQuant { kFp32, kInt4, kNf4, kBinary };
const char* emb_quant_name(EmbQuant q);

// The four block linears of a layer, in the order the budget matcher and the reports name them.
enum BlockKind { kQkv = 0, kProj = 1, kFc = 2, kFcProj = 3 };
const char* block_name(int kind);  // "qkv", "attn_proj", "fc", "fc_proj"

struct QuantPlan {
  EmbQuant wte = EmbQuant::kFp32, wpe = EmbQuant::kFp32;
  llmc::Quant rest = llmc::Quant::kFp32;  // policy of block rows that are not binarised
  llmc::Quant bin = llmc::Quant::kBinary;  // kBinary or kTernary (BitLinear)
  std::vector<int> bin_rows;               // (L*4): rows [0, bin_rows) of each block are BitLinear
  int group = 32;                          // int4 group / NF4 block (divides C)
  int lora_rank = 4;
  float lora_alpha = 8.f;
  // A plan whose blocks are all `rest` (no binary rows).
  static QuantPlan uniform(const EncoderShape& s, EmbQuant emb, llmc::Quant rest);
};

// A linear split by output rows: rows [0, nb) through `bin`, rows [nb, out) through `rest`.
struct SplitParams {
  llmc::LinearParams bin, rest;
};
class SplitLinear {
 public:
  void configure(int in, int out, int nb, const QuantPlan& plan);
  SplitParams carve(llmc::Carver& c) const;
  void init(const SplitParams& p, binllm::Rng& rng, float std) const;
  // out (N,out) = [bin(inp) | rest(inp)] row-parts side by side
  void forward(float* out, const float* inp, int N, const SplitParams& p);
  // dinp (N,in) += ...; g += ...
  void backward(float* dinp, const SplitParams& g, const float* dout, const float* inp, int N, const SplitParams& p);
  double storage_bits() const;
  // Copies a full (out,in) weight and (out) bias into / out of the two parts.
  void set_full(const SplitParams& p, const float* w, const float* b) const;
  void get_full(const SplitParams& p, float* w, float* b) const;
  // Re-quantise frozen NF4 bases at the next forward (after set_full).
  void freeze();
  int in = 0, out = 0, nb = 0;
  llmc::Linear bin, rest;  // a part with no rows is never called
 private:
  std::vector<float> ta_, tb_, dta_, dtb_;  // (N,nb), (N,out-nb) part outputs / gradients
};

struct LayerParams {
  float *ln1w, *ln1b, *ln2w, *ln2b;  // (C)
  SplitParams lin[4];                // qkv (3C,C), attn_proj (C,C), fc (F,C), fc_proj (C,F)
};
struct EncoderParams {
  float* wte;  // (V,C)
  float* wpe;  // (T,C)
  std::vector<LayerParams> layers;
  float *lnfw, *lnfb;   // (C)
  llmc::LinearParams head;  // (K,C), (K)
};

// What a training step minimises: (1 - alpha) CE(labels) + alpha tau^2 KL(teacher_tau || student_tau)
// + beta mean((h_student - h_teacher)^2) over the final-LayerNorm hidden states.
struct LossSpec {
  const float* teacher_logits = nullptr;  // (B,K) or nullptr (no logit distillation)
  const float* teacher_hidden = nullptr;  // (B,T,C) or nullptr (no hidden distillation)
  float alpha = 0.f, tau = 1.f, beta = 0.f;
};

class Encoder {
 public:
  void build(const EncoderShape& s, const QuantPlan& plan, int max_batch);
  void init(uint64_t seed);
  // Copies every weight of `teacher` (same shape; any plan) into this model's latent weights and
  // re-freezes NF4 bases; LoRA adapters keep their init (B = 0).
  void load_from(const Encoder& teacher);
  // Forward of B <= max_batch rows of tokens (B,T) with lens (B); fills logits() (B,K) and hidden()
  // (B,T,C). With labels (B), returns the mean loss of `loss`, else 0.
  float forward(const int* tokens, const int* lens, const int* labels, int B, const LossSpec& loss);
  // Backward of the last forward (which had labels): zeroes and fills grads.
  void backward(const int* tokens, const int* lens, const int* labels, int B, const LossSpec& loss);
  // AdamW step on the trainable elements (frozen NF4 bases and NF4 embeddings are skipped).
  float step(float lr, float wd, float clip);
  const float* logits() const { return logits_.data(); }
  const float* hidden() const { return lnf_.data(); }
  double storage_bits() const;  // deployed size: weights, scales, adapters, LayerNorms, biases
  size_t n_base_params() const;  // parameters of the architecture (no LoRA): bits_per_param divides by it
  const EncoderShape& shape() const { return s_; }
  const QuantPlan& plan() const { return plan_; }
  const EncoderParams& params() const { return p_; }
  std::vector<float>& flat() { return P_; }
  const std::vector<float>& grads() const { return G_; }    // of the last backward
  const std::vector<uint8_t>& kinds() const { return kinds_; }  // llmc::ParamKind per element
  const std::vector<float>& flat() const { return P_; }
  const float* wte_effective() const { return wte_q_.data(); }  // (V,C) after the last forward
  const float* wpe_effective() const { return wpe_q_.data(); }
  SplitLinear& linear(int layer, int kind) { return lin_[(size_t)layer * 4 + kind]; }
  const SplitLinear& linear(int layer, int kind) const { return lin_[(size_t)layer * 4 + kind]; }
  llmc::Linear& head() { return head_; }

 private:
  EncoderParams carve(llmc::Carver& c);
  void quantize_embeddings();
  EncoderShape s_;
  QuantPlan plan_;
  int maxB_ = 0;
  std::vector<SplitLinear> lin_;  // (L*4)
  llmc::Linear head_;
  std::vector<float> P_, G_;      // flat params / grads
  std::vector<uint8_t> kinds_;    // llmc::ParamKind per element
  EncoderParams p_, g_;
  llmc::AdamW opt_;
  bool nf4_emb_ready_ = false;
  // activations (max_batch rows)
  std::vector<float> wte_q_, wpe_q_;          // (V,C), (T,C) effective embeddings
  std::vector<float> x0_;                     // (N,C) embeddings
  struct Acts {
    std::vector<float> ln1, ln1m, ln1r, qkv, att, atty, res1, ln2, ln2m, ln2r, fch, fcg, res2;
  };
  std::vector<Acts> a_;                       // per layer; res2 of layer l is the input of l+1
  std::vector<float> lnf_, lnfm_, lnfr_;      // (N,C), (N), (N)
  std::vector<float> pooled_, logits_;        // (B,C), (B,K)
  std::vector<float> probs_, losses_, ps_, pt_, kl_;  // (B,K), (B), (B,K), (B,K), (B)
  // backward scratch
  std::vector<float> dres_, dtmp_, dqkv_, datty_, dfch_, dfcg_, dln_, dlnf_, dpooled_, dlogits_;
};

}  // namespace nlu
