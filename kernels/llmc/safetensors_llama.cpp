// Hugging Face Llama checkpoint folders: config.json, (sharded) safetensors weights and
// tokenizer.json (see include/llmc/safetensors.hpp).
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include "binllm/json.hpp"
#include "llmc/gguf.hpp"
#include "llmc/safetensors.hpp"
#include "llmc/tokenizer.hpp"

namespace llmc {

namespace {

using binllm::Json;

bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Json read_json(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw SafetensorsError(path + ": cannot open");
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    Json j = Json::parse(ss.str());
    if (!j.is_object()) throw SafetensorsError(path + ": not a JSON object");
    return j;
  } catch (const binllm::JsonParseError& e) {
    throw SafetensorsError(path + ": invalid JSON: " + e.what());
  }
}

// config.json fields, each error naming the file and the field.
struct ConfigReader {
  const Json& j;
  const std::string& path;
  const Json* field(const char* key) const {
    const Json* v = j.find(key);
    return v && !v->is_null() ? v : nullptr;
  }
  [[noreturn]] void bad(const char* key, const std::string& why) const {
    throw SafetensorsError(path + ": field '" + std::string(key) + "' " + why);
  }
  int64_t integer(const char* key, const int64_t* def, int64_t min) const {
    const Json* v = field(key);
    if (!v) {
      if (def) return *def;
      bad(key, "is missing (a LlamaForCausalLM config needs it)");
    }
    if (!v->is_integer() || v->as_int() < min) bad(key, "= " + v->dump() + " is not an integer >= " + std::to_string(min));
    return v->as_int();
  }
  double number(const char* key, const double* def) const {
    const Json* v = field(key);
    if (!v) {
      if (def) return *def;
      bad(key, "is missing (a LlamaForCausalLM config needs it)");
    }
    if (!v->is_number() || !(v->as_double() > 0)) bad(key, "= " + v->dump() + " is not a positive number");
    return v->as_double();
  }
  bool boolean(const char* key, bool def) const {
    const Json* v = field(key);
    if (!v) return def;
    if (!v->is_bool()) bad(key, "= " + v->dump() + " is not a boolean");
    return v->as_bool();
  }
};

LlamaConfig read_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  const Json j = read_json(path);
  const ConfigReader r{j, path};
  if (const Json* mt = r.field("model_type"))
    if (!mt->is_string() || mt->as_string() != "llama") r.bad("model_type", "= " + mt->dump() + " is not \"llama\"");
  if (const Json* act = r.field("hidden_act"))
    if (!act->is_string() || act->as_string() != "silu") r.bad("hidden_act", "= " + act->dump() + " is not supported (silu)");
  if (r.field("rope_scaling")) r.bad("rope_scaling", "is set; scaled RoPE is not supported");
  LlamaConfig c;
  c.d_model = (int)r.integer("hidden_size", nullptr, 1);
  c.d_ff = (int)r.integer("intermediate_size", nullptr, 1);
  c.n_layers = (int)r.integer("num_hidden_layers", nullptr, 1);
  c.n_heads = (int)r.integer("num_attention_heads", nullptr, 1);
  c.vocab = (int)r.integer("vocab_size", nullptr, 1);
  c.rms_eps = r.number("rms_norm_eps", nullptr);
  // Defaults as transformers' LlamaConfig.
  const int64_t heads = c.n_heads, ctx_def = 2048;
  const double theta_def = 10000.0;
  c.n_kv_heads = (int)r.integer("num_key_value_heads", &heads, 1);
  c.rope_theta = r.number("rope_theta", &theta_def);
  c.ctx_train = (int)r.integer("max_position_embeddings", &ctx_def, 1);
  c.tied = r.boolean("tie_word_embeddings", false);
  if (c.d_model % c.n_heads) r.bad("num_attention_heads", "= " + std::to_string(c.n_heads) + " does not divide hidden_size " + std::to_string(c.d_model));
  if (c.n_heads % c.n_kv_heads) r.bad("num_key_value_heads", "= " + std::to_string(c.n_kv_heads) + " does not divide num_attention_heads " + std::to_string(c.n_heads));
  c.head_dim = c.d_model / c.n_heads;
  const int64_t hd = c.head_dim;
  if (r.integer("head_dim", &hd, 1) != hd) r.bad("head_dim", "differs from hidden_size / num_attention_heads = " + std::to_string(hd));
  if (c.head_dim % 2) r.bad("num_attention_heads", "gives an odd head_dim " + std::to_string(c.head_dim));
  c.rope_dim = c.head_dim;
  return c;
}

// The weight files of a folder and which one holds each tensor.
class HfWeights {
 public:
  explicit HfWeights(const std::string& dir) {
    const std::string single = dir + "/model.safetensors", index = dir + "/model.safetensors.index.json";
    if (file_exists(index)) {
      const Json j = read_json(index);
      const Json* wm = j.find("weight_map");
      if (!wm || !wm->is_object()) throw SafetensorsError(index + ": field 'weight_map' is missing or not an object");
      for (const auto& kv : wm->as_object()) {
        if (!kv.second.is_string() || kv.second.as_string().find('/') != std::string::npos)
          throw SafetensorsError(index + ": weight_map entry '" + kv.first + "' is not a file name of this folder");
        const std::string fp = dir + "/" + kv.second.as_string();
        if (!files_.count(fp)) files_.emplace(fp, std::make_unique<SafetensorsFile>(fp));
        where_[kv.first] = files_.at(fp).get();
      }
    } else if (file_exists(single)) {
      files_.emplace(single, std::make_unique<SafetensorsFile>(single));
    } else {
      throw SafetensorsError(dir + ": neither model.safetensors nor model.safetensors.index.json");
    }
    index_ = file_exists(index) ? index : "";
  }
  const SafetensorsFile& file_of(const std::string& name) const {
    if (index_.empty()) return *files_.begin()->second;
    auto it = where_.find(name);
    if (it == where_.end()) throw SafetensorsError(index_ + ": tensor '" + name + "' is missing from weight_map");
    return *it->second;
  }
  bool has(const std::string& name) const {
    return index_.empty() ? files_.begin()->second->find(name) != nullptr : where_.count(name) != 0;
  }
  std::vector<float> read(const std::string& name, const std::vector<int64_t>& shape) {
    const SafetensorsFile& f = file_of(name);
    const SafeTensor& t = f.tensor(name);
    bytes_ += (double)(t.end - t.begin);
    return f.read(name, shape);
  }
  double bytes() const { return bytes_; }
  std::vector<std::string> paths() const {
    std::vector<std::string> p;
    for (const auto& kv : files_) p.push_back(kv.first);
    return p;
  }

 private:
  std::map<std::string, std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const SafetensorsFile*> where_;
  std::string index_;
  double bytes_ = 0;
};

}  // namespace

void permute_qk_rows(const float* in, float* out, int n_heads, int head_dim, int64_t row_len, bool inverse) {
  const int half = head_dim / 2;
  for (int h = 0; h < n_heads; h++)
    for (int i = 0; i < half; i++)
      for (int j = 0; j < 2; j++) {
        const int64_t g = (int64_t)h * head_dim + 2 * i + j;     // GGUF (interleaved pairs) row
        const int64_t f = (int64_t)h * head_dim + j * half + i;  // HF (rotate-half) row
        const int64_t src = inverse ? g : f, dst = inverse ? f : g;
        std::copy_n(in + src * row_len, row_len, out + dst * row_len);
      }
}

bool is_hf_llama_folder(const std::string& dir) {
  struct stat st;
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && file_exists(dir + "/config.json");
}

HfLlamaCheckpoint load_llama_hf(const std::string& dir) {
  HfLlamaCheckpoint ck;
  LlamaModel& m = ck.model;
  m.cfg = read_config(dir);
  const LlamaConfig& c = m.cfg;
  HfWeights w(dir);
  const int64_t d = c.d_model, kd = c.kv_dim(), ff = c.d_ff, V = c.vocab;
  m.tok_emb = w.read("model.embed_tokens.weight", {V, d});
  m.out_norm = w.read("model.norm.weight", {d});
  if (!c.tied) m.output = w.read("lm_head.weight", {V, d});
  m.layers.resize(c.n_layers);
  std::vector<float> hf;
  for (int l = 0; l < c.n_layers; l++) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LlamaLayer& L = m.layers[l];
    L.attn_norm = w.read(p + "input_layernorm.weight", {d});
    hf = w.read(p + "self_attn.q_proj.weight", {d, d});
    L.wq.resize(hf.size());
    permute_qk_rows(hf.data(), L.wq.data(), c.n_heads, c.head_dim, d, false);
    hf = w.read(p + "self_attn.k_proj.weight", {kd, d});
    L.wk.resize(hf.size());
    permute_qk_rows(hf.data(), L.wk.data(), c.n_kv_heads, c.head_dim, d, false);
    L.wv = w.read(p + "self_attn.v_proj.weight", {kd, d});
    L.wo = w.read(p + "self_attn.o_proj.weight", {d, d});
    L.ffn_norm = w.read(p + "post_attention_layernorm.weight", {d});
    L.w_gate = w.read(p + "mlp.gate_proj.weight", {ff, d});
    L.w_up = w.read(p + "mlp.up_proj.weight", {ff, d});
    L.w_down = w.read(p + "mlp.down_proj.weight", {d, ff});
  }
  ck.weight_bytes = w.bytes();
  ck.files = w.paths();
  return ck;
}

std::unique_ptr<BpeTokenizer> load_hf_tokenizer(const std::string& dir) {
  const std::string path = dir + "/tokenizer.json";
  const Json j = read_json(path);
  auto bad = [&](const std::string& field, const std::string& why) -> SafetensorsError {
    return SafetensorsError(path + ": field '" + field + "' " + why);
  };
  const Json* model = j.find("model");
  if (!model || !model->is_object()) throw bad("model", "is missing");
  const Json* type = model->find("type");
  if (!type || !type->is_string() || type->as_string() != "BPE")
    throw bad("model.type", (type ? "= " + type->dump() : std::string("is missing")) + "; only byte-level BPE is supported");
  const Json* norm = j.find("normalizer");
  if (norm && !norm->is_null()) throw bad("normalizer", "= " + norm->dump().substr(0, 80) + " is not supported (null only)");
  // Pre-tokeniser -> llama.cpp's name.
  const Json* pt = j.find("pre_tokenizer");
  if (!pt || !pt->is_object()) throw bad("pre_tokenizer", "is missing, so the pre-tokeniser cannot be determined");
  std::vector<const Json*> steps;
  const Json* pt_type = pt->find("type");
  if (pt_type && pt_type->is_string() && pt_type->as_string() == "Sequence") {
    const Json* seq = pt->find("pretokenizers");
    if (!seq || !seq->is_array()) throw bad("pre_tokenizer.pretokenizers", "is missing");
    for (const auto& s : seq->as_array()) steps.push_back(&s);
  } else {
    steps.push_back(pt);
  }
  auto step_is = [](const Json* s, const char* t) {
    const Json* ty = s->find("type");
    return ty && ty->is_string() && ty->as_string() == t;
  };
  auto byte_level_ok = [&](const Json* s) {
    if (!step_is(s, "ByteLevel")) return false;
    const Json* aps = s->find("add_prefix_space");
    const Json* re = s->find("use_regex");
    return (!aps || (aps->is_bool() && !aps->as_bool())) && (!re || (re->is_bool() && re->as_bool()));
  };
  std::string pre;
  if (steps.size() == 1 && byte_level_ok(steps[0])) {
    pre = "gpt2";
  } else if (steps.size() == 2 && step_is(steps[0], "Digits") && byte_level_ok(steps[1])) {
    const Json* ind = steps[0]->find("individual_digits");
    if (ind && ind->is_bool() && ind->as_bool()) pre = "smollm";
  }
  if (pre.empty())
    throw bad("pre_tokenizer", "= " + pt->dump().substr(0, 200) +
                                   " cannot be mapped onto a supported pre-tokeniser (ByteLevel with the GPT-2 regex, "
                                   "optionally after Digits(individual_digits=true))");
  // Vocabulary: model.vocab plus added_tokens, by id.
  const Json* vocab = model->find("vocab");
  if (!vocab || !vocab->is_object() || vocab->size() == 0) throw bad("model.vocab", "is missing or empty");
  std::vector<std::pair<int64_t, std::string>> entries;
  int64_t max_id = -1;
  for (const auto& kv : vocab->as_object()) {
    if (!kv.second.is_integer() || kv.second.as_int() < 0) throw bad("model.vocab", "entry '" + kv.first + "' has no valid id");
    entries.push_back({kv.second.as_int(), kv.first});
    max_id = std::max(max_id, kv.second.as_int());
  }
  if (const Json* added = j.find("added_tokens"); added && added->is_array()) {
    for (const auto& a : added->as_array()) {
      const Json* id = a.find("id");
      const Json* content = a.find("content");
      if (!id || !id->is_integer() || !content || !content->is_string()) throw bad("added_tokens", "has an entry without id/content");
      entries.push_back({id->as_int(), content->as_string()});
      max_id = std::max(max_id, id->as_int());
    }
  }
  if (max_id > (1 << 24)) throw bad("model.vocab", "has token id " + std::to_string(max_id) + ", too large");
  std::vector<std::string> tokens((size_t)max_id + 1);
  std::vector<bool> seen(tokens.size());
  for (const auto& e : entries) {
    if (seen[(size_t)e.first] && tokens[(size_t)e.first] != e.second)
      throw bad("model.vocab", "gives id " + std::to_string(e.first) + " to both '" + tokens[(size_t)e.first] + "' and '" + e.second + "'");
    tokens[(size_t)e.first] = e.second;
    seen[(size_t)e.first] = true;
  }
  for (size_t i = 0; i < tokens.size(); i++)
    if (!seen[i]) throw bad("model.vocab", "has no token with id " + std::to_string(i) + " (ids must be 0..n-1)");
  // Merges: "a b" strings (tokenizers < 0.20) or [a, b] pairs.
  const Json* merges = model->find("merges");
  if (!merges || !merges->is_array()) throw bad("model.merges", "is missing");
  std::vector<std::string> mr;
  mr.reserve(merges->size());
  for (const auto& m : merges->as_array()) {
    if (m.is_string()) mr.push_back(m.as_string());
    else if (m.is_array() && m.size() == 2 && m.as_array()[0].is_string() && m.as_array()[1].is_string())
      mr.push_back(m.as_array()[0].as_string() + " " + m.as_array()[1].as_string());
    else throw bad("model.merges", "has the entry " + m.dump() + " (neither \"a b\" nor [a, b])");
  }
  // BOS: added by a TemplateProcessing post-processor whose single template starts with a
  // special token (as transformers' LlamaTokenizerFast); none otherwise (SmolLM2, GPT-2).
  bool add_bos = false;
  int bos = -1;
  const Json* post = j.find("post_processor");
  if (post && post->is_object() && step_is(post, "TemplateProcessing")) {
    const Json* single = post->find("single");
    const Json* first = single && single->is_array() && single->size() ? &single->as_array()[0] : nullptr;
    const Json* sp = first ? first->find("SpecialToken") : nullptr;
    const Json* sid = sp ? sp->find("id") : nullptr;
    if (sid && sid->is_string()) {
      for (size_t i = 0; i < tokens.size(); i++)
        if (tokens[i] == sid->as_string()) bos = (int)i;
      if (bos < 0) throw bad("post_processor.single", "names the unknown special token '" + sid->as_string() + "'");
      add_bos = true;
    }
  }
  return std::make_unique<BpeTokenizer>(std::move(tokens), mr, pre, add_bos, bos, path);
}

PretrainedLlama load_pretrained_llama(const std::string& path) {
  PretrainedLlama p;
  if (is_hf_llama_folder(path)) {
    HfLlamaCheckpoint ck = load_llama_hf(path);
    p.model = std::move(ck.model);
    p.weight_bytes = ck.weight_bytes;
    p.tokenizer = load_hf_tokenizer(path);
    p.format = "hf-safetensors";
    if (p.tokenizer->vocab_size() > p.model.cfg.vocab)
      throw SafetensorsError(path + "/tokenizer.json: " + std::to_string(p.tokenizer->vocab_size()) +
                             " tokens, more than config.json's vocab_size " + std::to_string(p.model.cfg.vocab));
    return p;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw SafetensorsError(path + ": a folder without config.json (a Hugging Face checkpoint needs config.json)");
  const GgufFile f(path);
  p.model = load_llama_gguf(f);
  p.tokenizer = std::make_unique<BpeTokenizer>(f);
  for (const auto& t : f.tensors()) p.weight_bytes += (double)t.n_bytes();
  p.format = "gguf";
  return p;
}

}  // namespace llmc
