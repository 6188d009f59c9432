// binllm — .npy reader/writer (format versions 1.0, 2.0, 3.0; little-endian, C order, 2-D).
// Every error is a ConfigError (exit 2) naming the file and what was wrong.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "binllm/errors.hpp"

namespace binllm {

// A raw 2-D array as stored in the file.
struct NpyArray {
  std::string descr;  // e.g. "<f4", "|u1", "<u8"
  size_t rows = 0, cols = 0;
  size_t item_size = 0;
  std::vector<unsigned char> bytes;  // rows * cols * item_size, C order
};

struct NpyMatrixF32 {
  size_t rows = 0, cols = 0;
  std::vector<float> data;  // rows * cols, C order
  const float* row(size_t i) const { return data.data() + i * cols; }
};

namespace npy_detail {

[[noreturn]] inline void fail(const std::string& path, const std::string& what) {
  throw ConfigError("npy file '" + path + "': " + what);
}

inline void skip_ws(const std::string& h, size_t& p) {
  while (p < h.size() && (h[p] == ' ' || h[p] == '\t' || h[p] == '\n')) ++p;
}

// Parses the Python-literal header dict {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
inline void parse_header(const std::string& path, const std::string& h, std::string& descr,
                         bool& fortran, std::vector<size_t>& shape) {
  bool have_descr = false, have_fortran = false, have_shape = false;
  size_t p = 0;
  skip_ws(h, p);
  if (p >= h.size() || h[p] != '{') fail(path, "header is not a dict: " + h);
  ++p;
  for (;;) {
    skip_ws(h, p);
    if (p < h.size() && h[p] == '}') break;
    if (p >= h.size() || (h[p] != '\'' && h[p] != '"')) fail(path, "malformed header dict: " + h);
    char q = h[p++];
    size_t e = h.find(q, p);
    if (e == std::string::npos) fail(path, "malformed header key: " + h);
    std::string key = h.substr(p, e - p);
    p = e + 1;
    skip_ws(h, p);
    if (p >= h.size() || h[p] != ':') fail(path, "malformed header (':' expected): " + h);
    ++p;
    skip_ws(h, p);
    if (key == "descr") {
      if (p >= h.size() || (h[p] != '\'' && h[p] != '"'))
        fail(path, "field 'descr' is not a simple dtype string (structured dtypes are not supported)");
      char q2 = h[p++];
      size_t e2 = h.find(q2, p);
      if (e2 == std::string::npos) fail(path, "malformed 'descr'");
      descr = h.substr(p, e2 - p);
      p = e2 + 1;
      have_descr = true;
    } else if (key == "fortran_order") {
      if (h.compare(p, 4, "True") == 0) {
        fortran = true;
        p += 4;
      } else if (h.compare(p, 5, "False") == 0) {
        fortran = false;
        p += 5;
      } else {
        fail(path, "field 'fortran_order' is neither True nor False");
      }
      have_fortran = true;
    } else if (key == "shape") {
      if (p >= h.size() || h[p] != '(') fail(path, "field 'shape' is not a tuple");
      ++p;
      shape.clear();
      for (;;) {
        skip_ws(h, p);
        if (p < h.size() && h[p] == ')') {
          ++p;
          break;
        }
        size_t start = p;
        while (p < h.size() && h[p] >= '0' && h[p] <= '9') ++p;
        if (p == start) fail(path, "field 'shape' holds a non-integer: " + h);
        shape.push_back(static_cast<size_t>(std::stoull(h.substr(start, p - start))));
        skip_ws(h, p);
        if (p < h.size() && h[p] == ',') ++p;
      }
      have_shape = true;
    } else {
      fail(path, "unexpected header key '" + key + "'");
    }
    skip_ws(h, p);
    if (p < h.size() && h[p] == ',') ++p;
  }
  if (!have_descr) fail(path, "header lacks 'descr'");
  if (!have_fortran) fail(path, "header lacks 'fortran_order'");
  if (!have_shape) fail(path, "header lacks 'shape'");
}

inline size_t descr_item_size(const std::string& d) {
  if (d.size() < 3) return 0;
  try {
    return static_cast<size_t>(std::stoul(d.substr(2)));
  } catch (...) {
    return 0;
  }
}

}  // namespace npy_detail

// Reads a 2-D C-order little-endian array. `expected_descr` (e.g. "<f4") is checked when not
// empty; "|u1" also accepts "<u1"/"u1".
inline NpyArray load_npy(const std::string& path, const std::string& expected_descr = "") {
  using npy_detail::fail;
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, "cannot open (missing file or no permission)");
  f.seekg(0, std::ios::end);
  const std::streamoff file_size = f.tellg();
  f.seekg(0, std::ios::beg);
  unsigned char magic[8];
  if (!f.read(reinterpret_cast<char*>(magic), 8)) fail(path, "file too short for the .npy magic");
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) fail(path, "bad magic (not a .npy file)");
  const int major = magic[6];
  size_t header_len = 0;
  size_t prefix = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!f.read(reinterpret_cast<char*>(b), 2)) fail(path, "truncated header length");
    header_len = static_cast<size_t>(b[0]) | (static_cast<size_t>(b[1]) << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!f.read(reinterpret_cast<char*>(b), 4)) fail(path, "truncated header length");
    header_len = static_cast<size_t>(b[0]) | (static_cast<size_t>(b[1]) << 8) |
                 (static_cast<size_t>(b[2]) << 16) | (static_cast<size_t>(b[3]) << 24);
    prefix = 12;
  } else {
    fail(path, "unsupported format version " + std::to_string(major) + "." +
                   std::to_string(magic[7]) + " (1.0, 2.0 and 3.0 are supported)");
  }
  if (static_cast<std::streamoff>(prefix + header_len) > file_size) fail(path, "truncated header");
  std::string header(header_len, '\0');
  if (!f.read(&header[0], static_cast<std::streamsize>(header_len))) fail(path, "truncated header");
  std::string descr;
  bool fortran = false;
  std::vector<size_t> shape;
  npy_detail::parse_header(path, header, descr, fortran, shape);
  if (fortran) fail(path, "fortran_order is True (C order required; use np.ascontiguousarray)");
  if (shape.size() != 2)
    fail(path, "shape has " + std::to_string(shape.size()) + " dimensions, a 2-D matrix (rows, dim) is required");
  std::string norm = descr;
  if (norm.size() == 2) norm = "|" + norm;
  if (!expected_descr.empty()) {
    bool ok = norm == expected_descr;
    if (!ok && expected_descr[0] == '|' && norm.size() == expected_descr.size())
      ok = norm.substr(1) == expected_descr.substr(1) && (norm[0] == '<' || norm[0] == '=');
    if (!ok)
      fail(path, "dtype '" + descr + "' is not supported, '" + expected_descr +
                     "' required (e.g. np.asarray(x, dtype='" + expected_descr + "'))");
  } else if (!norm.empty() && norm[0] == '>') {
    fail(path, "big-endian dtype '" + descr + "' is not supported");
  }
  NpyArray a;
  a.descr = norm;
  a.rows = shape[0];
  a.cols = shape[1];
  a.item_size = npy_detail::descr_item_size(norm);
  if (a.item_size == 0) fail(path, "cannot determine the item size of dtype '" + descr + "'");
  const size_t nbytes = a.rows * a.cols * a.item_size;
  const size_t have = static_cast<size_t>(file_size) - prefix - header_len;
  if (have < nbytes)
    fail(path, "truncated data: shape (" + std::to_string(a.rows) + ", " + std::to_string(a.cols) +
                   ") needs " + std::to_string(nbytes) + " bytes, file has " + std::to_string(have));
  if (have > nbytes)
    fail(path, "file has " + std::to_string(have - nbytes) + " bytes after the data (shape mismatch?)");
  a.bytes.resize(nbytes);
  if (nbytes && !f.read(reinterpret_cast<char*>(a.bytes.data()), static_cast<std::streamsize>(nbytes)))
    fail(path, "read error in data");
  return a;
}

// float32 matrix (rows, dim). Little-endian host assumed (x86-64, aarch64).
inline NpyMatrixF32 load_npy_f32(const std::string& path) {
  NpyArray a = load_npy(path, "<f4");
  NpyMatrixF32 m;
  m.rows = a.rows;
  m.cols = a.cols;
  m.data.resize(a.rows * a.cols);
  if (!a.bytes.empty()) std::memcpy(m.data.data(), a.bytes.data(), a.bytes.size());
  return m;
}

// Writes a 2-D C-order array, version 1.0 header padded to 64 bytes.
inline void save_npy(const std::string& path, const std::string& descr, size_t rows, size_t cols,
                     const void* data, size_t item_size) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" +
                     std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  size_t total = 10 + dict.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  dict.append(pad, ' ');
  dict += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw ConfigError("npy file '" + path + "': cannot create");
  f.write("\x93NUMPY\x01\x00", 8);
  unsigned char len[2] = {static_cast<unsigned char>(dict.size() & 0xFF),
                          static_cast<unsigned char>((dict.size() >> 8) & 0xFF)};
  f.write(reinterpret_cast<const char*>(len), 2);
  f.write(dict.data(), static_cast<std::streamsize>(dict.size()));
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(rows * cols * item_size));
  if (!f) throw ConfigError("npy file '" + path + "': write error");
}

inline void save_npy_f32(const std::string& path, size_t rows, size_t cols, const float* data) {
  save_npy(path, "<f4", rows, cols, data, 4);
}

}  // namespace binllm
