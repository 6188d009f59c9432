// GGUF reader (llama.cpp's model file format, versions 2 and 3) with dequantisation to float.
//
// Layout: magic "GGUF", u32 version, u64 n_tensors, u64 n_kv, n_kv metadata entries
// (string key, u32 type, value), n_tensors tensor infos (string name, u32 n_dims, u64 dims[n_dims]
// with dims[0] the fastest-varying, u32 ggml type, u64 offset relative to the data section), then
// padding to `general.alignment` (default 32) and the data section. Strings are u64 length + bytes.
// Every error is a GgufError naming the file and, where one is involved, the tensor and the byte
// offset; the kernel maps it to exit 2 (bad input).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace llmc {

struct GgufError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ggml tensor types this reader dequantises (values are ggml's enum numbers).
enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8,
  Q4_K = 12, Q6_K = 14, BF16 = 30,
};

// Name of a ggml type number ("Q4_1"), or "type N" when this reader does not know it.
std::string ggml_type_name(uint32_t t);
// Elements per block and bytes per block of a supported type; false when unsupported.
bool ggml_block_layout(uint32_t t, int64_t* block_elems, int64_t* block_bytes);

// One metadata value. Arrays keep their element type and elements (nested arrays allowed).
struct GgufValue {
  enum Kind : uint32_t { U8 = 0, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 };
  Kind kind = U32;
  int64_t i = 0;      // integer / bool kinds
  uint64_t u = 0;     // unsigned kinds (also in i when it fits)
  double f = 0;       // float kinds
  std::string s;      // STRING
  Kind elem = U32;    // ARRAY element kind
  std::vector<GgufValue> arr;
};

struct GgufTensor {
  std::string name;
  std::vector<int64_t> dims;  // dims[0] fastest (a row of a matrix), as GGUF stores them
  uint32_t type = 0;
  uint64_t offset = 0;        // from the start of the data section
  int64_t n_elems() const;
  int64_t n_bytes() const;    // 0 for an unsupported type
};

class GgufFile {
 public:
  // Reads the header, metadata and tensor infos and maps the file; checks that every tensor's
  // bytes lie inside the file (a truncated file fails here, naming the first tensor cut off).
  explicit GgufFile(const std::string& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const std::map<std::string, GgufValue>& metadata() const { return kv_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }

  bool has(const std::string& key) const { return kv_.count(key) != 0; }
  const GgufValue& get(const std::string& key) const;  // GgufError when missing
  int64_t get_int(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t def) const;
  double get_float(const std::string& key, double def) const;
  std::string get_string(const std::string& key) const;
  std::vector<std::string> get_strings(const std::string& key) const;

  const GgufTensor* find(const std::string& name) const;  // nullptr when absent
  const GgufTensor& tensor(const std::string& name) const;  // GgufError when absent
  // Dequantises a whole tensor to float, row-major with dims[0] fastest.
  std::vector<float> dequant(const GgufTensor& t) const;
  // Same, checking the shape (dims[0] fastest) first; the error names tensor and both shapes.
  std::vector<float> dequant(const std::string& name, const std::vector<int64_t>& dims) const;
  const uint8_t* data(const GgufTensor& t) const;

 private:
  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue> kv_;
  std::vector<GgufTensor> tensors_;
  const uint8_t* map_ = nullptr;
  size_t size_ = 0;
};

// Dequantises n elements (a multiple of the type's block size) of type t from src into dst.
// Throws GgufError for an unsupported type.
void dequantize_row(uint32_t t, const uint8_t* src, float* dst, int64_t n);

// IEEE binary16 bits -> float (exact).
float fp16_to_float(uint16_t h);
// float -> IEEE binary16 bits, round to nearest even (for the tests' file writer).
uint16_t float_to_fp16(float f);

}  // namespace llmc
