// Quantisation-policy linear layer (see linear.hpp).
#include "llmc/linear.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "llmc/gemm.hpp"
#include "llmc/layers.hpp"
#include "llmc/quant.hpp"

namespace llmc {

const char* quant_name(Quant q) {
  switch (q) {
    case Quant::kFp32:
      return "fp32";
    case Quant::kInt4:
      return "int4";
    case Quant::kNf4Lora:
      return "nf4-lora";
    case Quant::kBinary:
      return "binary";
    case Quant::kTernary:
      return "ternary";
  }
  return "?";
}

Quant parse_quant(const std::string& s) {
  for (Quant q : {Quant::kFp32, Quant::kInt4, Quant::kNf4Lora, Quant::kBinary, Quant::kTernary})
    if (s == quant_name(q))
      return q;
  throw std::invalid_argument("unknown quantisation '" + s +
                              "' (accepted: fp32, int4, nf4-lora, binary, ternary)");
}

Linear::Linear(const LinearConfig& c) : cfg_(c) {
  if (c.in <= 0 || c.out <= 0)
    throw std::invalid_argument("llmc::Linear: in and out must be > 0");
  if ((c.quant == Quant::kInt4 || c.quant == Quant::kNf4Lora) && (c.group <= 0 || c.in % c.group))
    throw std::invalid_argument("llmc::Linear: group " + std::to_string(c.group) +
                                " must divide in = " + std::to_string(c.in));
  if (c.quant == Quant::kNf4Lora && c.lora_rank <= 0)
    throw std::invalid_argument("llmc::Linear: lora_rank must be > 0");
}

LinearParams Linear::carve(Carver& c) const {
  LinearParams p;
  p.w = c.take((size_t)cfg_.out * cfg_.in);
  p.b = c.take(cfg_.bias ? cfg_.out : 0);
  if (cfg_.quant == Quant::kNf4Lora) {
    p.lora_a = c.take((size_t)cfg_.lora_rank * cfg_.in);
    p.lora_b = c.take((size_t)cfg_.out * cfg_.lora_rank);
  }
  return p;
}

size_t Linear::num_params() const {
  Carver c;
  carve(c);
  return c.off;
}

void Linear::init(const LinearParams& p, binllm::Rng& rng, float std) const {
  for (size_t i = 0; i < (size_t)cfg_.out * cfg_.in; i++)
    p.w[i] = std * (float)rng.normal();
  if (p.b)
    std::fill(p.b, p.b + cfg_.out, 0.f);
  if (p.lora_a) {
    const float sa = 1.0f / std::sqrt((float)cfg_.in);
    for (size_t i = 0; i < (size_t)cfg_.lora_rank * cfg_.in; i++)
      p.lora_a[i] = sa * (float)rng.normal();
    std::fill(p.lora_b, p.lora_b + (size_t)cfg_.out * cfg_.lora_rank, 0.f);
  }
}

void Linear::quantize_weights(const LinearParams& p) {
  const size_t n = (size_t)cfg_.out * cfg_.in;
  wq_.resize(n);
  switch (cfg_.quant) {
    case Quant::kFp32:
      std::copy(p.w, p.w + n, wq_.begin());
      break;
    case Quant::kInt4:
      int4_fake_quant(wq_.data(), p.w, n, cfg_.group);
      break;
    case Quant::kNf4Lora:
      if (!base_ready_) {
        codes_.resize(n);
        absmax_.resize(n / cfg_.group);
        nf4_quantize(codes_.data(), absmax_.data(), p.w, n, cfg_.group);
        nf4_dequantize(wq_.data(), codes_.data(), absmax_.data(), n, cfg_.group);
        base_ready_ = true;
      }
      break;
    case Quant::kBinary:
      binary_fake_quant(wq_.data(), p.w, cfg_.out, cfg_.in);
      break;
    case Quant::kTernary:
      ternary_fake_quant(wq_.data(), p.w, n);
      break;
  }
}

void Linear::forward(float* out, const float* inp, int N, const LinearParams& p) {
  const int C = cfg_.in, OC = cfg_.out;
  quantize_weights(p);
  const float* x = inp;  // (N, C)
  if (cfg_.act8_on()) {
    xq_.resize((size_t)N * C);
    act8_fake_quant(xq_.data(), inp, N, C);
    x = xq_.data();
  }
  scratch_.resize(std::max((size_t)C * OC, (size_t)OC * N));
  const float* w = cfg_.quant == Quant::kFp32 ? p.w : wq_.data();  // (OC, C)
  linear_forward(out, x, w, p.b, N, C, OC, scratch_.data());
  if (cfg_.quant == Quant::kNf4Lora) {
    const int r = cfg_.lora_rank;
    const float s = cfg_.lora_alpha / (float)r;
    h_.resize((size_t)N * r);
    tmp_.resize((size_t)N * OC);
    linear_forward(h_.data(), inp, p.lora_a, nullptr, N, C, r, scratch_.data());           // h (N,r)
    linear_forward(tmp_.data(), h_.data(), p.lora_b, nullptr, N, r, OC, scratch_.data());  // (N,OC)
    for (size_t i = 0; i < (size_t)N * OC; i++)
      out[i] += s * tmp_[i];
  }
}

void Linear::backward(float* dinp, const LinearParams& g, const float* dout, const float* inp, int N,
                      const LinearParams& p) {
  const int C = cfg_.in, OC = cfg_.out;
  const float* x = cfg_.act8_on() ? xq_.data() : inp;              // (N, C) as used in forward
  const float* w = cfg_.quant == Quant::kFp32 ? p.w : wq_.data();  // (OC, C)
  scratch_.resize(std::max((size_t)C * OC, (size_t)OC * N));
  // STE: the gradient of w_q is the gradient of w (frozen NF4 base: none); of x_q, that of x.
  float* dw = cfg_.quant == Quant::kNf4Lora ? nullptr : g.w;
  linear_backward(dinp, dw, g.b, dout, x, w, N, C, OC, scratch_.data());
  if (cfg_.quant == Quant::kNf4Lora) {
    const int r = cfg_.lora_rank;
    const float s = cfg_.lora_alpha / (float)r;
    tmp_.resize((size_t)N * OC);
    for (size_t i = 0; i < (size_t)N * OC; i++)
      tmp_[i] = s * dout[i];                    // d(lora out) (N,OC)
    std::vector<float> dh((size_t)N * r, 0.f);  // (N, r)
    std::vector<float> sc2(std::max((size_t)r * OC, (size_t)OC * N));
    linear_backward(dh.data(), g.lora_b, nullptr, tmp_.data(), h_.data(), p.lora_b, N, r, OC, sc2.data());
    std::vector<float> sc3(std::max((size_t)C * r, (size_t)r * N));
    linear_backward(dinp, g.lora_a, nullptr, dh.data(), inp, p.lora_a, N, C, r, sc3.data());
  }
}

double Linear::storage_bits() const {
  const double n = (double)cfg_.out * cfg_.in;
  double bits = cfg_.bias ? 32.0 * cfg_.out : 0.0;
  switch (cfg_.quant) {
    case Quant::kFp32:
      bits += 32 * n;
      break;
    case Quant::kInt4:
      bits += 4 * n + 32 * (n / cfg_.group);
      break;
    case Quant::kNf4Lora:
      bits += 4 * n + 32 * (n / cfg_.group) + 32.0 * cfg_.lora_rank * (cfg_.in + cfg_.out);
      break;
    case Quant::kBinary:
      bits += n + 32.0 * cfg_.out;
      break;
    case Quant::kTernary:
      bits += 8.0 * std::ceil(n / 5.0) + 32;
      break;
  }
  return bits;
}

}  // namespace llmc
