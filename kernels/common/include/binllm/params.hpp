// binllm — one declaration per kernel parameter: the same object yields the `describe` JSON
// Schema entry and the typed getter, so a default or a range is written exactly once.
//
//   struct MyParams : binllm::ParamDecls {
//     Int d_model = integer("d_model", "model width", 64, 8, 4096);
//     Int warmup = integer("warmup_steps", "warm-up steps (default steps/10)", std::nullopt, 0, 10000000);
//     Num lr = number("lr", "peak learning rate", 1e-2, 0.0, 1.0);
//     Str kv = string("kv", "KV-cache format", "int4", {"fp32", "int8", "int4"});
//     Bool tied = boolean("tied", "tie the output layer to the embedding", true);
//     Str train_file = string("train_file", "raw text file (dataset=text)");  // no default
//   };
//   const MyParams P;                        // a global or a function-local static
//   spec.params = P.schema();                // describe: {"d_model": {"type": "integer", ...}, ...}
//   int d = (int)P.d_model.get(ctx.cfg);     // absent -> 64; 3 or 1e9 -> ConfigError (exit 2)
//   int w = (int)P.warmup.get(ctx.cfg, steps / 10);     // a default computed from other params
//   std::string f = P.train_file.require(ctx.cfg);      // absent -> ConfigError "required"
//   if (!P.train_file.present(ctx.cfg)) ...            // is the key given (and not null)?
//
// Getters go through binllm::Config, so every key read counts for Config::reject_unknown() and
// every error names the config file, the key and the value. A parameter declared without a
// default has no "default" in the schema; get(cfg) then throws a ConfigError when it is absent.
// Declaring the same key twice in one ParamDecls is a programming error (std::logic_error).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "binllm/json.hpp"
#include "binllm/protocol.hpp"

namespace binllm {

class ParamDecls {
 public:
  struct Int {
    std::string key;
    std::optional<int64_t> def;
    int64_t min, max;
    int64_t get(Config& c) const {
      return def ? c.get_int(key, *def, min, max) : c.require_int(key, min, max);
    }
    int64_t get(Config& c, int64_t computed_default) const {
      return c.get_int(key, computed_default, min, max);
    }
    int64_t require(Config& c) const { return c.require_int(key, min, max); }
    bool present(const Config& c) const { return c.has(key); }
  };
  struct Num {
    std::string key;
    std::optional<double> def;
    double min, max;
    double get(Config& c) const {
      return def ? c.get_double(key, *def, min, max) : c.require_double(key, min, max);
    }
    double get(Config& c, double computed_default) const {
      return c.get_double(key, computed_default, min, max);
    }
    double require(Config& c) const { return c.require_double(key, min, max); }
    bool present(const Config& c) const { return c.has(key); }
  };
  struct Str {
    std::string key;
    std::optional<std::string> def;
    std::vector<std::string> allowed;  // empty = any string
    std::string get(Config& c) const {
      return def ? c.get_string(key, *def, allowed) : c.require_string(key, allowed);
    }
    std::string get(Config& c, const std::string& computed_default) const {
      return c.get_string(key, computed_default, allowed);
    }
    std::string require(Config& c) const { return c.require_string(key, allowed); }
    bool present(const Config& c) const { return c.has(key); }
  };
  struct Bool {
    std::string key;
    std::optional<bool> def;
    bool get(Config& c) const {
      if (def)
        return c.get_bool(key, *def);
      if (!c.has(key)) {
        c.mark_read(key);
        throw ConfigError("config " + c.file() + ": required parameter '" + key + "' (a boolean) is missing");
      }
      return c.get_bool(key, false);
    }
    bool get(Config& c, bool computed_default) const { return c.get_bool(key, computed_default); }
    bool present(const Config& c) const { return c.has(key); }
  };
  struct IntList {
    std::string key;
    std::optional<std::vector<int64_t>> def;
    int64_t min, max;
    // Absent and no declared default -> ConfigError; use get(c, computed) for computed defaults.
    std::vector<int64_t> get(Config& c) const {
      if (!def && !c.has(key)) {
        c.mark_read(key);
        throw ConfigError("config " + c.file() + ": required parameter '" + key +
                          "' (an array of integers) is missing");
      }
      return c.get_int_list(key, def ? *def : std::vector<int64_t>{}, min, max);
    }
    std::vector<int64_t> get(Config& c, const std::vector<int64_t>& computed_default) const {
      return c.get_int_list(key, computed_default, min, max);
    }
    bool present(const Config& c) const { return c.has(key); }
  };

  // The describe "params" object (properties of the config schema), in declaration order.
  const Json::Object& schema() const { return schema_; }
  // The declared keys, in declaration order.
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (auto& kv : schema_)
      k.push_back(kv.first);
    return k;
  }

 protected:
  ParamDecls() = default;
  // Copying would duplicate the schema of a half-built derived object; declare once, use by const&.
  ParamDecls(const ParamDecls&) = delete;
  ParamDecls& operator=(const ParamDecls&) = delete;

  Int integer(std::string key, const std::string& desc, std::optional<int64_t> def, int64_t min = INT64_MIN,
              int64_t max = INT64_MAX) {
    check_range(key, def && (*def < min || *def > max));
    add(key, schema::integer(desc, def ? Json(*def) : Json(), bound(min, INT64_MIN), bound(max, INT64_MAX)));
    return Int{std::move(key), def, min, max};
  }
  Num number(std::string key, const std::string& desc, std::optional<double> def,
             double min = -1.7976931348623157e308, double max = 1.7976931348623157e308) {
    check_range(key, def && !(*def >= min && *def <= max));
    add(key, schema::number(desc, def ? Json(*def) : Json(), min > -1.7e308 ? Json(min) : Json(),
                            max < 1.7e308 ? Json(max) : Json()));
    return Num{std::move(key), def, min, max};
  }
  Str string(std::string key, const std::string& desc, std::optional<std::string> def = std::nullopt,
             std::vector<std::string> allowed = {}) {
    bool bad_def = false;
    if (def && !allowed.empty()) {
      bad_def = true;
      for (auto& a : allowed)
        bad_def = bad_def && a != *def;
    }
    check_range(key, bad_def);
    add(key, schema::string(desc, def ? Json(*def) : Json(), allowed));
    return Str{std::move(key), std::move(def), std::move(allowed)};
  }
  Bool boolean(std::string key, const std::string& desc, std::optional<bool> def = std::nullopt) {
    add(key, schema::boolean(desc, def ? Json(*def) : Json()));
    return Bool{std::move(key), def};
  }
  IntList int_list(std::string key, const std::string& desc, std::optional<std::vector<int64_t>> def,
                   int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
    Json d;
    if (def) {
      d = Json::array();
      for (int64_t x : *def) {
        check_range(key, x < min || x > max);
        d.push(Json(x));
      }
    }
    add(key, schema::int_list(desc, d, bound(min, INT64_MIN), bound(max, INT64_MAX)));
    return IntList{std::move(key), std::move(def), min, max};
  }
  // Any other schema (objects, arrays of strings): recorded for describe; read it with cfg.get_raw(key).
  std::string raw(std::string key, Json schema) {
    add(key, std::move(schema));
    return key;
  }

 private:
  static Json bound(int64_t v, int64_t none) { return v == none ? Json() : Json(v); }
  static void check_range(const std::string& key, bool bad) {
    if (bad)
      throw std::logic_error("param '" + key + "': declared default is outside its own range");
  }
  void add(const std::string& key, Json s) {
    for (auto& kv : schema_)
      if (kv.first == key)
        throw std::logic_error("param '" + key + "' declared twice");
    schema_.emplace_back(key, std::move(s));
  }
  Json::Object schema_;
};

}  // namespace binllm
