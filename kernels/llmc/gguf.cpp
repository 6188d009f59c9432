// GGUF reader and dequantisation (see include/llmc/gguf.hpp for the layout).
#include "llmc/gguf.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

namespace llmc {

namespace {

const char* kTypeNames[] = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0",
                            "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"};

// Bounds-checked little-endian cursor over the mapped header.
struct Cursor {
  const uint8_t* p;
  size_t size, pos = 0;
  const std::string& path;
  void need(size_t n, const char* what) const {
    if (pos + n > size || pos + n < pos)
      throw GgufError("gguf " + path + ": truncated at byte offset " + std::to_string(pos) +
                      " reading " + what + " (file is " + std::to_string(size) + " bytes)");
  }
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, p + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::string str(const char* what) {
    const uint64_t n = get<uint64_t>(what);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(p + pos), n);
    pos += n;
    return s;
  }
};

GgufValue read_value(Cursor& c, uint32_t kind, const std::string& key, int depth) {
  GgufValue v;
  if (kind > GgufValue::F64)
    throw GgufError("gguf " + c.path + ": metadata '" + key + "' has unknown value type " +
                    std::to_string(kind) + " at byte offset " + std::to_string(c.pos - 4));
  v.kind = (GgufValue::Kind)kind;
  switch (v.kind) {
    case GgufValue::U8: v.u = c.get<uint8_t>("u8"); v.i = (int64_t)v.u; break;
    case GgufValue::I8: v.i = c.get<int8_t>("i8"); break;
    case GgufValue::U16: v.u = c.get<uint16_t>("u16"); v.i = (int64_t)v.u; break;
    case GgufValue::I16: v.i = c.get<int16_t>("i16"); break;
    case GgufValue::U32: v.u = c.get<uint32_t>("u32"); v.i = (int64_t)v.u; break;
    case GgufValue::I32: v.i = c.get<int32_t>("i32"); break;
    case GgufValue::U64: v.u = c.get<uint64_t>("u64"); v.i = (int64_t)v.u; break;
    case GgufValue::I64: v.i = c.get<int64_t>("i64"); break;
    case GgufValue::F32: v.f = c.get<float>("f32"); break;
    case GgufValue::F64: v.f = c.get<double>("f64"); break;
    case GgufValue::BOOL: v.i = c.get<uint8_t>("bool") != 0; break;
    case GgufValue::STRING: v.s = c.str("string"); break;
    case GgufValue::ARRAY: {
      if (depth > 4) throw GgufError("gguf " + c.path + ": metadata '" + key + "' nests arrays too deeply");
      const uint32_t et = c.get<uint32_t>("array type");
      const uint64_t n = c.get<uint64_t>("array length");
      if (n > c.size) throw GgufError("gguf " + c.path + ": metadata '" + key + "' array length " +
                                      std::to_string(n) + " exceeds the file size");
      v.elem = (GgufValue::Kind)et;
      v.arr.reserve(n);
      for (uint64_t i = 0; i < n; i++) v.arr.push_back(read_value(c, et, key, depth + 1));
      break;
    }
  }
  return v;
}

}  // namespace

std::string ggml_type_name(uint32_t t) {
  if (t < sizeof kTypeNames / sizeof kTypeNames[0]) return kTypeNames[t];
  if (t == 30) return "BF16";
  return "type " + std::to_string(t);
}

bool ggml_block_layout(uint32_t t, int64_t* be, int64_t* bb) {
  switch ((GgmlType)t) {
    case GgmlType::F32: *be = 1; *bb = 4; return true;
    case GgmlType::F16: *be = 1; *bb = 2; return true;
    case GgmlType::BF16: *be = 1; *bb = 2; return true;
    case GgmlType::Q4_0: *be = 32; *bb = 18; return true;   // fp16 d, 16 bytes of nibbles
    case GgmlType::Q4_1: *be = 32; *bb = 20; return true;   // fp16 d, fp16 m, 16 bytes of nibbles
    case GgmlType::Q5_0: *be = 32; *bb = 22; return true;   // fp16 d, u32 high bits, 16 bytes
    case GgmlType::Q5_1: *be = 32; *bb = 24; return true;   // fp16 d, fp16 m, u32 high bits, 16 bytes
    case GgmlType::Q8_0: *be = 32; *bb = 34; return true;   // fp16 d, 32 int8
    default: return false;
  }
}

float fp16_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  float f;
  if (exp == 0) {
    f = std::ldexp((float)man, -24);  // zero or subnormal
    uint32_t u;
    std::memcpy(&u, &f, 4);
    u |= sign;
    std::memcpy(&f, &u, 4);
    return f;
  }
  uint32_t u = exp == 31 ? (sign | 0x7F800000u | (man << 13)) : (sign | ((exp + 112) << 23) | (man << 13));
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t float_to_fp16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
  const float a = std::fabs(f);
  if (a != a) return (uint16_t)(sign | 0x7E00);
  if (a >= 65520.f) return (uint16_t)(sign | 0x7C00);
  if (a < 6.103515625e-05f) return (uint16_t)(sign | (uint16_t)std::nearbyint(a / 5.9604644775390625e-08f));
  std::memcpy(&u, &a, 4);
  u += 0x0FFFu + ((u >> 13) & 1u);
  return (uint16_t)(sign | (((u >> 23) - 112) << 10) | ((u >> 13) & 0x3FF));
}

void dequantize_row(uint32_t t, const uint8_t* src, float* dst, int64_t n) {
  auto h = [](const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return fp16_to_float(v); };
  switch ((GgmlType)t) {
    case GgmlType::F32: std::memcpy(dst, src, (size_t)n * 4); return;
    case GgmlType::F16:
      for (int64_t i = 0; i < n; i++) dst[i] = h(src + 2 * i);
      return;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; i++) {
        uint16_t b;
        std::memcpy(&b, src + 2 * i, 2);
        const uint32_t u = (uint32_t)b << 16;
        std::memcpy(dst + i, &u, 4);
      }
      return;
    case GgmlType::Q4_0:
      for (int64_t b = 0; b < n / 32; b++, src += 18, dst += 32) {
        const float d = h(src);
        for (int j = 0; j < 16; j++) {
          dst[j] = (float)((src[2 + j] & 0xF) - 8) * d;
          dst[j + 16] = (float)((src[2 + j] >> 4) - 8) * d;
        }
      }
      return;
    case GgmlType::Q4_1:
      for (int64_t b = 0; b < n / 32; b++, src += 20, dst += 32) {
        const float d = h(src), m = h(src + 2);
        for (int j = 0; j < 16; j++) {
          dst[j] = (float)(src[4 + j] & 0xF) * d + m;
          dst[j + 16] = (float)(src[4 + j] >> 4) * d + m;
        }
      }
      return;
    case GgmlType::Q5_0:
    case GgmlType::Q5_1: {
      const bool has_min = (GgmlType)t == GgmlType::Q5_1;
      const int bb = has_min ? 24 : 22, hq = has_min ? 4 : 2;
      for (int64_t b = 0; b < n / 32; b++, src += bb, dst += 32) {
        const float d = h(src), m = has_min ? h(src + 2) : 0.f;
        uint32_t qh;
        std::memcpy(&qh, src + hq, 4);
        const uint8_t* qs = src + hq + 4;
        for (int j = 0; j < 16; j++) {
          const int lo = (qs[j] & 0xF) | (int)(((qh >> j) << 4) & 0x10);
          const int hi = (qs[j] >> 4) | (int)((qh >> (j + 12)) & 0x10);
          dst[j] = has_min ? (float)lo * d + m : (float)(lo - 16) * d;
          dst[j + 16] = has_min ? (float)hi * d + m : (float)(hi - 16) * d;
        }
      }
      return;
    }
    case GgmlType::Q8_0:
      for (int64_t b = 0; b < n / 32; b++, src += 34, dst += 32) {
        const float d = h(src);
        for (int j = 0; j < 32; j++) dst[j] = (float)(int8_t)src[2 + j] * d;
      }
      return;
    default:
      throw GgufError("gguf: block type " + ggml_type_name(t) + " is not supported by this reader "
                      "(supported: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0)");
  }
}

int64_t GgufTensor::n_elems() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

int64_t GgufTensor::n_bytes() const {
  int64_t be, bb;
  if (!ggml_block_layout(type, &be, &bb)) return 0;
  return n_elems() / be * bb;
}

GgufFile::GgufFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw GgufError("gguf " + path + ": cannot open file (" + std::strerror(errno) + ")");
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw GgufError("gguf " + path + ": not a regular file");
  }
  size_ = (size_t)st.st_size;
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      ::close(fd);
      throw GgufError("gguf " + path + ": cannot map file (" + std::strerror(errno) + ")");
    }
    map_ = static_cast<const uint8_t*>(m);
  }
  ::close(fd);
  try {
    Cursor c{map_, size_, 0, path_};
    c.need(4, "magic");
    if (std::memcmp(map_, "GGUF", 4) != 0) throw GgufError("gguf " + path + ": bad magic (not a GGUF file)");
    c.pos = 4;
    version_ = c.get<uint32_t>("version");
    if (version_ != 2 && version_ != 3)
      throw GgufError("gguf " + path + ": version " + std::to_string(version_) + " not supported (2 or 3)");
    const uint64_t n_tensors = c.get<uint64_t>("tensor count");
    const uint64_t n_kv = c.get<uint64_t>("metadata count");
    if (n_tensors > size_ || n_kv > size_) throw GgufError("gguf " + path + ": implausible tensor/metadata counts");
    for (uint64_t i = 0; i < n_kv; i++) {
      std::string key = c.str("metadata key");
      const uint32_t kind = c.get<uint32_t>("metadata type");
      kv_[key] = read_value(c, kind, key, 0);
    }
    if (has("general.alignment")) {
      alignment_ = (uint64_t)get_int("general.alignment");
      if (alignment_ == 0 || (alignment_ & (alignment_ - 1)))
        throw GgufError("gguf " + path + ": general.alignment " + std::to_string(alignment_) + " is not a power of two");
    }
    tensors_.resize(n_tensors);
    for (auto& t : tensors_) {
      t.name = c.str("tensor name");
      const uint32_t nd = c.get<uint32_t>("tensor n_dims");
      if (nd == 0 || nd > 4) throw GgufError("gguf " + path + ": tensor '" + t.name + "' has " + std::to_string(nd) + " dims");
      for (uint32_t d = 0; d < nd; d++) t.dims.push_back((int64_t)c.get<uint64_t>("tensor dim"));
      t.type = c.get<uint32_t>("tensor type");
      t.offset = c.get<uint64_t>("tensor offset");
      int64_t be, bb;
      if (!ggml_block_layout(t.type, &be, &bb))
        throw GgufError("gguf " + path + ": tensor '" + t.name + "' has block type " + ggml_type_name(t.type) +
                        ", which this reader does not dequantise (supported: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0)");
      if (t.dims[0] % be != 0)
        throw GgufError("gguf " + path + ": tensor '" + t.name + "' row of " + std::to_string(t.dims[0]) +
                        " is not a multiple of the " + ggml_type_name(t.type) + " block (" + std::to_string(be) + ")");
    }
    data_offset_ = (c.pos + alignment_ - 1) / alignment_ * alignment_;
    for (const auto& t : tensors_) {
      if (t.offset % alignment_ != 0)
        throw GgufError("gguf " + path + ": tensor '" + t.name + "' offset " + std::to_string(t.offset) +
                        " is not aligned to " + std::to_string(alignment_));
      const uint64_t end = data_offset_ + t.offset + (uint64_t)t.n_bytes();
      if (end > size_)
        throw GgufError("gguf " + path + ": truncated: tensor '" + t.name + "' needs bytes " +
                        std::to_string(data_offset_ + t.offset) + ".." + std::to_string(end) +
                        " but the file has " + std::to_string(size_) + " bytes");
    }
  } catch (...) {
    if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
    map_ = nullptr;
    throw;
  }
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
}

const GgufValue& GgufFile::get(const std::string& key) const {
  auto it = kv_.find(key);
  if (it == kv_.end()) throw GgufError("gguf " + path_ + ": metadata key '" + key + "' is missing");
  return it->second;
}

int64_t GgufFile::get_int(const std::string& key) const {
  const GgufValue& v = get(key);
  if (v.kind == GgufValue::STRING || v.kind == GgufValue::ARRAY || v.kind == GgufValue::F32 || v.kind == GgufValue::F64)
    throw GgufError("gguf " + path_ + ": metadata '" + key + "' is not an integer");
  return v.i;
}

int64_t GgufFile::get_int(const std::string& key, int64_t def) const { return has(key) ? get_int(key) : def; }

double GgufFile::get_float(const std::string& key, double def) const {
  if (!has(key)) return def;
  const GgufValue& v = get(key);
  if (v.kind == GgufValue::F32 || v.kind == GgufValue::F64) return v.f;
  return (double)get_int(key);
}

std::string GgufFile::get_string(const std::string& key) const {
  const GgufValue& v = get(key);
  if (v.kind != GgufValue::STRING) throw GgufError("gguf " + path_ + ": metadata '" + key + "' is not a string");
  return v.s;
}

std::vector<std::string> GgufFile::get_strings(const std::string& key) const {
  const GgufValue& v = get(key);
  if (v.kind != GgufValue::ARRAY || v.elem != GgufValue::STRING)
    throw GgufError("gguf " + path_ + ": metadata '" + key + "' is not an array of strings");
  std::vector<std::string> out;
  out.reserve(v.arr.size());
  for (const auto& e : v.arr) out.push_back(e.s);
  return out;
}

const GgufTensor* GgufFile::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const GgufTensor& GgufFile::tensor(const std::string& name) const {
  const GgufTensor* t = find(name);
  if (!t) throw GgufError("gguf " + path_ + ": tensor '" + name + "' is missing");
  return *t;
}

const uint8_t* GgufFile::data(const GgufTensor& t) const { return map_ + data_offset_ + t.offset; }

std::vector<float> GgufFile::dequant(const GgufTensor& t) const {
  std::vector<float> out((size_t)t.n_elems());
  try {
    dequantize_row(t.type, data(t), out.data(), t.n_elems());
  } catch (const GgufError& e) {
    throw GgufError("gguf " + path_ + ": tensor '" + t.name + "' at byte offset " +
                    std::to_string(data_offset_ + t.offset) + ": " + e.what());
  }
  return out;
}

std::vector<float> GgufFile::dequant(const std::string& name, const std::vector<int64_t>& dims) const {
  const GgufTensor& t = tensor(name);
  if (t.dims != dims) {
    auto fmt = [](const std::vector<int64_t>& d) {
      std::string s = "[";
      for (size_t i = 0; i < d.size(); i++) s += (i ? "," : "") + std::to_string(d[i]);
      return s + "]";
    };
    throw GgufError("gguf " + path_ + ": tensor '" + name + "' has shape " + fmt(t.dims) + ", expected " + fmt(dims));
  }
  return dequant(t);
}

}  // namespace llmc
