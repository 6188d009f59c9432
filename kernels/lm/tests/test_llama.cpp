// Unit tests of the pretrained-model path: GGUF parsing and errors, the BPE tokenizer, Llama
// layers and forward against naive double-precision references, the KV formats against their
// references, perplexity windows. Usage: lm_llama_tests [case | write-tiny <dir>]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

#include "util.hpp"
#include "gguf_writer.hpp"
#include "llama_kv.hpp"
#include "llmc/gguf.hpp"
#include "llmc/llama.hpp"
#include "llmc/tokenizer.hpp"

namespace {


std::string tmpdir() {
  static const std::string d = scratch_dir("lm_llama_tests");  // once per process
  return d;
}


std::string expect_error(const std::string& path) {
  try {
    llmc::GgufFile f(path);
    return "";
  } catch (const llmc::GgufError& e) {
    return e.what();
  }
}

void test_gguf_parse() {
  for (uint32_t version : {2u, 3u}) {
    gw::Writer w;
    w.version = version;
    w.u32("test.count", 7);
    w.f32("test.theta", 1.5f);
    w.string("test.name", "tiny");
    w.strings("test.list", {"a", "b c", "\xC4\xA0x"});
    w.boolean("test.flag", true);
    const auto base = randv(4 * 64, 3);
    for (uint32_t t : {0u, 1u, 2u, 3u, 8u}) w.add(gw::make("t" + std::to_string(t), {64, 4}, t, tof(base)));
    const std::string p = tmpdir() + "/parse.gguf";
    w.write(p);
    llmc::GgufFile f(p);
    CHECK(f.version() == version, "version %u", f.version());
    CHECK(f.get_int("test.count") == 7, "u32");
    CHECK(f.get_float("test.theta", 0) == 1.5, "f32");
    CHECK(f.get_string("test.name") == "tiny", "string");
    CHECK(f.get_strings("test.list").size() == 3 && f.get_strings("test.list")[2] == "\xC4\xA0x", "string array");
    CHECK(f.get("test.flag").i == 1, "bool");
    CHECK(f.tensors().size() == 5, "tensor count %zu", f.tensors().size());
    for (const auto& t : w.tensors) {
      const auto got = f.dequant(t.name, {64, 4});
      double md = 0;
      for (size_t i = 0; i < got.size(); i++) md = std::max(md, (double)std::fabs(got[i] - t.decoded[i]));
      CHECK(md == 0, "v%u %s: dequantised values differ from the encoded ones by %.3g", version, t.name.c_str(), md);
      // and the quantisation is close to the input (sanity of the writer itself)
      double qe = 0;
      for (size_t i = 0; i < got.size(); i++) qe = std::max(qe, std::fabs(got[i] - base[i]));
      CHECK(qe < (t.type == 2 || t.type == 3 ? 0.15 : 0.01), "%s: quantisation error %.3g", t.name.c_str(), qe);
    }
    bool threw = false;
    try { f.dequant("t0", {4, 64}); } catch (const llmc::GgufError& e) { threw = std::string(e.what()).find("t0") != std::string::npos; }
    CHECK(threw, "shape mismatch must name the tensor");
  }
}

void test_gguf_errors() {
  const std::string d = tmpdir();
  gw::Writer w;
  w.u32("x", 1);
  w.add(gw::make("first", {32, 2}, 3, tof(randv(64, 1))));
  w.add(gw::make("second.weight", {32, 4}, 8, tof(randv(128, 2))));
  const size_t full = w.write(d + "/ok.gguf");
  CHECK(expect_error(d + "/ok.gguf").empty(), "a whole file must parse: %s", expect_error(d + "/ok.gguf").c_str());
  w.write(d + "/trunc.gguf", full - 60);  // inside second.weight (the last 24 bytes are padding)
  std::string e = expect_error(d + "/trunc.gguf");
  CHECK(e.find("truncated") != std::string::npos && e.find("second.weight") != std::string::npos &&
            e.find("trunc.gguf") != std::string::npos, "truncated data: '%s'", e.c_str());
  w.write(d + "/trunc_hdr.gguf", 30);
  e = expect_error(d + "/trunc_hdr.gguf");
  CHECK(e.find("truncated at byte offset") != std::string::npos, "truncated header: '%s'", e.c_str());
  gw::Writer b;
  gw::Tensor t = gw::make("blk.0.attn_q.weight", {256, 1}, 0, tof(randv(256, 3)));
  t.type = 12;  // Q4_K: not dequantised by this reader
  b.add(t);
  b.write(d + "/badtype.gguf");
  e = expect_error(d + "/badtype.gguf");
  CHECK(e.find("Q4_K") != std::string::npos && e.find("blk.0.attn_q.weight") != std::string::npos, "unknown type: '%s'", e.c_str());
  t.type = 99;
  gw::Writer b2;
  b2.add(t);
  b2.write(d + "/badtype99.gguf");
  e = expect_error(d + "/badtype99.gguf");
  CHECK(e.find("type 99") != std::string::npos, "type 99: '%s'", e.c_str());
  std::ofstream(d + "/notgguf.gguf") << "hello world, not a gguf";
  e = expect_error(d + "/notgguf.gguf");
  CHECK(e.find("magic") != std::string::npos, "bad magic: '%s'", e.c_str());
}

void test_layers() {
  // matmul with tile remainders (T=5, N=7) and the non-multiple-of-8 K fallback (K=12)
  for (int K : {24, 12}) {
    const int T = 5, N = 7;
    auto x = randv((size_t)T * K, 1), w = randv((size_t)N * K, 2);
    std::vector<float> o((size_t)T * N);
    std::vector<double> r((size_t)T * N);
    llmc::matmul(o.data(), tof(x).data(), tof(w).data(), T, K, N, 2);
    llmc::matmul_ref(r.data(), x.data(), w.data(), T, K, N);
    CHECK(rel_err(o, r) < 1e-6, "matmul K=%d: %.3g", K, rel_err(o, r));
  }
  {
    const int T = 3, C = 10;
    auto x = randv(T * C, 4), w = randv(C, 5, 0.5, 1.0);
    std::vector<float> o(T * C);
    std::vector<double> r(T * C);
    llmc::rmsnorm(o.data(), tof(x).data(), tof(w).data(), T, C, 1e-5f);
    llmc::rmsnorm_ref(r.data(), x.data(), w.data(), T, C, 1e-5);
    CHECK(rel_err(o, r) < 1e-6, "rmsnorm %.3g", rel_err(o, r));
  }
  {
    // RoPE at positions up to 40 with theta 1e5, partial rotation (rot 6 of 8)
    const int T = 41, H = 3, hd = 8;
    for (int rot : {8, 6}) {
      auto x = randv((size_t)T * H * hd, 6);
      auto xf = tof(x);
      llmc::rope(xf.data(), T, H, hd, rot, 1e5, 0);
      llmc::rope_ref(x.data(), T, H, hd, rot, 1e5, 0);
      CHECK(rel_err(xf, x) < 1e-5, "rope rot %d: %.3g", rot, rel_err(xf, x));
    }
    // position 0 is the identity; rotation keeps each pair's norm
    auto y = tof(randv(hd, 7));
    auto y0 = y;
    llmc::rope(y.data(), 1, 1, hd, hd, 1e4, 0);
    CHECK(y == y0, "rope at position 0 must be the identity");
  }
  {
    const int T = 9, H = 6, G = 2, hd = 8;
    auto q = randv((size_t)T * H * hd, 8), k = randv((size_t)T * G * hd, 9), v = randv((size_t)T * G * hd, 10);
    std::vector<float> o((size_t)T * H * hd);
    std::vector<double> r((size_t)T * H * hd);
    llmc::attention_gqa(o.data(), tof(q).data(), tof(k).data(), tof(v).data(), T, H, G, hd, 2);
    llmc::attention_gqa_ref(r.data(), q.data(), k.data(), v.data(), T, H, G, hd);
    CHECK(rel_err(o, r) < 1e-6, "gqa %.3g", rel_err(o, r));
  }
}

// Double-precision forward of the whole model, from the *_ref layers.
using namespace llmc;
std::vector<double> forward_ref(const llmc::LlamaModel& m, const std::vector<int>& tok) {
  const auto& c = m.cfg;
  const int T = (int)tok.size(), d = c.d_model, kd = c.kv_dim(), ff = c.d_ff;
  std::vector<double> x((size_t)T * d), h((size_t)T * d), q((size_t)T * d), k((size_t)T * kd), v((size_t)T * kd),
      a((size_t)T * d), g((size_t)T * ff), u((size_t)T * ff), o((size_t)T * d);
  for (int t = 0; t < T; t++)
    for (int i = 0; i < d; i++) x[(size_t)t * d + i] = m.tok_emb[(size_t)tok[t] * d + i];
  for (const auto& L : m.layers) {
    rmsnorm_ref(h.data(), x.data(), tod(L.attn_norm).data(), T, d, c.rms_eps);
    matmul_ref(q.data(), h.data(), tod(L.wq).data(), T, d, d);
    matmul_ref(k.data(), h.data(), tod(L.wk).data(), T, d, kd);
    matmul_ref(v.data(), h.data(), tod(L.wv).data(), T, d, kd);
    rope_ref(q.data(), T, c.n_heads, c.head_dim, c.rope_dim, c.rope_theta, 0);
    rope_ref(k.data(), T, c.n_kv_heads, c.head_dim, c.rope_dim, c.rope_theta, 0);
    attention_gqa_ref(a.data(), q.data(), k.data(), v.data(), T, c.n_heads, c.n_kv_heads, c.head_dim);
    matmul_ref(o.data(), a.data(), tod(L.wo).data(), T, d, d);
    for (size_t i = 0; i < x.size(); i++) x[i] += o[i];
    rmsnorm_ref(h.data(), x.data(), tod(L.ffn_norm).data(), T, d, c.rms_eps);
    matmul_ref(g.data(), h.data(), tod(L.w_gate).data(), T, d, ff);
    matmul_ref(u.data(), h.data(), tod(L.w_up).data(), T, d, ff);
    for (size_t i = 0; i < g.size(); i++) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
    matmul_ref(o.data(), g.data(), tod(L.w_down).data(), T, ff, d);
    for (size_t i = 0; i < x.size(); i++) x[i] += o[i];
  }
  rmsnorm_ref(h.data(), x.data(), tod(m.out_norm).data(), T, d, c.rms_eps);
  std::vector<double> logits((size_t)T * c.vocab);
  matmul_ref(logits.data(), h.data(), tod(c.tied ? m.tok_emb : m.output).data(), T, d, c.vocab);
  return logits;
}

void test_llama_forward() {
  for (bool untied : {true, false}) {
    const std::string p = tmpdir() + (untied ? "/tiny.gguf" : "/tiny_tied.gguf");
    gw::tiny_llama(5, untied).write(p);
    llmc::GgufFile f(p);
    const llmc::LlamaModel m = llmc::load_llama_gguf(f);
    CHECK(m.cfg.tied == !untied, "tied flag");
    CHECK(m.cfg.n_kv_heads == 2 && m.cfg.head_dim == 16 && m.cfg.rope_theta == 10000.0, "hyper-parameters");
    std::vector<int> tok;
    for (int t = 0; t < 23; t++) tok.push_back((t * 37 + 11) % m.cfg.vocab);
    std::vector<float> hidden(tok.size() * m.cfg.d_model), logits(tok.size() * m.cfg.vocab);
    llmc::llama_forward(m, tok.data(), (int)tok.size(), nullptr, hidden.data(), 2);
    std::vector<int> rows(tok.size());
    for (size_t i = 0; i < rows.size(); i++) rows[i] = (int)i;
    llmc::llama_logits(m, hidden.data(), rows.data(), (int)rows.size(), logits.data(), 2);
    const auto ref = forward_ref(m, tok);
    CHECK(rel_err(logits, ref) < 2e-5, "forward (%s) vs double reference: %.3g", untied ? "untied" : "tied", rel_err(logits, ref));
    // threads do not change a bit
    std::vector<float> h1(hidden.size());
    llmc::llama_forward(m, tok.data(), (int)tok.size(), nullptr, h1.data(), 1);
    CHECK(h1 == hidden, "forward must not depend on the thread count");
  }
}

void test_tokenizer() {
  const std::string p = tmpdir() + "/tok.gguf";
  gw::tiny_llama(1, false).write(p);
  llmc::GgufFile f(p);
  llmc::BpeTokenizer tok(f);
  auto pieces = tok.pretokenize("Hello world's  end\n\nok 123 x!? \xC3\xA9t\xC3\xA9");
  const std::vector<std::string> want = {"Hello", " world", "'s", " ", " end", "\n", "\n", "ok", " 123", " x", "!?", " \xC3\xA9t\xC3\xA9"};
  CHECK(pieces == want, "gpt-2 pre-tokenisation: got %zu pieces", pieces.size());
  for (size_t i = 0; i < pieces.size() && i < want.size(); i++)
    if (pieces[i] != want[i]) std::fprintf(stderr, "    piece %zu: '%s' vs '%s'\n", i, pieces[i].c_str(), want[i].c_str());
  // Token b < 256 is byte b's symbol; 256.. are the merges in order: th, the, Ġt, Ġthe, in, an,
  // and, Ġand. Lowest rank first: " the" -> Ġ + (t h -> th, th e -> the) and Ġt never forms;
  // " and" -> a n, an d, Ġ and -> Ġand; " then" -> Ġ, the, n.
  const auto ids = tok.encode(" the and then");
  const std::vector<int> want_ids = {32, 257, 263, 32, 257, 'n'};
  CHECK(ids == want_ids, "bpe merges: %zu ids", ids.size());
  const std::string text = "The \xE2\x80\x9Cquick\xE2\x80\x9D fox, 42 times \xF0\x9F\x98\x80\ttabs\r\n";
  CHECK(tok.decode(tok.encode(text)) == text, "decode(encode(x)) == x");
}

std::vector<std::string> g_modes = {"fp32", "fp16", "int8", "int4", "int2", "bin", "q8_0", "q4_0", "kivi2", "kivi-bin", "bin-c", "qjl"};

void test_kv_reference() {
  // T = 13: one query block; T = 200: several blocks of the blocked (matrix-product) path
  struct Shape { int T, group, residual; uint64_t seed; };
  for (const Shape sh : {Shape{13, 4, 3, 21}, Shape{200, 8, 37, 24}}) {
    const int T = sh.T, H = 4, G = 2, hd = 16, kd = G * hd;
    auto q = randv((size_t)T * H * hd, sh.seed), k = randv((size_t)T * kd, sh.seed + 1, 1.0, 0.3),
         v = randv((size_t)T * kd, sh.seed + 2);
    for (const auto& name : g_modes)
      for (int R : {0, sh.residual}) {
        const lm::KvConfig kv = kv_config(name, sh.group, R, 7);
        std::vector<float> o1((size_t)T * H * hd), o2(o1.size());
        std::vector<double> r((size_t)T * H * hd);
        lm::kv_attention(kv, 1, tof(q).data(), tof(k).data(), tof(v).data(), T, H, G, hd, o1.data(), 1);
        lm::kv_attention(kv, 1, tof(q).data(), tof(k).data(), tof(v).data(), T, H, G, hd, o2.data(), 2);
        lm::kv_attention_ref(kv, 1, q.data(), k.data(), v.data(), T, H, G, hd, r.data());
        CHECK(rel_err(o2, r) < 2e-5, "kv %s R=%d T=%d vs reference: %.3g", name.c_str(), R, T, rel_err(o2, r));
        CHECK(o1 == o2, "kv %s R=%d T=%d: bit-identical at 1 and 2 threads", name.c_str(), R, T);
      }
  }
}

double attn_err(const std::string& name, int R, const std::vector<double>& q, const std::vector<double>& k,
                const std::vector<double>& v, int T, int H, int G, int hd, uint64_t seed = 1) {
  const lm::KvConfig kv = kv_config(name, 8, R, seed);
  lm::KvConfig ex;
  ex.mode = lm::KvMode::FP32;
  std::vector<double> a((size_t)T * H * hd), b((size_t)T * H * hd);
  lm::kv_attention_ref(kv, 0, q.data(), k.data(), v.data(), T, H, G, hd, a.data());
  lm::kv_attention_ref(ex, 0, q.data(), k.data(), v.data(), T, H, G, hd, b.data());
  double e = 0, n = 0;
  for (size_t i = 0; i < a.size(); i++) { e += (a[i] - b[i]) * (a[i] - b[i]); n += b[i] * b[i]; }
  return std::sqrt(e / n);
}

void test_kv_rotation() {
  // The transform: [1 2 3 4] H_4 = [10 -2 -4 0] / 2 by hand; H H = I; the norm is kept.
  std::vector<float> x4 = {1, 2, 3, 4};
  lm::hadamard_blocks(x4.data(), 4, 4);
  CHECK(x4 == std::vector<float>({5, -1, -2, 0}), "H_4 [1 2 3 4] = [5 -1 -2 0]: %g %g %g %g", x4[0], x4[1], x4[2], x4[3]);
  std::vector<double> xd = randv(256, 41);
  std::vector<float> y = tof(xd);
  lm::hadamard_blocks(y.data(), 256, 128);
  double n0 = 0, n1 = 0;
  for (int i = 0; i < 256; i++) { n0 += xd[i] * xd[i]; n1 += (double)y[i] * y[i]; }
  CHECK(std::fabs(n1 / n0 - 1) < 1e-6, "H_128 keeps the norm: %.9f", n1 / n0);
  lm::hadamard_blocks(y.data(), 256, 128);
  CHECK(rel_err(y, xd) < 1e-6, "H_128 H_128 = I: %.3g", rel_err(y, xd));
  CHECK(lm::hadamard_key_block(64) == 64 && lm::hadamard_key_block(128) == 128 && lm::hadamard_key_block(192) == 64 &&
            lm::hadamard_value_block(128) == 64, "block widths as llama.cpp picks them");
  bool threw = false;
  try { lm::hadamard_key_block(80); } catch (const std::invalid_argument&) { threw = true; }
  CHECK(threw, "head width 80 is refused");

  // Every format with the rotation against the reference (which rotates with the explicit matrix).
  const int T = 11, H = 4, G = 2, hd = 64;
  auto q = randv((size_t)T * H * hd, 42), k = randv((size_t)T * G * hd, 43, 1.0, 0.3), v = randv((size_t)T * G * hd, 44);
  for (const auto& name : g_modes)
    for (int R : {0, 3}) {
      lm::KvConfig kv = kv_config(name, 8, R, 5);
      kv.rotation = lm::KvRotation::HADAMARD;
      std::vector<float> o((size_t)T * H * hd);
      std::vector<double> r((size_t)T * H * hd);
      lm::kv_attention(kv, 0, tof(q).data(), tof(k).data(), tof(v).data(), T, H, G, hd, o.data(), 2);
      lm::kv_attention_ref(kv, 0, q.data(), k.data(), v.data(), T, H, G, hd, r.data());
      CHECK(rel_err(o, r) < 2e-5, "kv %s+hadamard R=%d vs reference: %.3g", name.c_str(), R, rel_err(o, r));
    }

  // Why it exists: keys with one outlier channel per head. A block quantiser's scale follows the
  // outlier and flattens the other channels; rotated, the outlier is spread over the block.
  const int T2 = 40;
  auto q2 = randv((size_t)T2 * H * hd, 45), k2 = randv((size_t)T2 * G * hd, 46), v2 = randv((size_t)T2 * G * hd, 47);
  for (int t = 0; t < T2; t++)
    for (int g = 0; g < G; g++) k2[((size_t)t * G + g) * hd + 5] = 25.0 + 0.1 * t;
  auto err = [&](const char* name, lm::KvRotation rot) {
    lm::KvConfig kv, ex;
    kv.mode = lm::kv_mode_from_name(name);
    kv.rotation = rot;
    ex.mode = lm::KvMode::FP32;
    std::vector<double> a((size_t)T2 * H * hd), b((size_t)T2 * H * hd);
    lm::kv_attention_ref(kv, 0, q2.data(), k2.data(), v2.data(), T2, H, G, hd, a.data());
    lm::kv_attention_ref(ex, 0, q2.data(), k2.data(), v2.data(), T2, H, G, hd, b.data());
    return rel_err(tof(a), b);
  };
  for (const char* name : {"q4_0", "int4"}) {  // (at 2 bits the spread outlier costs more than it saves)
    const double plain = err(name, lm::KvRotation::NONE), rot = err(name, lm::KvRotation::HADAMARD);
    CHECK(rot < plain, "%s with an outlier key channel: rotated error %.4f < plain %.4f", name, rot, plain);
  }
  // fp16 ignores the rotation (llama.cpp only rotates quantised caches): bit-identical output.
  lm::KvConfig a16, b16;
  a16.mode = b16.mode = lm::KvMode::FP16;
  b16.rotation = lm::KvRotation::HADAMARD;
  std::vector<float> oa((size_t)T * H * hd), ob((size_t)T * H * hd);
  lm::kv_attention(a16, 0, tof(q).data(), tof(k).data(), tof(v).data(), T, H, G, hd, oa.data(), 1);
  lm::kv_attention(b16, 0, tof(q).data(), tof(k).data(), tof(v).data(), T, H, G, hd, ob.data(), 1);
  CHECK(oa == ob, "fp16 + hadamard == fp16");
}

void test_kv_order() {
  const int T = 48, H = 4, G = 2, hd = 16;
  auto q = randv((size_t)T * H * hd, 31, 2.0), k = randv((size_t)T * G * hd, 32, 2.0), v = randv((size_t)T * G * hd, 33);
  const double e8 = attn_err("int8", 0, q, k, v, T, H, G, hd), e4 = attn_err("int4", 0, q, k, v, T, H, G, hd),
               e2 = attn_err("int2", 0, q, k, v, T, H, G, hd), eb = attn_err("bin", 0, q, k, v, T, H, G, hd),
               q8 = attn_err("q8_0", 0, q, k, v, T, H, G, hd), q4 = attn_err("q4_0", 0, q, k, v, T, H, G, hd),
               e16 = attn_err("fp16", 0, q, k, v, T, H, G, hd);
  std::printf("  rel. attention error: fp16 %.2e int8 %.2e q8_0 %.2e int4 %.2e q4_0 %.2e int2 %.2e bin %.2e\n", e16, e8, q8, e4, q4, e2, eb);
  CHECK(e16 < e8 && e8 < e4 && e4 < e2, "int ordering fp16 < int8 < int4 < int2");
  CHECK(q8 < q4 && q4 < e2, "q8_0 < q4_0 < int2");
  // the fp16 residual window: more recent tokens at fp16 -> less error; R >= T is exactly fp16
  const double k0 = attn_err("kivi-bin", 0, q, k, v, T, H, G, hd), k16 = attn_err("kivi-bin", 16, q, k, v, T, H, G, hd),
               kall = attn_err("kivi-bin", T, q, k, v, T, H, G, hd);
  CHECK(k16 < k0 && std::fabs(kall - e16) < 1e-12, "residual window: R=0 %.3g R=16 %.3g R=T %.3g (fp16 %.3g)", k0, k16, kall, e16);
  const double b16 = attn_err("bin", 16, q, k, v, T, H, G, hd);
  CHECK(b16 < eb, "bin with a residual window: %.3g vs %.3g", b16, eb);
  // keys with a per-channel offset: KIVI's per-channel keys and the centred sign beat plain bin
  auto ko = k;
  for (int t = 0; t < T; t++)
    for (int c = 0; c < G * hd; c++) ko[(size_t)t * G * hd + c] += (c % 3 == 0 ? 3.0 : -1.5);
  const double bo = attn_err("bin", 0, q, ko, v, T, H, G, hd), co = attn_err("bin-c", 0, q, ko, v, T, H, G, hd),
               i2 = attn_err("int2", 0, q, ko, v, T, H, G, hd), kv2 = attn_err("kivi2", 0, q, ko, v, T, H, G, hd);
  std::printf("  offset keys: bin %.3f bin-c %.3f int2 %.3f kivi2 %.3f\n", bo, co, i2, kv2);
  CHECK(co < bo, "centred sign must beat sign on offset keys (%.3g vs %.3g)", co, bo);
  CHECK(kv2 < i2, "kivi2 (keys per channel) must beat per-token int2 on offset keys (%.3g vs %.3g)", kv2, i2);
}

void test_qjl_unbiased() {
  // E over seeds of the qjl score estimate equals q.k (QJL, Zandieh et al. 2024, Lemma 3.2).
  const int hd = 16, m = 16, n = 4000;
  auto q = randv(hd, 41), k = randv(hd, 42);
  double qk = 0, nk = 0;
  for (int c = 0; c < hd; c++) { qk += q[c] * k[c]; nk += k[c] * k[c]; }
  nk = std::sqrt(nk);
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++) {
    const auto P = lm::qjl_projection((uint64_t)i + 1, 0, m, hd);
    double est = 0;
    for (int r = 0; r < m; r++) {
      double pq = 0, pk = 0;
      for (int c = 0; c < hd; c++) { pq += P[(size_t)r * hd + c] * q[c]; pk += P[(size_t)r * hd + c] * k[c]; }
      est += pq * (pk >= 0 ? 1 : -1);
    }
    est *= std::sqrt(3.14159265358979323846 / 2) / m * nk;
    s += est;
    s2 += est * est;
  }
  const double mean = s / n, se = std::sqrt((s2 / n - mean * mean) / n);
  std::printf("  qjl: q.k %.5f, mean estimate %.5f (se %.5f)\n", qk, mean, se);
  CHECK(std::fabs(mean - qk) < 4 * se, "qjl estimator biased: %.5f vs %.5f (se %.5f)", mean, qk, se);
}

void test_kv_bytes() {
  llmc::LlamaConfig c;
  c.n_layers = 30; c.d_model = 576; c.n_heads = 9; c.n_kv_heads = 3; c.head_dim = 64;
  const int L = 1024;
  auto bits = [&](const char* n, int R = 0, int G = 32) {
    lm::KvConfig kv; kv.mode = lm::kv_mode_from_name(n); kv.residual = R; kv.group = G;
    return lm::llama_kv_bits_per_scalar(c, kv, L);
  };
  CHECK(bits("fp16") == 16 && bits("int4") == 5 && bits("int8") == 9 && bits("q4_0") == 4.5 && bits("q8_0") == 8.5, "int bits");
  CHECK(std::fabs(bits("bin") - (1 + 16.0 / L)) < 1e-12, "bin bits %.6f", bits("bin"));
  CHECK(std::fabs(bits("bin-c") - (1 + 32.0 / L)) < 1e-12, "bin-c bits");
  CHECK(std::fabs(bits("kivi-bin") - 1.5) < 1e-12 && std::fabs(bits("kivi2") - 3) < 1e-12, "kivi bits %.4f %.4f", bits("kivi-bin"), bits("kivi2"));
  // qjl: m = 64 sign bits + 16-bit norm per 64-wide key head -> 1.25; values as bin
  CHECK(std::fabs(bits("qjl") - (1.25 + 1 + 16.0 / L) / 2) < 1e-12, "qjl bits %.5f", bits("qjl"));
  // a residual of 128 fp16 tokens out of 1024 adds 128/1024 * (16 - 1.5) to kivi-bin's 1.5
  CHECK(std::fabs(bits("kivi-bin", 128) - (1.5 + 128.0 / L * 14.5)) < 1e-12, "residual bits %.5f", bits("kivi-bin", 128));
}

void test_ppl_windows() {
  // llama-perplexity: n_chunk = N / L chunks scoring L - 1 - L/2 targets; strided: ceil((N-L)/S)
  auto w = lm::ppl_windows(1000, 128, 0);
  CHECK(w.size() == 7 && w[1].start == 128 && 128 - w[0].first_target == 63, "chunks");
  w = lm::ppl_windows(1000, 128, 64);
  CHECK(w.size() == 14 && w[13].start == 13 * 64 && w[0].first_target == 64, "strided: %zu", w.size());
  CHECK(w.back().start + 128 <= 1000, "last window inside the stream");
}

// The SmolLM2 tokenizer against llama.cpp's llama-tokenize on the committed fixture.
int test_smollm2_tokens() {
  const char* fx = std::getenv("LM_TOKENS_FIXTURE");
  const char* model = std::getenv("LM_SMOLLM2_GGUF");
  if (!fx || !model || !*model) {
    std::printf("  skipped: LM_SMOLLM2_GGUF not set (model package not installed)\n");
    return 77;
  }
  std::ifstream f(fx);
  if (!f) {
    std::printf("  skipped: no fixture %s yet (python3 kernels/bench/h2_vs_llamacpp.py --write-fixture)\n", fx);
    return 77;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  // fixture: {"text": "...", "ids": [...]} written by kernels/bench/h2_vs_llamacpp.py
  const std::string tkey = "\"text_file\": \"";
  const size_t a = s.find(tkey);
  if (s.empty() || a == std::string::npos || s.find("\"ids\"") == std::string::npos) {
    CHECK(false, "fixture %s is missing or malformed (python3 kernels/bench/h2_vs_llamacpp.py --write-fixture)", fx);
    return 1;
  }
  const size_t b = s.find('"', a + tkey.size());
  const std::string text_file = std::string(fx).substr(0, std::string(fx).find_last_of('/') + 1) + s.substr(a + tkey.size(), b - a - tkey.size());
  std::ifstream tf(text_file, std::ios::binary);
  std::stringstream ts;
  ts << tf.rdbuf();
  std::vector<int> want;
  const size_t i0 = s.find('[', s.find("\"ids\""));
  for (size_t i = i0 + 1; i < s.size() && s[i] != ']';) {
    while (s[i] == ' ' || s[i] == ',' || s[i] == '\n') i++;
    if (s[i] == ']') break;
    want.push_back(std::atoi(s.c_str() + i));
    while (s[i] >= '0' && s[i] <= '9') i++;
  }
  llmc::GgufFile g(model);
  llmc::BpeTokenizer tok(g);
  const auto got = tok.encode(ts.str());
  size_t first_diff = 0;
  while (first_diff < got.size() && first_diff < want.size() && got[first_diff] == want[first_diff]) first_diff++;
  CHECK(got == want, "%zu ids vs llama.cpp's %zu; first difference at %zu", got.size(), want.size(), first_diff);
  std::printf("  %zu tokens identical to llama-tokenize\n", got.size());
  return 0;
}

int write_tiny(const std::string& d) {
  gw::tiny_llama(5, false).write(d + "/tiny.gguf");
  const size_t n = gw::tiny_llama(5, false).write(d + "/truncated.gguf");
  gw::tiny_llama(5, false).write(d + "/truncated.gguf", n - 100);
  gw::Writer b = gw::tiny_llama(5, false);
  b.tensors[3].type = 14;  // Q6_K
  b.write(d + "/badtype.gguf");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "all";
  if (which == "write-tiny" && argc > 2) return write_tiny(argv[2]);
  if (which == "smollm2_tokens") {
    const int rc = test_smollm2_tokens();
    return rc == 77 ? 77 : (g_fail ? 1 : 0);
  }
  const TestCase cases[] = {{"gguf_parse", test_gguf_parse}, {"gguf_errors", test_gguf_errors}, {"layers", test_layers},
                            {"llama_forward", test_llama_forward}, {"tokenizer", test_tokenizer},
                            {"kv_reference", test_kv_reference}, {"kv_rotation", test_kv_rotation},
                            {"kv_order", test_kv_order},
                            {"qjl_unbiased", test_qjl_unbiased}, {"kv_bytes", test_kv_bytes},
                            {"ppl_windows", test_ppl_windows}};
  return run_cases(which, cases);
}
