// Byte-level BPE tokenizer read from GGUF metadata (tokenizer.ggml.model = "gpt2"), as llama.cpp
// tokenises plain text (no special-token parsing, BOS only when tokenizer.ggml.add_bos_token).
//
// encode(text): (1) pre-tokenise: for tokenizer.ggml.pre = "smollm" (and the other GPT-2-regex
// models llama.cpp groups with it) every \p{N} code point is first split off on its own, then
// each piece is split by the GPT-2 pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (2) map each piece's bytes to GPT-2's printable byte alphabet (bytes_to_unicode), (3) merge
// adjacent symbols, lowest merge rank first, (4) look each symbol up in tokenizer.ggml.tokens.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace llmc {

class GgufFile;

class BpeTokenizer {
 public:
  explicit BpeTokenizer(const GgufFile& f);
  // The same tokenizer from its parts (e.g. a Hugging Face tokenizer.json): tokens by id, merges
  // "left right" by rank, llama.cpp's pre-tokeniser name; `source` names the file in errors
  // (std::runtime_error for an unsupported pre-tokeniser).
  BpeTokenizer(std::vector<std::string> tokens, const std::vector<std::string>& merges,
               const std::string& pre, bool add_bos, int bos_id, const std::string& source);
  std::vector<int> encode(const std::string& text) const;
  std::string decode(const std::vector<int>& ids) const;
  int vocab_size() const { return (int)tokens_.size(); }
  bool add_bos() const { return add_bos_; }
  int bos_id() const { return bos_; }
  const std::string& pre() const { return pre_; }

  // Step (1) alone: the pre-tokenised pieces of `text` (UTF-8), exposed for the tests.
  std::vector<std::string> pretokenize(const std::string& text) const;

 private:
  void bpe_piece(const std::string& piece, std::vector<int>& out) const;
  void init(std::vector<std::string> tokens, const std::vector<std::string>& merges);
  static bool pre_splits_digits(const std::string& pre, bool* known);
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int> token_id_;
  std::unordered_map<std::string, int> merge_rank_;  // "left right" -> rank
  std::string byte_sym_[256];                         // byte -> its UTF-8 symbol
  std::unordered_map<std::string, unsigned char> sym_byte_;
  std::string pre_;
  bool split_digits_ = false;
  bool add_bos_ = false;
  int bos_ = -1;
  mutable std::unordered_map<std::string, std::vector<int>> cache_;
};

// Unicode classes as llama.cpp's pre-tokeniser uses them.
bool cp_is_letter(uint32_t cp);
bool cp_is_number(uint32_t cp);
bool cp_is_whitespace(uint32_t cp);
// UTF-8 -> code points (an invalid byte becomes U+FFFD and consumes one byte) and back.
std::vector<uint32_t> utf8_decode(const std::string& s);
std::string utf8_encode(uint32_t cp);

}  // namespace llmc
