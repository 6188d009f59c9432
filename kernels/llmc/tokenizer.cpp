// Byte-level BPE tokenizer (see include/llmc/tokenizer.hpp).
#include "llmc/tokenizer.hpp"

#include <algorithm>
#include <climits>

#include "llmc/gguf.hpp"
#include "llmc/unicode_tables.hpp"

namespace llmc {

namespace {

template <size_t N>
bool in_ranges(const CpRange (&r)[N], uint32_t cp) {
  size_t lo = 0, hi = N;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (cp < r[mid].lo) hi = mid;
    else if (cp > r[mid].hi) lo = mid + 1;
    else return true;
  }
  return false;
}

}  // namespace

bool cp_is_letter(uint32_t cp) { return in_ranges(kLetterRanges, cp); }
bool cp_is_number(uint32_t cp) { return in_ranges(kNumberRanges, cp); }
bool cp_is_whitespace(uint32_t cp) {
  // llama.cpp's whitespace set (Unicode White_Space).
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

std::vector<uint32_t> utf8_decode(const std::string& s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = p[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; ok && k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      i += 1;
    } else {
      out.push_back(cp);
      i += len;
    }
  }
  return out;
}

std::string utf8_encode(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += (char)cp;
  } else if (cp < 0x800) {
    s += (char)(0xC0 | (cp >> 6));
    s += (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += (char)(0xE0 | (cp >> 12));
    s += (char)(0x80 | ((cp >> 6) & 0x3F));
    s += (char)(0x80 | (cp & 0x3F));
  } else {
    s += (char)(0xF0 | (cp >> 18));
    s += (char)(0x80 | ((cp >> 12) & 0x3F));
    s += (char)(0x80 | ((cp >> 6) & 0x3F));
    s += (char)(0x80 | (cp & 0x3F));
  }
  return s;
}

bool BpeTokenizer::pre_splits_digits(const std::string& pre, bool* known) {
  // llama.cpp: these pre-tokenisers split every digit off first, then apply the GPT-2 pattern.
  static const char* kDigitSplit[] = {"smollm", "codeshell", "exaone", "minerva-7b", "mellum2"};
  static const char* kPlain[] = {"default", "gpt-2", "gpt2", "phi-2", "jina-es", "jina-de", "jina-v2-es",
                                 "jina-v2-de", "jina-v2-code", "roberta-bpe"};
  *known = false;
  bool split = false;
  for (const char* p : kDigitSplit) if (pre == p) *known = split = true;
  for (const char* p : kPlain) if (pre == p) *known = true;
  return split;
}

BpeTokenizer::BpeTokenizer(const GgufFile& f) {
  const std::string model = f.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw GgufError("gguf " + f.path() + ": tokenizer.ggml.model '" + model + "' is not supported (only byte-level BPE 'gpt2')");
  pre_ = f.has("tokenizer.ggml.pre") ? f.get_string("tokenizer.ggml.pre") : "default";
  bool known = false;
  split_digits_ = pre_splits_digits(pre_, &known);
  if (!known)
    throw GgufError("gguf " + f.path() + ": tokenizer.ggml.pre '" + pre_ +
                    "' is not supported (GPT-2-pattern pre-tokenisers only, e.g. smollm, gpt-2)");
  add_bos_ = f.has("tokenizer.ggml.add_bos_token") && f.get("tokenizer.ggml.add_bos_token").i != 0;
  bos_ = (int)f.get_int("tokenizer.ggml.bos_token_id", -1);
  init(f.get_strings("tokenizer.ggml.tokens"), f.get_strings("tokenizer.ggml.merges"));
}

BpeTokenizer::BpeTokenizer(std::vector<std::string> tokens, const std::vector<std::string>& merges,
                           const std::string& pre, bool add_bos, int bos_id, const std::string& source)
    : pre_(pre), add_bos_(add_bos), bos_(bos_id) {
  bool known = false;
  split_digits_ = pre_splits_digits(pre_, &known);
  if (!known)
    throw std::runtime_error(source + ": pre-tokeniser '" + pre_ +
                             "' is not supported (GPT-2-pattern pre-tokenisers only, e.g. smollm, gpt-2)");
  init(std::move(tokens), merges);
}

void BpeTokenizer::init(std::vector<std::string> tokens, const std::vector<std::string>& merges) {
  tokens_ = std::move(tokens);
  for (size_t i = 0; i < tokens_.size(); i++) token_id_.emplace(tokens_[i], (int)i);
  for (size_t i = 0; i < merges.size(); i++) merge_rank_.emplace(merges[i], (int)i);
  // GPT-2 bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map to 256+.
  int next = 256;
  for (int b = 0; b < 256; b++) {
    const bool keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    byte_sym_[b] = utf8_encode(keep ? (uint32_t)b : (uint32_t)next++);
    sym_byte_[byte_sym_[b]] = (unsigned char)b;
  }
}

std::vector<std::string> BpeTokenizer::pretokenize(const std::string& text) const {
  const std::vector<uint32_t> cp = utf8_decode(text);
  // Pass 1 (digit-splitting pre-tokenisers): piece boundaries around every \p{N} code point.
  std::vector<std::pair<size_t, size_t>> spans;
  if (split_digits_) {
    size_t s = 0;
    for (size_t i = 0; i < cp.size(); i++) {
      if (cp_is_number(cp[i])) {
        if (i > s) spans.push_back({s, i});
        spans.push_back({i, i + 1});
        s = i + 1;
      }
    }
    if (s < cp.size()) spans.push_back({s, cp.size()});
  } else {
    spans.push_back({0, cp.size()});
  }
  // Pass 2: the GPT-2 pattern inside each span (matching never crosses a span end).
  std::vector<std::string> out;
  for (auto [b, e] : spans) {
    auto at = [&](size_t i) -> uint32_t { return i < e ? cp[i] : 0xFFFFFFFFu; };
    auto L = [&](size_t i) { return i < e && cp_is_letter(cp[i]); };
    auto N = [&](size_t i) { return i < e && cp_is_number(cp[i]); };
    auto W = [&](size_t i) { return i < e && cp_is_whitespace(cp[i]); };
    auto O = [&](size_t i) { return i < e && !L(i) && !N(i) && !W(i); };
    size_t prev = b;
    auto emit_to = [&](size_t end) {
      if (end > prev) {
        std::string s;
        for (size_t i = prev; i < end; i++) s += utf8_encode(cp[i]);
        out.push_back(std::move(s));
      }
      prev = end;
    };
    for (size_t pos = b; pos < e;) {
      const uint32_t c = cp[pos];
      if (c == '\'' && pos + 1 < e) {  // 's|'t|'re|'ve|'m|'ll|'d
        const uint32_t n1 = at(pos + 1), n2 = at(pos + 2);
        if (n1 == 's' || n1 == 't' || n1 == 'm' || n1 == 'd') { emit_to(pos += 2); continue; }
        if ((n1 == 'r' && n2 == 'e') || (n1 == 'v' && n2 == 'e') || (n1 == 'l' && n2 == 'l')) { emit_to(pos += 3); continue; }
      }
      const size_t q = c == ' ' ? pos + 1 : pos;  // the optional leading space
      if (L(q)) { pos = q; while (L(pos)) pos++; emit_to(pos); continue; }
      if (N(q)) { pos = q; while (N(pos)) pos++; emit_to(pos); continue; }
      if (O(q)) { pos = q; while (O(pos)) pos++; emit_to(pos); continue; }
      size_t nw = 0;
      while (W(pos + nw)) nw++;
      if (nw > 1 && pos + nw < e) { emit_to(pos += nw - 1); continue; }  // \s+(?!\S)
      if (nw > 0) { emit_to(pos += nw); continue; }                        // \s+
      emit_to(++pos);
    }
  }
  return out;
}

void BpeTokenizer::bpe_piece(const std::string& piece, std::vector<int>& out) const {
  auto hit = cache_.find(piece);
  if (hit != cache_.end()) {
    out.insert(out.end(), hit->second.begin(), hit->second.end());
    return;
  }
  std::vector<std::string> sym;
  for (unsigned char ch : piece) sym.push_back(byte_sym_[ch]);
  // Repeatedly merge the adjacent pair with the lowest rank (leftmost on ties).
  while (sym.size() > 1) {
    int best = INT_MAX;
    size_t at = 0;
    for (size_t i = 0; i + 1 < sym.size(); i++) {
      auto it = merge_rank_.find(sym[i] + " " + sym[i + 1]);
      if (it != merge_rank_.end() && it->second < best) {
        best = it->second;
        at = i;
      }
    }
    if (best == INT_MAX) break;
    sym[at] += sym[at + 1];
    sym.erase(sym.begin() + (long)at + 1);
  }
  std::vector<int> ids;
  for (const auto& s : sym) {
    auto it = token_id_.find(s);
    if (it != token_id_.end()) {
      ids.push_back(it->second);
      continue;
    }
    // Not in the vocabulary: fall back to the single-byte tokens of its UTF-8 code points.
    for (uint32_t c : utf8_decode(s)) {
      auto jt = token_id_.find(utf8_encode(c));
      if (jt != token_id_.end()) ids.push_back(jt->second);
    }
  }
  cache_.emplace(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

std::vector<int> BpeTokenizer::encode(const std::string& text) const {
  std::vector<int> ids;
  if (add_bos_ && bos_ >= 0) ids.push_back(bos_);
  for (const auto& p : pretokenize(text)) bpe_piece(p, ids);
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int>& ids) const {
  std::string out;
  for (int id : ids) {
    if (id < 0 || id >= (int)tokens_.size()) continue;
    for (uint32_t c : utf8_decode(tokens_[id])) {
      auto it = sym_byte_.find(utf8_encode(c));
      if (it != sym_byte_.end()) out += (char)it->second;
      else out += utf8_encode(c);
    }
  }
  return out;
}

}  // namespace llmc
