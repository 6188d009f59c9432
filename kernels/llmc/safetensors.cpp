// safetensors container reader and writer (see include/llmc/safetensors.hpp for the layout).
#include "llmc/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "binllm/json.hpp"
#include "llmc/gguf.hpp"

namespace llmc {

namespace {

// The header of a real checkpoint is a few hundred KB; anything above this is not one.
constexpr uint64_t kMaxHeader = 100ull << 20;

std::string shape_str(const std::vector<int64_t>& s) {
  std::string o = "[";
  for (size_t i = 0; i < s.size(); i++) o += (i ? "," : "") + std::to_string(s[i]);
  return o + "]";
}

}  // namespace

int64_t SafeTensor::n_elems() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

int safetensors_dtype_size(const std::string& t) {
  if (t == "F64" || t == "I64" || t == "U64") return 8;
  if (t == "F32" || t == "I32" || t == "U32") return 4;
  if (t == "F16" || t == "BF16" || t == "I16" || t == "U16") return 2;
  if (t == "I8" || t == "U8" || t == "BOOL" || t == "F8_E4M3" || t == "F8_E5M2") return 1;
  return 0;
}

float bf16_to_float(uint16_t h) {
  const uint32_t u = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40);  // quiet NaN
  u += 0x7FFFu + ((u >> 16) & 1u);  // round to nearest, ties to even
  return (uint16_t)(u >> 16);
}

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  const std::string where = "safetensors " + path;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw SafetensorsError(where + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw SafetensorsError(where + ": not a regular file");
  }
  size_ = (size_t)st.st_size;
  if (size_ < 8) {
    ::close(fd);
    throw SafetensorsError(where + ": truncated at byte offset 0 reading the header length (file is " +
                           std::to_string(size_) + " bytes)");
  }
  void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) throw SafetensorsError(where + ": cannot map the file");
  map_ = static_cast<const uint8_t*>(m);
  try {
    uint64_t n = 0;
    std::memcpy(&n, map_, 8);
    if (n == 0 || n > kMaxHeader)
      throw SafetensorsError(where + ": header length " + std::to_string(n) + " at byte offset 0 is not plausible");
    if (8 + n > size_)
      throw SafetensorsError(where + ": truncated: the header ends at byte offset " + std::to_string(8 + n) +
                             " but the file is " + std::to_string(size_) + " bytes");
    data_offset_ = 8 + n;
    binllm::Json hdr;
    try {
      hdr = binllm::Json::parse(std::string(reinterpret_cast<const char*>(map_ + 8), n));
    } catch (const std::exception& e) {
      throw SafetensorsError(where + ": header (byte offset 8) is not JSON: " + e.what());
    }
    if (!hdr.is_object()) throw SafetensorsError(where + ": header is not a JSON object");
    const uint64_t data_size = size_ - data_offset_;
    // Report the first tensor cut off by a truncated file in data order, not name order.
    const SafeTensor* cut = nullptr;
    for (const auto& kv : hdr.as_object()) {
      if (kv.first == "__metadata__") {
        if (kv.second.is_object())
          for (const auto& m2 : kv.second.as_object())
            if (m2.second.is_string()) meta_[m2.first] = m2.second.as_string();
        continue;
      }
      const binllm::Json& t = kv.second;
      const std::string tw = where + ": tensor '" + kv.first + "'";
      const binllm::Json* dt = t.find("dtype");
      const binllm::Json* sh = t.find("shape");
      const binllm::Json* of = t.find("data_offsets");
      if (!t.is_object() || !dt || !dt->is_string())
        throw SafetensorsError(tw + ": missing or non-string \"dtype\"");
      if (!sh || !sh->is_array()) throw SafetensorsError(tw + ": missing or non-array \"shape\"");
      if (!of || !of->is_array() || of->size() != 2 || !of->as_array()[0].is_integer() ||
          !of->as_array()[1].is_integer())
        throw SafetensorsError(tw + ": \"data_offsets\" is not a pair of integers");
      SafeTensor r;
      r.name = kv.first;
      r.dtype = dt->as_string();
      for (const auto& d : sh->as_array()) {
        if (!d.is_integer() || d.as_int() < 0) throw SafetensorsError(tw + ": shape " + sh->dump() + " is not a list of sizes");
        r.shape.push_back(d.as_int());
      }
      r.begin = of->as_array()[0].as_uint();
      r.end = of->as_array()[1].as_uint();
      const std::string at = " (dtype " + r.dtype + ", byte offset " + std::to_string(data_offset_ + r.begin) + ")";
      if (r.end < r.begin) throw SafetensorsError(tw + at + ": data_offsets end before they begin");
      const int es = safetensors_dtype_size(r.dtype);
      if (es && r.end - r.begin != (uint64_t)r.n_elems() * es)
        throw SafetensorsError(tw + at + ": holds " + std::to_string(r.end - r.begin) + " bytes, but shape " +
                               shape_str(r.shape) + " needs " + std::to_string(r.n_elems() * es));
      auto ins = tensors_.emplace(r.name, r);
      if (r.end > data_size && (!cut || r.begin < cut->begin)) cut = &ins.first->second;
    }
    if (cut)
      throw SafetensorsError(where + ": truncated: tensor '" + cut->name + "' (dtype " + cut->dtype +
                             ") spans byte offsets " + std::to_string(data_offset_ + cut->begin) + ".." +
                             std::to_string(data_offset_ + cut->end) + " but the file is " +
                             std::to_string(size_) + " bytes");
  } catch (...) {
    ::munmap(const_cast<uint8_t*>(map_), size_);
    map_ = nullptr;
    throw;
  }
}

SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(const_cast<uint8_t*>(map_), size_);
}

const SafeTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

const SafeTensor& SafetensorsFile::tensor(const std::string& name) const {
  const SafeTensor* t = find(name);
  if (!t) throw SafetensorsError("safetensors " + path_ + ": tensor '" + name + "' is missing");
  return *t;
}

std::vector<float> SafetensorsFile::read(const SafeTensor& t) const {
  const int64_t n = t.n_elems();
  const uint8_t* p = map_ + data_offset_ + t.begin;
  std::vector<float> v((size_t)n);
  if (t.dtype == "F32") {
    std::memcpy(v.data(), p, (size_t)n * 4);
  } else if (t.dtype == "F16" || t.dtype == "BF16") {
    const bool bf = t.dtype == "BF16";
    for (int64_t i = 0; i < n; i++) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      v[(size_t)i] = bf ? bf16_to_float(h) : fp16_to_float(h);
    }
  } else {
    throw SafetensorsError("safetensors " + path_ + ": tensor '" + t.name + "' has dtype " + t.dtype +
                           " at byte offset " + std::to_string(data_offset_ + t.begin) +
                           ", which this reader does not convert (F32, F16, BF16)");
  }
  return v;
}

std::vector<float> SafetensorsFile::read(const std::string& name, const std::vector<int64_t>& shape) const {
  const SafeTensor& t = tensor(name);
  if (t.shape != shape)
    throw SafetensorsError("safetensors " + path_ + ": tensor '" + name + "' (dtype " + t.dtype + ", byte offset " +
                           std::to_string(data_offset_ + t.begin) + ") has shape " + shape_str(t.shape) +
                           ", expected " + shape_str(shape));
  return read(t);
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsEntry>& entries,
                       const std::map<std::string, std::string>& metadata) {
  binllm::Json hdr = binllm::Json::object();
  if (!metadata.empty()) {
    binllm::Json m = binllm::Json::object();
    for (const auto& kv : metadata) m.set(kv.first, kv.second);
    hdr.set("__metadata__", m);
  }
  uint64_t off = 0;
  for (const auto& e : entries) {
    const int es = safetensors_dtype_size(e.dtype);
    if (e.dtype != "F32" && e.dtype != "F16" && e.dtype != "BF16")
      throw SafetensorsError("safetensors " + path + ": cannot write tensor '" + e.name + "' as " + e.dtype);
    binllm::Json shape = binllm::Json::array();
    int64_t n = 1;
    for (auto d : e.shape) {
      shape.push(binllm::Json((long long)d));
      n *= d;
    }
    const uint64_t nb = (uint64_t)n * es;
    hdr.set(e.name, binllm::Json::object({{"dtype", e.dtype},
                                          {"shape", shape},
                                          {"data_offsets", binllm::Json::array({binllm::Json((unsigned long long)off),
                                                                                binllm::Json((unsigned long long)(off + nb))})}}));
    off += nb;
  }
  std::string h = hdr.dump();
  while (h.size() % 8) h += ' ';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw SafetensorsError("safetensors " + path + ": cannot write the file");
  const uint64_t hl = h.size();
  f.write(reinterpret_cast<const char*>(&hl), 8);
  f.write(h.data(), (std::streamsize)h.size());
  std::vector<uint16_t> half;
  for (const auto& e : entries) {
    int64_t n = 1;
    for (auto d : e.shape) n *= d;
    if (e.dtype == "F32") {
      f.write(reinterpret_cast<const char*>(e.data), (std::streamsize)(n * 4));
      continue;
    }
    half.resize((size_t)n);
    for (int64_t i = 0; i < n; i++) half[(size_t)i] = e.dtype == "BF16" ? float_to_bf16(e.data[i]) : float_to_fp16(e.data[i]);
    f.write(reinterpret_cast<const char*>(half.data()), (std::streamsize)(n * 2));
  }
  if (!f) throw SafetensorsError("safetensors " + path + ": error writing the file");
}

}  // namespace llmc
