// safetensors container (Hugging Face's weight file format) and the Hugging Face Llama
// checkpoint folder built on it.
//
// Container layout: u64 little-endian header length N, N bytes of JSON
//   {"__metadata__": {str: str}, "<tensor>": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}}
// then the data section; [b, e) are byte offsets relative to its start (byte 8 + N of the file),
// tensors row-major. Dtypes read here: F32, F16, BF16 (others are listed but refused on read).
// Every error is a SafetensorsError (a binllm::ConfigError: exit 2) naming the file and, where
// one is involved, the tensor, its dtype and its byte offset in the file.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "binllm/errors.hpp"
#include "llmc/llama.hpp"

namespace llmc {

class BpeTokenizer;

struct SafetensorsError : binllm::ConfigError {
  using binllm::ConfigError::ConfigError;
};

struct SafeTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;  // row-major, shape.back() fastest
  uint64_t begin = 0, end = 0; // byte range inside the data section
  int64_t n_elems() const;
};

class SafetensorsFile {
 public:
  // Maps the file, parses the header and checks every tensor's byte range against the file size
  // and against shape x dtype size (a truncated file fails here, naming the first tensor cut off).
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t data_offset() const { return data_offset_; }  // 8 + N
  const std::map<std::string, SafeTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return meta_; }
  const SafeTensor* find(const std::string& name) const;   // nullptr when absent
  const SafeTensor& tensor(const std::string& name) const; // SafetensorsError when absent
  // The tensor converted to float (exact for all three dtypes).
  std::vector<float> read(const SafeTensor& t) const;
  // Same, checking the shape first; the error names the tensor and both shapes.
  std::vector<float> read(const std::string& name, const std::vector<int64_t>& shape) const;

 private:
  std::string path_;
  uint64_t data_offset_ = 0;
  std::map<std::string, SafeTensor> tensors_;
  std::map<std::string, std::string> meta_;
  const uint8_t* map_ = nullptr;
  size_t size_ = 0;
};

// Bytes per element of a safetensors dtype name, 0 when unknown.
int safetensors_dtype_size(const std::string& dtype);
// bfloat16 bits <-> float (float -> bf16 rounds to nearest even; NaN stays NaN).
float bf16_to_float(uint16_t h);
uint16_t float_to_bf16(float f);

// One tensor for write_safetensors: data is converted to `dtype` (F32, F16 or BF16) on write.
struct SafetensorsEntry {
  std::string name;
  std::vector<int64_t> shape;
  const float* data = nullptr;  // shape's product floats, row-major
  std::string dtype = "F32";
};
// Writes the entries in order (header padded with spaces to a multiple of 8, as HF's writer does).
void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& entries,
                       const std::map<std::string, std::string>& metadata = {});

// ---- Hugging Face Llama checkpoint folder (LlamaForCausalLM)
//
// config.json: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
//   vocab_size, rms_norm_eps are required; num_key_value_heads (= num_attention_heads),
//   rope_theta (10000), tie_word_embeddings (false), max_position_embeddings (2048) default as in
//   transformers' LlamaConfig; head_dim, if given, must be hidden_size / num_attention_heads;
//   rope_scaling must be absent or null, hidden_act "silu".
// Weights: model.safetensors, or the shards named by model.safetensors.index.json's weight_map.
//   model.embed_tokens.weight (vocab, d), model.norm.weight (d), lm_head.weight (vocab, d) unless
//   tied, and per layer N model.layers.N.{input_layernorm, post_attention_layernorm}.weight (d),
//   self_attn.{q,o}_proj.weight (d, d), self_attn.{k,v}_proj.weight (kv_dim, d),
//   mlp.{gate,up}_proj.weight (d_ff, d), mlp.down_proj.weight (d, d_ff).
// RoPE order: HF rotates each head's halves (x[i], x[i + hd/2]) ("NEOX" / rotate_half), GGUF
//   files from llama.cpp's converter hold q/k rows permuted so that adjacent pairs (x[2i],
//   x[2i+1]) rotate ("normal" mode, what llama_forward does). The loader applies the same row
//   permutation to q_proj and k_proj, so one forward serves both formats and the KV cache holds
//   the same channels in the same order (KV quantiser groups see identical data).
struct HfLlamaCheckpoint {
  LlamaModel model;
  double weight_bytes = 0;      // bytes of the stored weights (for bits_per_param)
  std::vector<std::string> files;  // safetensors files read
};
bool is_hf_llama_folder(const std::string& dir);  // a folder holding config.json
HfLlamaCheckpoint load_llama_hf(const std::string& dir);

// Row permutation HF -> GGUF of a q/k projection with n_heads heads of head_dim rows:
// out row h*hd + 2i + j = in row h*hd + j*hd/2 + i (j in {0,1}); `inverse` goes GGUF -> HF.
void permute_qk_rows(const float* in, float* out, int n_heads, int head_dim, int64_t row_len,
                     bool inverse);

// tokenizer.json of the folder (model.type "BPE" with byte-level pre-tokenisation): the vocab
// (model.vocab plus added_tokens), the merges ("a b" strings or [a, b] pairs) and the
// pre-tokeniser mapped onto llama.cpp's names: Sequence[Digits(individual_digits), ByteLevel]
// -> "smollm", ByteLevel alone -> "gpt2". Anything else fails naming the field.
std::unique_ptr<BpeTokenizer> load_hf_tokenizer(const std::string& dir);

// A pretrained Llama from a .gguf file or an HF folder: the model, its tokenizer and the bytes of
// its stored weights.
struct PretrainedLlama {
  LlamaModel model;
  std::unique_ptr<BpeTokenizer> tokenizer;
  double weight_bytes = 0;
  std::string format;  // "gguf" or "hf-safetensors"
};
PretrainedLlama load_pretrained_llama(const std::string& path);

}  // namespace llmc
