// binllm — a small JSON value type: parser (with line/column errors) and serializer.
// Header-only, C++17. Objects keep insertion order so emitted events are stable.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <unordered_set>
#include <vector>

namespace binllm {

class JsonParseError : public std::runtime_error {
 public:
  JsonParseError(const std::string& msg, int line, int column)
      : std::runtime_error(msg + " at line " + std::to_string(line) + ", column " +
                           std::to_string(column)),
        line_(line),
        column_(column) {}
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_, column_;
};

class Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : type_(Type::Bool), bool_(b) {}
  Json(int v) { set_int(v); }
  Json(long v) { set_int(v); }
  Json(long long v) { set_int(v); }
  Json(unsigned v) { set_int(static_cast<long long>(v)); }
  Json(unsigned long v) { set_uint(v); }
  Json(unsigned long long v) { set_uint(v); }
  Json(double v) : type_(Type::Number), num_(v) {}
  Json(float v) : type_(Type::Number), num_(v) {}
  Json(const char* s) : type_(Type::String), str_(s) {}
  Json(std::string s) : type_(Type::String), str_(std::move(s)) {}
  Json(Array a) : type_(Type::Array), arr_(std::move(a)) {}
  Json(Object o) : type_(Type::Object), obj_(std::move(o)) {}

  static Json array(Array a = {}) { return Json(std::move(a)); }
  static Json object(Object o = {}) { return Json(std::move(o)); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  // true for numbers written without fraction/exponent that fit an int64 (or a uint64).
  bool is_integer() const { return type_ == Type::Number && (is_int_ || is_uint_); }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  bool as_bool() const { return bool_; }
  double as_double() const { return num_; }
  int64_t as_int() const { return int_; }
  // Valid when is_integer() and the value is >= 0.
  uint64_t as_uint() const { return is_uint_ ? uint_ : static_cast<uint64_t>(int_); }
  bool fits_int64() const { return is_int_; }
  const std::string& as_string() const { return str_; }
  const Array& as_array() const { return arr_; }
  Array& as_array() { return arr_; }
  const Object& as_object() const { return obj_; }
  Object& as_object() { return obj_; }

  // Object access. find() returns nullptr when absent.
  const Json* find(const std::string& key) const {
    for (auto& kv : obj_)
      if (kv.first == key) return &kv.second;
    return nullptr;
  }
  // Insert or replace (turns a null into an object).
  Json& set(const std::string& key, Json v) {
    if (type_ == Type::Null) type_ = Type::Object;
    for (auto& kv : obj_)
      if (kv.first == key) {
        kv.second = std::move(v);
        return kv.second;
      }
    obj_.emplace_back(key, std::move(v));
    return obj_.back().second;
  }
  Json& push(Json v) {
    if (type_ == Type::Null) type_ = Type::Array;
    arr_.push_back(std::move(v));
    return arr_.back();
  }
  size_t size() const { return type_ == Type::Array ? arr_.size() : obj_.size(); }

  static const char* type_name(Type t) {
    switch (t) {
      case Type::Null: return "null";
      case Type::Bool: return "boolean";
      case Type::Number: return "number";
      case Type::String: return "string";
      case Type::Array: return "array";
      case Type::Object: return "object";
    }
    return "?";
  }

  // ---- serialization (compact, one line) ----
  std::string dump() const {
    std::string out;
    dump_to(out);
    return out;
  }
  void dump_to(std::string& out) const {
    switch (type_) {
      case Type::Null: out += "null"; break;
      case Type::Bool: out += bool_ ? "true" : "false"; break;
      case Type::Number: dump_number(out); break;
      case Type::String: dump_string(str_, out); break;
      case Type::Array:
        out += '[';
        for (size_t i = 0; i < arr_.size(); ++i) {
          if (i) out += ',';
          arr_[i].dump_to(out);
        }
        out += ']';
        break;
      case Type::Object:
        out += '{';
        for (size_t i = 0; i < obj_.size(); ++i) {
          if (i) out += ',';
          dump_string(obj_[i].first, out);
          out += ':';
          obj_[i].second.dump_to(out);
        }
        out += '}';
        break;
    }
  }
  static void dump_string(const std::string& s, std::string& out) {
    out += '"';
    for (unsigned char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    out += '"';
  }

  // ---- parsing ----
  static Json parse(const std::string& text) {
    Parser p{text};
    p.skip_ws();
    Json v = p.value(0);
    p.skip_ws();
    if (p.pos != text.size()) p.fail("unexpected trailing characters");
    return v;
  }

 private:
  void set_int(long long v) {
    type_ = Type::Number;
    num_ = static_cast<double>(v);
    int_ = v;
    is_int_ = true;
    if (v >= 0) {
      uint_ = static_cast<uint64_t>(v);
      is_uint_ = true;
    }
  }
  void set_uint(unsigned long long v) {
    type_ = Type::Number;
    num_ = static_cast<double>(v);
    uint_ = v;
    is_uint_ = true;
    if (v <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max())) {
      int_ = static_cast<int64_t>(v);
      is_int_ = true;
    }
  }
  void dump_number(std::string& out) const {
    char buf[40];
    if (is_int_) {
      auto r = std::to_chars(buf, buf + sizeof buf, int_);
      out.append(buf, r.ptr);
    } else if (is_uint_) {
      auto r = std::to_chars(buf, buf + sizeof buf, uint_);
      out.append(buf, r.ptr);
    } else if (!std::isfinite(num_)) {
      out += "null";  // JSON has no NaN/Inf; the Emitter rejects them before this point
    } else {
      // shortest representation that round-trips: deterministic across platforms
      auto r = std::to_chars(buf, buf + sizeof buf, num_);
      out.append(buf, r.ptr);
    }
  }

  struct Parser {
    const std::string& s;
    size_t pos = 0;

    [[noreturn]] void fail(const std::string& msg) const {
      int line = 1, col = 1;
      for (size_t i = 0; i < pos && i < s.size(); ++i) {
        if (s[i] == '\n') {
          ++line;
          col = 1;
        } else {
          ++col;
        }
      }
      throw JsonParseError(msg, line, col);
    }
    void skip_ws() {
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
        ++pos;
    }
    bool literal(const char* lit) {
      size_t n = std::char_traits<char>::length(lit);
      if (s.compare(pos, n, lit) == 0) {
        pos += n;
        return true;
      }
      return false;
    }
    Json value(int depth) {
      if (depth > 256) fail("nesting too deep");
      if (pos >= s.size()) fail("unexpected end of input, expected a value");
      char c = s[pos];
      if (c == '{') return object(depth);
      if (c == '[') return array(depth);
      if (c == '"') return Json(string());
      if (c == '-' || (c >= '0' && c <= '9')) return number();
      if (literal("true")) return Json(true);
      if (literal("false")) return Json(false);
      if (literal("null")) return Json(nullptr);
      fail(std::string("unexpected character '") + c + "'");
    }
    Json object(int depth) {
      Json o = Json::object();
      std::unordered_set<std::string> seen;
      ++pos;  // {
      skip_ws();
      if (pos < s.size() && s[pos] == '}') {
        ++pos;
        return o;
      }
      for (;;) {
        skip_ws();
        if (pos >= s.size() || s[pos] != '"') fail("expected a string key");
        std::string key = string();
        // Duplicate keys: a linear scan for small objects, a hash set for large ones (a
        // tokenizer.json vocabulary has ~50k keys; the scan alone would be quadratic).
        bool dup;
        if (o.obj_.size() < 16) {
          dup = o.find(key) != nullptr;
        } else {
          if (seen.empty())
            for (auto& kv : o.obj_) seen.insert(kv.first);
          dup = !seen.insert(key).second;
        }
        if (dup) fail("duplicate key \"" + key + "\"");
        skip_ws();
        if (pos >= s.size() || s[pos] != ':') fail("expected ':' after key");
        ++pos;
        skip_ws();
        Json v = value(depth + 1);
        o.obj_.emplace_back(std::move(key), std::move(v));
        skip_ws();
        if (pos < s.size() && s[pos] == ',') {
          ++pos;
          continue;
        }
        if (pos < s.size() && s[pos] == '}') {
          ++pos;
          return o;
        }
        fail("expected ',' or '}' in object");
      }
    }
    Json array(int depth) {
      Json a = Json::array();
      ++pos;  // [
      skip_ws();
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        return a;
      }
      for (;;) {
        skip_ws();
        a.arr_.push_back(value(depth + 1));
        skip_ws();
        if (pos < s.size() && s[pos] == ',') {
          ++pos;
          continue;
        }
        if (pos < s.size() && s[pos] == ']') {
          ++pos;
          return a;
        }
        fail("expected ',' or ']' in array");
      }
    }
    static void put_utf8(std::string& out, uint32_t cp) {
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
    uint32_t hex4() {
      if (pos + 4 > s.size()) fail("truncated \\u escape");
      uint32_t v = 0;
      for (int i = 0; i < 4; ++i) {
        char c = s[pos++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
        else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
        else fail("bad hex digit in \\u escape");
      }
      return v;
    }
    std::string string() {
      ++pos;  // opening quote
      std::string out;
      for (;;) {
        if (pos >= s.size()) fail("unterminated string");
        char c = s[pos++];
        if (c == '"') return out;
        if (static_cast<unsigned char>(c) < 0x20) {
          --pos;
          fail("control character in string");
        }
        if (c != '\\') {
          out += c;
          continue;
        }
        if (pos >= s.size()) fail("unterminated escape");
        char e = s[pos++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            uint32_t cp = hex4();
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (pos + 2 <= s.size() && s[pos] == '\\' && s[pos + 1] == 'u') {
                pos += 2;
                uint32_t lo = hex4();
                if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid low surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                fail("unpaired high surrogate");
              }
            }
            put_utf8(out, cp);
            break;
          }
          default: --pos; fail(std::string("invalid escape '\\") + e + "'");
        }
      }
    }
    Json number() {
      size_t start = pos;
      bool integral = true;
      if (s[pos] == '-') ++pos;
      if (pos >= s.size() || !(s[pos] >= '0' && s[pos] <= '9')) fail("invalid number");
      if (s[pos] == '0') {
        ++pos;
      } else {
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      }
      if (pos < s.size() && s[pos] == '.') {
        integral = false;
        ++pos;
        if (pos >= s.size() || !(s[pos] >= '0' && s[pos] <= '9')) fail("invalid number: digit expected after '.'");
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      }
      if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
        integral = false;
        ++pos;
        if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
        if (pos >= s.size() || !(s[pos] >= '0' && s[pos] <= '9')) fail("invalid number: digit expected in exponent");
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      }
      const char* b = s.data() + start;
      const char* e = s.data() + pos;
      if (integral) {
        long long iv = 0;
        auto r = std::from_chars(b, e, iv);
        if (r.ec == std::errc() && r.ptr == e) return Json(iv);
        unsigned long long uv = 0;
        auto r2 = std::from_chars(b, e, uv);
        if (r2.ec == std::errc() && r2.ptr == e) return Json(uv);
        // too large for 64 bits: keep as double
      }
      double dv = 0;
      auto r = std::from_chars(b, e, dv);
      if (r.ec != std::errc() || r.ptr != e) {
        pos = start;
        fail("number out of range");
      }
      return Json(dv);
    }
  };

  Type type_ = Type::Null;
  bool bool_ = false;
  double num_ = 0;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  bool is_int_ = false;
  bool is_uint_ = false;
  std::string str_;
  Array arr_;
  Object obj_;
};

}  // namespace binllm
