#include "safetensors.hpp"

#include <cmath>
#include <cstring>
#include <iterator>
#include <fstream>
#include <map>
#include <sstream>

#include "binllm/json.hpp"

namespace lm {
namespace {

struct TensorRef {
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

float f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
  float f;
  if (exp == 0) {
    f = std::ldexp((float)man, -24);
  } else if (exp == 31) {
    f = man ? NAN : INFINITY;
  } else {
    f = std::ldexp((float)(man | 0x400u), (int)exp - 25);
  }
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u |= sign;
  std::memcpy(&f, &u, 4);
  return f;
}

bool fail(std::string* err, const std::string& msg) {
  if (err) *err = msg;
  return false;
}

}  // namespace

bool load_gpt2_safetensors(const std::string& path, int n_heads, Model& out, std::string* err) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail(err, "cannot open '" + path + "'");
  uint64_t hlen = 0;
  if (!f.read(reinterpret_cast<char*>(&hlen), 8) || hlen == 0 || hlen > (100u << 20))
    return fail(err, "'" + path + "' is not a safetensors file (bad header length)");
  std::string htxt(hlen, '\0');
  if (!f.read(&htxt[0], (std::streamsize)hlen)) return fail(err, "'" + path + "': truncated header");
  binllm::Json hdr;
  try {
    hdr = binllm::Json::parse(htxt);
  } catch (const std::exception& e) {
    return fail(err, "'" + path + "': header is not JSON: " + e.what());
  }
  if (!hdr.is_object()) return fail(err, "'" + path + "': header is not a JSON object");
  std::map<std::string, TensorRef> ts;
  for (auto& kv : hdr.as_object()) {
    if (kv.first == "__metadata__") continue;
    const binllm::Json& t = kv.second;
    const binllm::Json* dt = t.find("dtype");
    const binllm::Json* sh = t.find("shape");
    const binllm::Json* of = t.find("data_offsets");
    if (!dt || !sh || !of || !dt->is_string() || !sh->is_array() || !of->is_array() ||
        of->size() != 2)
      return fail(err, "'" + path + "': malformed entry for tensor '" + kv.first + "'");
    TensorRef r;
    r.dtype = dt->as_string();
    for (auto& d : sh->as_array()) r.shape.push_back((int64_t)d.as_double());
    r.begin = (uint64_t)of->as_array()[0].as_double();
    r.end = (uint64_t)of->as_array()[1].as_double();
    std::string name = kv.first;
    if (name.rfind("transformer.", 0) == 0) name = name.substr(12);
    ts[name] = r;
  }
  std::vector<char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto get = [&](const std::string& name, std::vector<int64_t> shape, std::vector<float>& v,
                 std::string* e) -> bool {
    auto it = ts.find(name);
    if (it == ts.end()) return fail(e, "'" + path + "': tensor '" + name + "' is missing");
    const TensorRef& r = it->second;
    if (r.shape != shape) {
      std::ostringstream s;
      s << "'" << path << "': tensor '" << name << "' has shape [";
      for (size_t i = 0; i < r.shape.size(); i++) s << (i ? "," : "") << r.shape[i];
      s << "], expected [";
      for (size_t i = 0; i < shape.size(); i++) s << (i ? "," : "") << shape[i];
      s << "]";
      return fail(e, s.str());
    }
    size_t n = 1;
    for (auto d : shape) n *= (size_t)d;
    const size_t es = r.dtype == "F32" ? 4 : (r.dtype == "F16" || r.dtype == "BF16") ? 2 : 0;
    if (!es) return fail(e, "'" + path + "': tensor '" + name + "' has unsupported dtype " + r.dtype);
    if (r.end < r.begin || r.end > data.size() || r.end - r.begin != n * es)
      return fail(e, "'" + path + "': tensor '" + name + "' has bad data offsets");
    v.resize(n);
    const char* p = data.data() + r.begin;
    for (size_t i = 0; i < n; i++) {
      if (es == 4) {
        std::memcpy(&v[i], p + 4 * i, 4);
      } else {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        if (r.dtype == "F16") {
          v[i] = f16_to_f32(h);
        } else {
          uint32_t u = (uint32_t)h << 16;
          std::memcpy(&v[i], &u, 4);
        }
      }
    }
    return true;
  };
  auto wte_it = ts.find("wte.weight");
  auto wpe_it = ts.find("wpe.weight");
  if (wte_it == ts.end() || wpe_it == ts.end() || wte_it->second.shape.size() != 2 ||
      wpe_it->second.shape.size() != 2)
    return fail(err, "'" + path + "': not a GPT-2-layout checkpoint (wte.weight / wpe.weight)");
  ModelShape s;
  s.vocab = (int)wte_it->second.shape[0];
  s.d_model = (int)wte_it->second.shape[1];
  s.ctx = (int)wpe_it->second.shape[0];
  s.n_layers = 0;
  while (ts.count("h." + std::to_string(s.n_layers) + ".ln_1.weight")) s.n_layers++;
  if (s.n_layers == 0) return fail(err, "'" + path + "': no transformer blocks (h.0.ln_1.weight)");
  s.n_heads = n_heads;
  if (n_heads <= 0 || s.d_model % n_heads != 0)
    return fail(err, "n_heads " + std::to_string(n_heads) + " does not divide the checkpoint's width " +
                         std::to_string(s.d_model));
  const int64_t C = s.d_model, V = s.vocab;
  std::vector<float> wte, lmh;
  if (!get("wte.weight", {V, C}, wte, err)) return false;
  s.tied = true;
  if (ts.count("lm_head.weight")) {
    if (!get("lm_head.weight", {V, C}, lmh, err)) return false;
    s.tied = lmh == wte;
  }
  Model m;
  m.shape = s;
  m.L.build(s);
  m.params.assign(m.L.total, 0.f);
  const ParamLayout& P = m.L;
  float* p = m.params.data();
  std::copy(wte.begin(), wte.end(), p + P.wte);
  if (!s.tied) std::copy(lmh.begin(), lmh.end(), p + P.lmw);
  std::vector<float> v;
  if (!get("wpe.weight", {s.ctx, C}, v, err)) return false;
  std::copy(v.begin(), v.end(), p + P.wpe);
  auto vec = [&](const std::string& name, int64_t n, size_t off) -> bool {
    if (!get(name, {n}, v, err)) return false;
    std::copy(v.begin(), v.end(), p + off);
    return true;
  };
  // Conv1D (in, out) -> our (out, in)
  auto conv = [&](const std::string& name, int64_t in, int64_t outc, size_t off) -> bool {
    if (!get(name, {in, outc}, v, err)) return false;
    transpose(v.data(), p + off, (int)in, (int)outc);
    return true;
  };
  for (int l = 0; l < s.n_layers; l++) {
    const std::string h = "h." + std::to_string(l) + ".";
    const size_t lc = (size_t)l * C;
    if (!vec(h + "ln_1.weight", C, P.ln1w + lc) || !vec(h + "ln_1.bias", C, P.ln1b + lc) ||
        !conv(h + "attn.c_attn.weight", C, 3 * C, P.qkvw + lc * 3 * C) ||
        !vec(h + "attn.c_attn.bias", 3 * C, P.qkvb + 3 * lc) ||
        !conv(h + "attn.c_proj.weight", C, C, P.attprojw + lc * C) ||
        !vec(h + "attn.c_proj.bias", C, P.attprojb + lc) ||
        !vec(h + "ln_2.weight", C, P.ln2w + lc) || !vec(h + "ln_2.bias", C, P.ln2b + lc) ||
        !conv(h + "mlp.c_fc.weight", C, 4 * C, P.fcw + lc * 4 * C) ||
        !vec(h + "mlp.c_fc.bias", 4 * C, P.fcb + 4 * lc) ||
        !conv(h + "mlp.c_proj.weight", 4 * C, C, P.fcprojw + lc * 4 * C) ||
        !vec(h + "mlp.c_proj.bias", C, P.fcprojb + lc))
      return false;
  }
  if (!vec("ln_f.weight", C, P.lnfw) || !vec("ln_f.bias", C, P.lnfb)) return false;
  out = std::move(m);
  return true;
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
  binllm::Json hdr = binllm::Json::object();
  hdr.set("__metadata__", binllm::Json::object({{"format", "pt"}, {"writer", "binllm-lm"}}));
  uint64_t off = 0;
  for (auto& it : items) {
    binllm::Json shape = binllm::Json::array();
    for (auto d : it.shape) shape.push(binllm::Json((long long)d));
    const uint64_t n = it.data.size() * 4;
    hdr.set(it.name, binllm::Json::object({{"dtype", "F32"},
                                           {"shape", shape},
                                           {"data_offsets", binllm::Json::array(
                                                                {binllm::Json((unsigned long long)off),
                                                                 binllm::Json((unsigned long long)(off + n))})}}));
    off += n;
  }
  std::string h = hdr.dump();
  while (h.size() % 8) h += ' ';
  std::ofstream f(path, std::ios::binary);
  if (!f) return fail(err, "cannot write '" + path + "'");
  uint64_t hl = h.size();
  f.write(reinterpret_cast<const char*>(&hl), 8);
  f.write(h.data(), (std::streamsize)h.size());
  for (auto& it : items)
    f.write(reinterpret_cast<const char*>(it.data.data()), (std::streamsize)(it.data.size() * 4));
  if (!f) return fail(err, "error writing '" + path + "'");
  return true;
}

}  // namespace lm
