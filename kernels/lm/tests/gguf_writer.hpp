// A small GGUF v2/v3 writer for the tests: metadata, tensors in F32 / F16 / Q8_0 / Q4_0 / Q4_1
// quantised here with llama.cpp's reference rounding, and what each stored element decodes to
// (computed from the integer codes and fp16 scales written, not by parsing the bytes back).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "llmc/gguf.hpp"

namespace gw {

struct Tensor {
  std::string name;
  std::vector<int64_t> dims;
  uint32_t type;
  std::vector<uint8_t> bytes;
  std::vector<float> decoded;  // expected dequantised values
};

inline float h2f(uint16_t h) { return llmc::fp16_to_float(h); }

inline Tensor make(const std::string& name, std::vector<int64_t> dims, uint32_t type, const std::vector<float>& x) {
  Tensor t{name, dims, type, {}, {}};
  auto put16 = [&](uint16_t v) { t.bytes.push_back(v & 0xFF); t.bytes.push_back(v >> 8); };
  const size_t n = x.size();
  if (type == 0) {
    t.bytes.resize(n * 4);
    std::memcpy(t.bytes.data(), x.data(), n * 4);
    t.decoded = x;
  } else if (type == 1) {
    for (float v : x) { const uint16_t h = llmc::float_to_fp16(v); put16(h); t.decoded.push_back(h2f(h)); }
  } else {
    for (size_t b = 0; b < n; b += 32) {
      const float* v = x.data() + b;
      if (type == 8) {  // Q8_0
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = std::max(amax, std::fabs(v[j]));
        const float d = amax / 127.f, id = d ? 1.f / d : 0.f;
        const uint16_t dh = llmc::float_to_fp16(d);
        put16(dh);
        for (int j = 0; j < 32; j++) {
          const int q = (int)std::round(v[j] * id);
          t.bytes.push_back((uint8_t)(int8_t)q);
          t.decoded.push_back((float)q * h2f(dh));
        }
      } else if (type == 2) {  // Q4_0
        float amax = 0, mx = 0;
        for (int j = 0; j < 32; j++) if (std::fabs(v[j]) > amax) { amax = std::fabs(v[j]); mx = v[j]; }
        const float d = mx / -8.f, id = d ? 1.f / d : 0.f;
        const uint16_t dh = llmc::float_to_fp16(d);
        put16(dh);
        int q[32];
        for (int j = 0; j < 32; j++) q[j] = std::min(15, (int)(v[j] * id + 8.5f));
        for (int j = 0; j < 16; j++) t.bytes.push_back((uint8_t)(q[j] | (q[j + 16] << 4)));
        for (int j = 0; j < 32; j++) t.decoded.push_back((float)(q[j] - 8) * h2f(dh));
      } else if (type == 3) {  // Q4_1
        float mn = v[0], mx = v[0];
        for (int j = 1; j < 32; j++) { mn = std::min(mn, v[j]); mx = std::max(mx, v[j]); }
        const float d = (mx - mn) / 15.f, id = d ? 1.f / d : 0.f;
        const uint16_t dh = llmc::float_to_fp16(d), mh = llmc::float_to_fp16(mn);
        put16(dh);
        put16(mh);
        int q[32];
        for (int j = 0; j < 32; j++) q[j] = std::min(15, (int)((v[j] - mn) * id + 0.5f));
        for (int j = 0; j < 16; j++) t.bytes.push_back((uint8_t)(q[j] | (q[j + 16] << 4)));
        for (int j = 0; j < 32; j++) t.decoded.push_back((float)q[j] * h2f(dh) + h2f(mh));
      }
    }
  }
  return t;
}

struct Writer {
  uint32_t version = 3;
  std::vector<uint8_t> kv;
  uint64_t n_kv = 0;
  std::vector<Tensor> tensors;

  void raw(const void* p, size_t n) { kv.insert(kv.end(), (const uint8_t*)p, (const uint8_t*)p + n); }
  void str(const std::string& s) { uint64_t n = s.size(); raw(&n, 8); raw(s.data(), n); }
  void key(const std::string& k, uint32_t type) { str(k); raw(&type, 4); n_kv++; }
  void u32(const std::string& k, uint32_t v) { key(k, 4); raw(&v, 4); }
  void f32(const std::string& k, float v) { key(k, 6); raw(&v, 4); }
  void boolean(const std::string& k, bool v) { key(k, 7); uint8_t b = v; raw(&b, 1); }
  void string(const std::string& k, const std::string& v) { key(k, 8); str(v); }
  void strings(const std::string& k, const std::vector<std::string>& v) {
    key(k, 9);
    uint32_t et = 8;
    uint64_t n = v.size();
    raw(&et, 4);
    raw(&n, 8);
    for (const auto& s : v) str(s);
  }
  void add(Tensor t) { tensors.push_back(std::move(t)); }

  // Writes the file; returns its bytes' size. truncate_to > 0 cuts the file there.
  size_t write(const std::string& path, size_t truncate_to = 0) const {
    std::vector<uint8_t> out;
    auto raw_out = [&](const void* p, size_t n) { out.insert(out.end(), (const uint8_t*)p, (const uint8_t*)p + n); };
    raw_out("GGUF", 4);
    raw_out(&version, 4);
    uint64_t nt = tensors.size();
    raw_out(&nt, 8);
    raw_out(&n_kv, 8);
    raw_out(kv.data(), kv.size());
    uint64_t off = 0;
    for (const auto& t : tensors) {
      uint64_t n = t.name.size();
      raw_out(&n, 8);
      raw_out(t.name.data(), n);
      uint32_t nd = (uint32_t)t.dims.size();
      raw_out(&nd, 4);
      for (int64_t d : t.dims) { uint64_t u = (uint64_t)d; raw_out(&u, 8); }
      raw_out(&t.type, 4);
      raw_out(&off, 8);
      off += (t.bytes.size() + 31) / 32 * 32;
    }
    while (out.size() % 32) out.push_back(0);
    for (const auto& t : tensors) {
      raw_out(t.bytes.data(), t.bytes.size());
      while (out.size() % 32) out.push_back(0);
    }
    if (truncate_to > 0 && truncate_to < out.size()) out.resize(truncate_to);
    std::ofstream f(path, std::ios::binary);
    f.write((const char*)out.data(), (std::streamsize)out.size());
    return out.size();
  }
};

// GPT-2's bytes_to_unicode symbol of byte b (UTF-8).
inline std::string byte_symbol(int b) {
  int next = 256, cp = b;
  for (int x = 0; x < 256; x++) {
    const bool keep = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174 && x <= 255);
    if (x == b) { cp = keep ? x : next; break; }
    if (!keep) next++;
  }
  std::string s;
  if (cp < 0x80) s += (char)cp;
  else { s += (char)(0xC0 | (cp >> 6)); s += (char)(0x80 | (cp & 0x3F)); }
  return s;
}

// A tiny Llama model (random weights from `seed`) with a byte-level BPE vocabulary: the 256 byte
// symbols, then the merges below. untied: with an F16 output.weight.
inline Writer tiny_llama(uint64_t seed, bool untied, int d = 64, int ff = 64, int n_layers = 2) {
  Writer w;
  std::vector<std::string> toks;
  for (int b = 0; b < 256; b++) toks.push_back(byte_symbol(b));
  const std::vector<std::string> merges = {"t h", "th e", "\xC4\xA0 t", "\xC4\xA0t he", "i n", "a n", "an d", "\xC4\xA0 and"};
  for (const auto& m : merges) toks.push_back(m.substr(0, m.find(' ')) + m.substr(m.find(' ') + 1));
  const int V = (int)toks.size();
  w.string("general.architecture", "llama");
  w.u32("llama.block_count", (uint32_t)n_layers);
  w.u32("llama.context_length", 256);
  w.u32("llama.embedding_length", (uint32_t)d);
  w.u32("llama.feed_forward_length", (uint32_t)ff);
  w.u32("llama.attention.head_count", 4);
  w.u32("llama.attention.head_count_kv", 2);
  w.f32("llama.rope.freq_base", 10000.f);
  w.f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.u32("general.alignment", 32);
  w.string("tokenizer.ggml.model", "gpt2");
  w.string("tokenizer.ggml.pre", "gpt-2");
  w.strings("tokenizer.ggml.tokens", toks);
  w.strings("tokenizer.ggml.merges", merges);
  w.boolean("tokenizer.ggml.add_bos_token", false);
  uint64_t s = seed * 2654435761u + 12345;
  auto rnd = [&]() {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17;
    return (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  };
  auto mat = [&](int64_t rows, int64_t cols, float scale) {
    std::vector<float> x((size_t)(rows * cols));
    for (auto& v : x) v = rnd() * scale;
    return x;
  };
  auto ones = [&](int64_t n) { std::vector<float> x((size_t)n); for (auto& v : x) v = 1.f + 0.2f * rnd(); return x; };
  const int kd = d / 4 * 2;
  w.add(make("token_embd.weight", {d, V}, 8, mat(V, d, 1.0f)));
  for (int l = 0; l < n_layers; l++) {
    const std::string p = "blk." + std::to_string(l) + ".";
    w.add(make(p + "attn_norm.weight", {d}, 0, ones(d)));
    w.add(make(p + "attn_q.weight", {d, d}, 3, mat(d, d, 0.5f)));
    w.add(make(p + "attn_k.weight", {d, kd}, 3, mat(kd, d, 0.5f)));
    w.add(make(p + "attn_v.weight", {d, kd}, 2, mat(kd, d, 0.5f)));
    w.add(make(p + "attn_output.weight", {d, d}, 3, mat(d, d, 0.3f)));
    w.add(make(p + "ffn_norm.weight", {d}, 0, ones(d)));
    w.add(make(p + "ffn_gate.weight", {d, ff}, 3, mat(ff, d, 0.4f)));
    w.add(make(p + "ffn_up.weight", {d, ff}, 1, mat(ff, d, 0.4f)));
    w.add(make(p + "ffn_down.weight", {ff, d}, 3, mat(d, ff, 0.3f)));
  }
  w.add(make("output_norm.weight", {d}, 0, ones(d)));
  if (untied) w.add(make("output.weight", {d, V}, 1, mat(V, d, 0.5f)));
  return w;
}

}  // namespace gw
