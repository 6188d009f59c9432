#include "safetensors.hpp"

#include <algorithm>

#include "llmc/safetensors.hpp"

namespace lm {
namespace {

bool fail(std::string* err, const std::string& msg) {
  if (err) *err = msg;
  return false;
}

}  // namespace

// The container (header, dtypes, bounds) is llmc::SafetensorsFile; this maps GPT-2 names onto
// the model's flat parameter layout. Errors come back as the container's messages.
bool load_gpt2_safetensors(const std::string& path, int n_heads, Model& out, std::string* err) {
  try {
    const llmc::SafetensorsFile f(path);
    // HF GPT2LMHeadModel files prefix the body with "transformer."; GPT2Model files do not.
    auto full = [&](const std::string& name) {
      return f.find(name) || !f.find("transformer." + name) ? name : "transformer." + name;
    };
    const llmc::SafeTensor* wte = f.find(full("wte.weight"));
    const llmc::SafeTensor* wpe = f.find(full("wpe.weight"));
    if (!wte || !wpe || wte->shape.size() != 2 || wpe->shape.size() != 2)
      return fail(err, "'" + path + "': not a GPT-2-layout checkpoint (wte.weight / wpe.weight)");
    ModelShape s;
    s.vocab = (int)wte->shape[0];
    s.d_model = (int)wte->shape[1];
    s.ctx = (int)wpe->shape[0];
    s.n_layers = 0;
    while (f.find(full("h." + std::to_string(s.n_layers) + ".ln_1.weight"))) s.n_layers++;
    if (s.n_layers == 0) return fail(err, "'" + path + "': no transformer blocks (h.0.ln_1.weight)");
    s.n_heads = n_heads;
    if (n_heads <= 0 || s.d_model % n_heads != 0)
      return fail(err, "n_heads " + std::to_string(n_heads) + " does not divide the checkpoint's width " +
                           std::to_string(s.d_model));
    const int64_t C = s.d_model, V = s.vocab;
    auto get = [&](const std::string& name, std::vector<int64_t> shape) { return f.read(full(name), shape); };
    const std::vector<float> wte_v = get("wte.weight", {V, C});
    std::vector<float> lmh;
    s.tied = true;
    if (f.find("lm_head.weight")) {
      lmh = f.read("lm_head.weight", {V, C});
      s.tied = lmh == wte_v;
    }
    Model m;
    m.shape = s;
    m.L.build(s);
    m.params.assign(m.L.total, 0.f);
    const ParamLayout& P = m.L;
    float* p = m.params.data();
    std::copy(wte_v.begin(), wte_v.end(), p + P.wte);
    if (!s.tied) std::copy(lmh.begin(), lmh.end(), p + P.lmw);
    auto vec = [&](const std::string& name, int64_t n, size_t off) {
      const std::vector<float> v = get(name, {n});
      std::copy(v.begin(), v.end(), p + off);
    };
    // Conv1D (in, out) -> our (out, in)
    auto conv = [&](const std::string& name, int64_t in, int64_t outc, size_t off) {
      const std::vector<float> v = get(name, {in, outc});
      transpose(v.data(), p + off, (int)in, (int)outc);
    };
    const std::vector<float> wpe_v = get("wpe.weight", {s.ctx, C});
    std::copy(wpe_v.begin(), wpe_v.end(), p + P.wpe);
    for (int l = 0; l < s.n_layers; l++) {
      const std::string h = "h." + std::to_string(l) + ".";
      const size_t lc = (size_t)l * C;
      vec(h + "ln_1.weight", C, P.ln1w + lc);
      vec(h + "ln_1.bias", C, P.ln1b + lc);
      conv(h + "attn.c_attn.weight", C, 3 * C, P.qkvw + lc * 3 * C);
      vec(h + "attn.c_attn.bias", 3 * C, P.qkvb + 3 * lc);
      conv(h + "attn.c_proj.weight", C, C, P.attprojw + lc * C);
      vec(h + "attn.c_proj.bias", C, P.attprojb + lc);
      vec(h + "ln_2.weight", C, P.ln2w + lc);
      vec(h + "ln_2.bias", C, P.ln2b + lc);
      conv(h + "mlp.c_fc.weight", C, 4 * C, P.fcw + lc * 4 * C);
      vec(h + "mlp.c_fc.bias", 4 * C, P.fcb + 4 * lc);
      conv(h + "mlp.c_proj.weight", 4 * C, C, P.fcprojw + lc * 4 * C);
      vec(h + "mlp.c_proj.bias", C, P.fcprojb + lc);
    }
    vec("ln_f.weight", C, P.lnfw);
    vec("ln_f.bias", C, P.lnfb);
    out = std::move(m);
    return true;
  } catch (const llmc::SafetensorsError& e) {
    return fail(err, e.what());
  }
}


bool write_gpt2_safetensors(const std::string& path, const Model& m, std::string* err) {
  const ModelShape& s = m.shape;
  const ParamLayout& P = m.L;
  const float* p = m.params.data();
  const int64_t C = s.d_model, V = s.vocab;
  struct Item {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> data;
  };
  std::vector<Item> items;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, const float* src) {
    size_t n = 1;
    for (auto d : shape) n *= (size_t)d;
    items.push_back({name, shape, std::vector<float>(src, src + n)});
  };
  auto addT = [&](const std::string& name, int64_t in, int64_t outc, const float* src) {
    std::vector<float> t((size_t)in * outc);
    transpose(src, t.data(), (int)outc, (int)in);  // (out, in) -> (in, out)
    items.push_back({name, {in, outc}, std::move(t)});
  };
  add("wte.weight", {V, C}, p + P.wte);
  add("wpe.weight", {s.ctx, C}, p + P.wpe);
  for (int l = 0; l < s.n_layers; l++) {
    const std::string h = "h." + std::to_string(l) + ".";
    const size_t lc = (size_t)l * C;
    add(h + "ln_1.weight", {C}, p + P.ln1w + lc);
    add(h + "ln_1.bias", {C}, p + P.ln1b + lc);
    addT(h + "attn.c_attn.weight", C, 3 * C, p + P.qkvw + lc * 3 * C);
    add(h + "attn.c_attn.bias", {3 * C}, p + P.qkvb + 3 * lc);
    addT(h + "attn.c_proj.weight", C, C, p + P.attprojw + lc * C);
    add(h + "attn.c_proj.bias", {C}, p + P.attprojb + lc);
    add(h + "ln_2.weight", {C}, p + P.ln2w + lc);
    add(h + "ln_2.bias", {C}, p + P.ln2b + lc);
    addT(h + "mlp.c_fc.weight", C, 4 * C, p + P.fcw + lc * 4 * C);
    add(h + "mlp.c_fc.bias", {4 * C}, p + P.fcb + 4 * lc);
    addT(h + "mlp.c_proj.weight", 4 * C, C, p + P.fcprojw + lc * 4 * C);
    add(h + "mlp.c_proj.bias", {C}, p + P.fcprojb + lc);
  }
  add("ln_f.weight", {C}, p + P.lnfw);
  add("ln_f.bias", {C}, p + P.lnfb);
  if (!s.tied) add("lm_head.weight", {V, C}, p + P.lmw);
  std::vector<llmc::SafetensorsEntry> entries;
  for (const auto& it : items) entries.push_back({it.name, it.shape, it.data.data(), "F32"});
  try {
    llmc::write_safetensors(path, entries, {{"format", "pt"}, {"writer", "binllm-lm"}});
  } catch (const llmc::SafetensorsError& e) {
    return fail(err, e.what());
  }
  return true;
}

}  // namespace lm
