// Packed inference (see packed.hpp).
#include "packed.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "llmc/layers.hpp"
#include "llmc/quant.hpp"

namespace nlu {

size_t& MemMeter::current() {
  static size_t c = 0;
  return c;
}
size_t& MemMeter::peak() {
  static size_t p = 0;
  return p;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (x > 0x7f800000u ? 0x200u : 0));
  if (x >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  // overflow -> inf
  if (x < 0x38800000u) {                                     // subnormal half (or zero)
    if (x < 0x33000000u) return (uint16_t)sign;
    const uint32_t e = x >> 23, m = (x & 0x7fffffu) | 0x800000u;
    const int shift = 126 - (int)e;  // 14..24
    uint32_t h = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((x - 0x38000000u) >> 13);
  const uint32_t rem = x & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ffu, x;
  if (e == 0) {
    if (m == 0) {
      x = sign;
    } else {  // subnormal
      e = 127 - 15 + 1;
      while (!(m & 0x400u)) {
        m <<= 1;
        e--;
      }
      x = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (e == 31) {
    x = sign | 0x7f800000u | (m << 13);
  } else {
    x = sign | ((e + 112) << 23) | (m << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

namespace {
constexpr int kPow3[5] = {1, 3, 9, 27, 81};
inline int8_t q8(float v) {
  v = llmc::round_half_away(v);
  return (int8_t)(v > 127.f ? 127.f : (v < -128.f ? -128.f : v));
}
template <class V>
void put(V& v, size_t n) {
  v.assign(n, typename V::value_type{});
}
}  // namespace

size_t PackedLinear::bytes() const {
  return f16.size() * 2 + f32.size() * 4 + nib.size() + bits.size() + trit.size() + scale.size() * 4 +
         bias.size() * 4 + lora_a.size() * 4 + lora_b.size() * 4;
}

PackedLinear pack_linear(const llmc::Linear& lin, const llmc::LinearParams& p, bool fp16) {
  const llmc::LinearConfig& c = lin.config();
  PackedLinear q;
  q.in = c.in;
  q.out = c.out;
  q.group = c.group;
  q.act8 = c.act8_on();
  const size_t n = (size_t)c.in * c.out;
  std::vector<float> tmp(n);
  switch (c.quant) {
    case llmc::Quant::kFp32:
      if (fp16) {
        q.kind = PackKind::kF16;
        put(q.f16, n);
        for (size_t i = 0; i < n; i++) q.f16[i] = float_to_half(p.w[i]);
      } else {
        q.kind = PackKind::kF32;
        q.f32.assign(p.w, p.w + n);
      }
      break;
    case llmc::Quant::kInt4: {
      q.kind = PackKind::kInt4;
      put(q.scale, n / c.group);
      llmc::int4_fake_quant(tmp.data(), p.w, n, c.group, q.scale.data());
      put(q.nib, (n + 1) / 2);
      for (size_t i = 0; i < n; i++) {
        const float s = q.scale[i / c.group];
        const int v = s == 0.f ? 0 : (int)llmc::round_half_away(tmp[i] / s);  // -7..7
        q.nib[i / 2] |= (uint8_t)(((v + 8) & 15) << ((i & 1) * 4));
      }
      break;
    }
    case llmc::Quant::kNf4Lora: {
      q.kind = PackKind::kNf4;
      std::vector<uint8_t> codes(n);
      put(q.scale, n / c.group);
      llmc::nf4_quantize(codes.data(), q.scale.data(), p.w, n, c.group);
      put(q.nib, (n + 1) / 2);
      for (size_t i = 0; i < n; i++) q.nib[i / 2] |= (uint8_t)(codes[i] << ((i & 1) * 4));
      q.rank = c.lora_rank;
      q.lora_s = c.lora_alpha / (float)c.lora_rank;
      q.lora_a.assign(p.lora_a, p.lora_a + (size_t)c.lora_rank * c.in);
      q.lora_b.assign(p.lora_b, p.lora_b + (size_t)c.out * c.lora_rank);
      break;
    }
    case llmc::Quant::kBinary: {
      q.kind = PackKind::kBinary;
      put(q.scale, c.out);
      llmc::binary_fake_quant(tmp.data(), p.w, c.out, c.in, q.scale.data());
      put(q.bits, (size_t)c.out * q.row_bytes());
      for (int o = 0; o < c.out; o++)
        for (int i = 0; i < c.in; i++)
          if (tmp[(size_t)o * c.in + i] >= 0.f) q.bits[(size_t)o * q.row_bytes() + i / 8] |= (uint8_t)(1u << (i % 8));
      break;
    }
    case llmc::Quant::kTernary: {
      q.kind = PackKind::kTernary;
      put(q.scale, 1);
      q.scale[0] = llmc::ternary_fake_quant(tmp.data(), p.w, n);
      put(q.trit, (n + 4) / 5);
      for (size_t i = 0; i < n; i++) {
        const int t = tmp[i] > 0.f ? 1 : (tmp[i] < 0.f ? 2 : 0);
        q.trit[i / 5] = (uint8_t)(q.trit[i / 5] + t * kPow3[i % 5]);
      }
      break;
    }
  }
  if (p.b) {
    q.bias.assign(p.b, p.b + c.out);
    if (fp16)
      for (auto& b : q.bias) b = half_to_float(float_to_half(b));
  }
  return q;
}

namespace {
// De-quantises rows [o0, o0 + nt) of W transposed into wt (in, ld): wt[k*ld + j] = W[o0 + j, k].
void dequant_tile_t(const PackedLinear& L, int o0, int nt, size_t ld, float* wt) {
  const int in = L.in;
  for (int j = 0; j < nt; j++) {
    const size_t r = (size_t)(o0 + j) * in;
    for (int k = 0; k < in; k++) {
      const size_t i = r + k;
      float w = 0.f;
      switch (L.kind) {
        case PackKind::kF16: w = half_to_float(L.f16[i]); break;
        case PackKind::kF32: w = L.f32[i]; break;
        case PackKind::kInt4: w = (float)(((L.nib[i / 2] >> ((i & 1) * 4)) & 15) - 8) * L.scale[i / L.group]; break;
        case PackKind::kNf4: w = llmc::kNf4[(L.nib[i / 2] >> ((i & 1) * 4)) & 15] * L.scale[i / L.group]; break;
        case PackKind::kTernary: {
          const int t = (L.trit[i / 5] / kPow3[i % 5]) % 3;
          w = t == 1 ? L.scale[0] : (t == 2 ? -L.scale[0] : 0.f);
          break;
        }
        case PackKind::kBinary: w = ((L.bits[(size_t)(o0 + j) * L.row_bytes() + k / 8] >> (k % 8)) & 1) ? L.scale[o0 + j] : -L.scale[o0 + j]; break;
      }
      wt[(size_t)k * ld + j] = w;
    }
  }
}
constexpr int kTile = 32;
}  // namespace

void PackedLinear::forward(float* y, size_t ld, const float* x, int N) const {
  const int K = in;
  // 8-bit activations are made kRows rows at a time, so their buffer stays small (kRows x in)
  constexpr int kRows = 32;
  const int RB = act8 ? kRows : N;
  MVec<int8_t> xq;  // (RB,in) int8 activations
  MVec<float> inv;  // (RB) s = 127 / max|x| per row
  MVec<float> xs;   // (RB,in) de-quantised 8-bit activations (non-binary rows with act8)
  MVec<int8_t> sg;  // (in, kTile) signs of a tile of binary rows, transposed
  MVec<float> wt;   // (in, kTile) de-quantised tile of rows, transposed
  const bool int_path = kind == PackKind::kBinary && act8;
  if (act8) {
    put(xq, (size_t)RB * K);
    put(inv, RB);
  }
  if (int_path) put(sg, (size_t)K * kTile);
  else put(wt, (size_t)K * kTile);
  if (act8 && !int_path) put(xs, (size_t)RB * K);
  for (int n0 = 0; n0 < N; n0 += RB) {
    const int nr = std::min(RB, N - n0);
    if (act8) {
      for (int n = 0; n < nr; n++) {
        const float* r = x + (size_t)(n0 + n) * K;
        float amax = 0.f;
        for (int i = 0; i < K; i++) amax = std::fmax(amax, std::fabs(r[i]));
        const float s = amax == 0.f ? 0.f : 127.0f / amax;
        inv[n] = s;
        for (int i = 0; i < K; i++) xq[(size_t)n * K + i] = s == 0.f ? 0 : q8(r[i] * s);
      }
    }
    if (int_path) {
      // integer dot products of int8 activations with +-1 weights, then beta_o / s_n
      for (int o0 = 0; o0 < out; o0 += kTile) {
        const int nt = std::min(kTile, out - o0);
        for (int j = 0; j < nt; j++)
          for (int k = 0; k < K; k++)
            sg[(size_t)k * kTile + j] = ((bits[(size_t)(o0 + j) * row_bytes() + k / 8] >> (k % 8)) & 1) ? 1 : -1;
        for (int n = 0; n < nr; n++) {
          int32_t acc[kTile] = {0};
          const int8_t* q = xq.data() + (size_t)n * K;
          for (int k = 0; k < K; k++) {
            const int32_t a = q[k];
            const int8_t* srow = sg.data() + (size_t)k * kTile;
            for (int j = 0; j < kTile; j++) acc[j] += a * srow[j];
          }
          for (int j = 0; j < nt; j++) {
            const float v = inv[n] == 0.f ? 0.f : (float)acc[j] * scale[o0 + j] / inv[n];
            y[(size_t)(n0 + n) * ld + o0 + j] = v + (bias.empty() ? 0.f : bias[o0 + j]);
          }
        }
      }
      continue;
    }
    const float* xin = x + (size_t)n0 * K;
    if (act8) {
      for (size_t i = 0; i < (size_t)nr * K; i++) xs[i] = inv[i / K] == 0.f ? 0.f : (float)xq[i] / inv[i / K];
      xin = xs.data();
    }
    for (int o0 = 0; o0 < out; o0 += kTile) {
      const int nt = std::min(kTile, out - o0);
      std::fill(wt.begin(), wt.end(), 0.f);
      dequant_tile_t(*this, o0, nt, kTile, wt.data());
      for (int n = 0; n < nr; n++) {
        float acc[kTile] = {0};
        const float* xr = xin + (size_t)n * K;
        for (int k = 0; k < K; k++) {
          const float a = xr[k];
          const float* wr = wt.data() + (size_t)k * kTile;
          for (int j = 0; j < kTile; j++) acc[j] += a * wr[j];
        }
        for (int j = 0; j < nt; j++) y[(size_t)(n0 + n) * ld + o0 + j] = acc[j] + (bias.empty() ? 0.f : bias[o0 + j]);
      }
    }
  }
  if (rank > 0) {
    MVec<float> h;  // (N, rank) x A^T
    put(h, (size_t)N * rank);
    for (int n = 0; n < N; n++)
      for (int r = 0; r < rank; r++) {
        float a = 0.f;
        for (int k = 0; k < K; k++) a += x[(size_t)n * K + k] * lora_a[(size_t)r * K + k];
        h[(size_t)n * rank + r] = a;
      }
    for (int n = 0; n < N; n++)
      for (int o = 0; o < out; o++) {
        float a = 0.f;
        for (int r = 0; r < rank; r++) a += h[(size_t)n * rank + r] * lora_b[(size_t)o * rank + r];
        y[(size_t)n * ld + o] += lora_s * a;
      }
  }
}

void PackedTable::row(int r, float* out) const {
  for (int k = 0; k < cols; k++) {
    const size_t i = (size_t)r * cols + k;
    switch (kind) {
      case PackKind::kF16: out[k] = half_to_float(f16[i]); break;
      case PackKind::kF32: out[k] = f32[i]; break;
      case PackKind::kInt4: out[k] = (float)(((nib[i / 2] >> ((i & 1) * 4)) & 15) - 8) * scale[i / group]; break;
      case PackKind::kNf4: out[k] = llmc::kNf4[(nib[i / 2] >> ((i & 1) * 4)) & 15] * scale[i / group]; break;
      case PackKind::kBinary: {
        const size_t rb = ((size_t)cols + 7) / 8;
        out[k] = ((bits[(size_t)r * rb + k / 8] >> (k % 8)) & 1) ? scale[r] : -scale[r];
        break;
      }
      case PackKind::kTernary: out[k] = 0.f; break;
    }
  }
}

namespace {
PackedTable pack_table(const float* w, int rows, int cols, EmbQuant q, int group, bool fp16) {
  PackedTable t;
  t.rows = rows;
  t.cols = cols;
  t.group = group;
  const size_t n = (size_t)rows * cols;
  std::vector<float> tmp(n);
  switch (q) {
    case EmbQuant::kFp32:
      if (fp16) {
        t.kind = PackKind::kF16;
        put(t.f16, n);
        for (size_t i = 0; i < n; i++) t.f16[i] = float_to_half(w[i]);
      } else {
        t.kind = PackKind::kF32;
        t.f32.assign(w, w + n);
      }
      break;
    case EmbQuant::kInt4:
      t.kind = PackKind::kInt4;
      put(t.scale, n / group);
      llmc::int4_fake_quant(tmp.data(), w, n, group, t.scale.data());
      put(t.nib, (n + 1) / 2);
      for (size_t i = 0; i < n; i++) {
        const float s = t.scale[i / group];
        const int v = s == 0.f ? 0 : (int)llmc::round_half_away(tmp[i] / s);
        t.nib[i / 2] |= (uint8_t)(((v + 8) & 15) << ((i & 1) * 4));
      }
      break;
    case EmbQuant::kNf4: {
      t.kind = PackKind::kNf4;
      std::vector<uint8_t> codes(n);
      put(t.scale, n / group);
      llmc::nf4_quantize(codes.data(), t.scale.data(), w, n, group);
      put(t.nib, (n + 1) / 2);
      for (size_t i = 0; i < n; i++) t.nib[i / 2] |= (uint8_t)(codes[i] << ((i & 1) * 4));
      break;
    }
    case EmbQuant::kBinary: {
      t.kind = PackKind::kBinary;
      put(t.scale, rows);
      llmc::binary_fake_quant(tmp.data(), w, rows, cols, t.scale.data());
      const size_t rb = ((size_t)cols + 7) / 8;
      put(t.bits, (size_t)rows * rb);
      for (int r = 0; r < rows; r++)
        for (int k = 0; k < cols; k++)
          if (tmp[(size_t)r * cols + k] >= 0.f) t.bits[(size_t)r * rb + k / 8] |= (uint8_t)(1u << (k % 8));
      break;
    }
  }
  return t;
}
void copy_ln(MVec<float>& dst, const float* src, int C, bool fp16) {
  dst.assign(src, src + C);
  if (fp16)
    for (auto& v : dst) v = half_to_float(float_to_half(v));
}
size_t vbytes(const PackedTable& t) { return t.f16.size() * 2 + t.f32.size() * 4 + t.nib.size() + t.bits.size() + t.scale.size() * 4; }
}  // namespace

void PackedEncoder::pack(const Encoder& m, bool fp16) {
  s_ = m.shape();
  const QuantPlan& plan = m.plan();
  const EncoderParams& p = m.params();
  wte_ = pack_table(p.wte, s_.V, s_.C, plan.wte, plan.group, fp16);
  wpe_ = pack_table(p.wpe, s_.T, s_.C, plan.wpe, plan.group, fp16);
  layers_.assign(s_.L, Layer());
  for (int l = 0; l < s_.L; l++) {
    Layer& L = layers_[l];
    const LayerParams& lp = p.layers[l];
    copy_ln(L.ln1w, lp.ln1w, s_.C, fp16);
    copy_ln(L.ln1b, lp.ln1b, s_.C, fp16);
    copy_ln(L.ln2w, lp.ln2w, s_.C, fp16);
    copy_ln(L.ln2b, lp.ln2b, s_.C, fp16);
    for (int k = 0; k < 4; k++) {
      const SplitLinear& sl = m.linear(l, k);
      L.nb[k] = sl.nb;
      L.out[k] = sl.out;
      if (sl.nb > 0) L.lin[k][0] = pack_linear(sl.bin, lp.lin[k].bin, fp16);
      if (sl.out - sl.nb > 0) L.lin[k][1] = pack_linear(sl.rest, lp.lin[k].rest, fp16);
    }
  }
  copy_ln(lnfw_, p.lnfw, s_.C, fp16);
  copy_ln(lnfb_, p.lnfb, s_.C, fp16);
  Encoder& mm = const_cast<Encoder&>(m);
  head_ = pack_linear(mm.head(), p.head, fp16);
}

const PackedLinear* PackedEncoder::part(int l, int kind, int which) const {
  const Layer& L = layers_[l];
  if (which == 0 && L.nb[kind] == 0) return nullptr;
  if (which == 1 && L.out[kind] == L.nb[kind]) return nullptr;
  return &L.lin[kind][which];
}

size_t PackedEncoder::weight_bytes() const {
  size_t b = vbytes(wte_) + vbytes(wpe_) + head_.bytes() + (lnfw_.size() + lnfb_.size()) * 4;
  for (auto& L : layers_) {
    b += (L.ln1w.size() + L.ln1b.size() + L.ln2w.size() + L.ln2b.size()) * 4;
    for (int k = 0; k < 4; k++) {
      if (L.nb[k] > 0) b += L.lin[k][0].bytes();
      if (L.out[k] - L.nb[k] > 0) b += L.lin[k][1].bytes();
    }
  }
  return b;
}

void PackedEncoder::forward(const int* tokens, const int* lens, int B, float* logits) {
  const int T = s_.T, C = s_.C, F = s_.F(), N = B * T;
  MVec<float> x, ln, qkv, atty, tmp, h, row;  // (N,C), (N,C), (N,3C), (N,C), (N,C), (N,F), (C)
  put(x, (size_t)N * C);
  put(ln, (size_t)N * C);
  put(qkv, (size_t)N * 3 * C);
  put(atty, (size_t)N * C);
  put(tmp, (size_t)N * C);
  put(h, (size_t)N * F);
  put(row, C);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++) {
      float* o = x.data() + ((size_t)b * T + t) * C;
      wte_.row(tokens[(size_t)b * T + t], o);
      wpe_.row(t, row.data());
      for (int c = 0; c < C; c++) o[c] += row[c];
    }
  llmc::AttnShape as;
  as.B = B;
  as.T = T;
  as.C = C;
  as.NH = s_.NH;
  as.causal = false;
  auto lin = [&](const Layer& L, int k, float* y, const float* in, int n) {
    const size_t ld = (size_t)L.out[k];
    if (L.nb[k] > 0) L.lin[k][0].forward(y, ld, in, n);
    if (L.out[k] - L.nb[k] > 0) L.lin[k][1].forward(y + L.nb[k], ld, in, n);
  };
  for (auto& L : layers_) {
    llmc::layernorm_forward(ln.data(), nullptr, nullptr, x.data(), L.ln1w.data(), L.ln1b.data(), N, C);
    lin(L, kQkv, qkv.data(), ln.data(), N);
    llmc::attention_forward(atty.data(), nullptr, qkv.data(), as, lens, nullptr);
    lin(L, kProj, tmp.data(), atty.data(), N);
    for (size_t i = 0; i < (size_t)N * C; i++) x[i] += tmp[i];
    llmc::layernorm_forward(ln.data(), nullptr, nullptr, x.data(), L.ln2w.data(), L.ln2b.data(), N, C);
    lin(L, kFc, h.data(), ln.data(), N);
    llmc::gelu_forward(h.data(), h.data(), N * F);
    lin(L, kFcProj, tmp.data(), h.data(), N);
    for (size_t i = 0; i < (size_t)N * C; i++) x[i] += tmp[i];
  }
  llmc::layernorm_forward(ln.data(), nullptr, nullptr, x.data(), lnfw_.data(), lnfb_.data(), N, C);
  MVec<float> pooled;
  put(pooled, (size_t)B * C);
  llmc::pool_forward(pooled.data(), ln.data(), lens, B, T, C, s_.mean_pool ? llmc::Pool::kMean : llmc::Pool::kFirst);
  head_.forward(logits, (size_t)s_.K, pooled.data(), B);
}

}  // namespace nlu
