// The packed inference representation of a trained encoder, as it would be deployed: BitLinear
// rows as sign bits (+ per-row scale), ternary rows as 2-bit codes, int4 / NF4 as 4-bit codes with
// their scales, fp16 as halves; 8-bit absmax activations (int8 + per-token scale) into binary rows.
// Every buffer of the packed model and of its evaluation goes through a counting allocator, so
// peak_mem_bytes is the measured peak of live inference memory (weights + activations + scratch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "encoder.hpp"

namespace nlu {

// ---------------------------------------------------------------- memory meter
struct MemMeter {
  static size_t& current();
  static size_t& peak();
  static void reset() { peak() = current(); }
};

template <class T>
struct CountingAlloc {
  using value_type = T;
  CountingAlloc() = default;
  template <class U>
  CountingAlloc(const CountingAlloc<U>&) {}
  T* allocate(size_t n) {
    MemMeter::current() += n * sizeof(T);
    if (MemMeter::current() > MemMeter::peak()) MemMeter::peak() = MemMeter::current();
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) {
    MemMeter::current() -= n * sizeof(T);
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const CountingAlloc<U>&) const { return true; }
  template <class U>
  bool operator!=(const CountingAlloc<U>&) const { return false; }
};
template <class T>
using MVec = std::vector<T, CountingAlloc<T>>;

// IEEE half conversion, round to nearest even (fp16 storage of the teacher).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

// ---------------------------------------------------------------- packed layers
enum class PackKind { kF16, kF32, kInt4, kNf4, kBinary, kTernary };

// Rows [row0, row0 + out) of a linear layer (a SplitLinear part), packed.
struct PackedLinear {
  PackKind kind = PackKind::kF32;
  int in = 0, out = 0, group = 32;
  bool act8 = false;
  MVec<uint16_t> f16;   // kF16 (out,in)
  MVec<float> f32;      // kF32 (out,in)
  MVec<uint8_t> nib;    // kInt4 / kNf4: (out*in/2) two 4-bit codes per byte (low nibble first)
  MVec<uint8_t> bits;   // kBinary: (out, row_bytes) sign bits, 1 = +1, bit k%8 of byte k/8
  MVec<uint8_t> trit;   // kTernary: 5 trits per byte (base 3), trit 0 / 1 (+1) / 2 (-1)
  MVec<float> scale;    // int4: (out*in/group); nf4: absmax (out*in/group); binary: beta (out); ternary: gamma (1)
  MVec<float> bias;     // (out)
  MVec<float> lora_a, lora_b;  // (r,in), (out,r)
  int rank = 0;
  float lora_s = 0;
  size_t row_bytes() const { return ((size_t)in + 7) / 8; }
  size_t bytes() const;
  // out_ (N, ld) columns [0, out) = x (N,in) @ W^T + b (+ LoRA).
  void forward(float* y, size_t ld, const float* x, int N) const;
};

// Packs one llmc::Linear part from its latent weights (p.w etc.) exactly as its fake-quant forward
// sees them; fp16 = true packs an fp32 layer as halves (the fp16 teacher).
PackedLinear pack_linear(const llmc::Linear& lin, const llmc::LinearParams& p, bool fp16);

struct PackedTable {  // an embedding table (rows, cols)
  PackKind kind = PackKind::kF32;
  int rows = 0, cols = 0, group = 32;
  MVec<uint16_t> f16;
  MVec<float> f32;
  MVec<uint8_t> nib;
  MVec<uint8_t> bits;  // kBinary: (rows, (cols+7)/8)
  MVec<float> scale;
  void row(int r, float* out) const;  // de-quantised row r (cols)
};

class PackedEncoder {
 public:
  // fp16: store every fp32 tensor as halves (the fp16 variant); else LayerNorms, biases, head stay fp32.
  void pack(const Encoder& m, bool fp16);
  // logits (B,K) of B rows of tokens (B,T) with lens (B)
  void forward(const int* tokens, const int* lens, int B, float* logits);
  size_t weight_bytes() const;
  const PackedTable& token_table() const { return wte_; }
  // The packed form of layer l's block `kind`: its (binary part, rest part).
  const PackedLinear* part(int l, int kind, int which) const;

  struct Layer {
    MVec<float> ln1w, ln1b, ln2w, ln2b;
    PackedLinear lin[4][2];  // [block][0 = rows [0,nb), 1 = rows [nb,out)]
    int nb[4] = {0, 0, 0, 0}, out[4] = {0, 0, 0, 0};
  };
  // read access for other evaluation paths (CUDA)
  const EncoderShape& shape() const { return s_; }
  const PackedTable& pos_table() const { return wpe_; }
  const std::vector<Layer>& layers() const { return layers_; }
  const MVec<float>& lnf_w() const { return lnfw_; }
  const MVec<float>& lnf_b() const { return lnfb_; }
  const PackedLinear& head() const { return head_; }

 private:
  EncoderShape s_;
  PackedTable wte_, wpe_;
  std::vector<Layer> layers_;
  MVec<float> lnfw_, lnfb_;
  PackedLinear head_;
};

}  // namespace nlu
