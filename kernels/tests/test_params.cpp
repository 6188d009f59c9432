// Unit tests of binllm/params.hpp: one declaration gives the describe schema and the getter.
#include <string>

#include "binllm/params.hpp"
#include "check.hpp"

using binllm::Config;
using binllm::ConfigError;

namespace {
struct TestParams : binllm::ParamDecls {
  Int d_model = integer("d_model", "model width", 64, 8, 4096);
  Int warmup = integer("warmup_steps", "warm-up steps (default steps/10)", std::nullopt, 0, 10000000);
  Num lr = number("lr", "peak learning rate", 1e-2, 0.0, 1.0);
  Str kv = string("kv", "KV-cache format", "int4", {"fp32", "int8", "int4"});
  Str train_file = string("train_file", "raw text file");
  Bool tied = boolean("tied", "tie the output layer", true);
  IntList contexts = int_list("contexts", "evaluation contexts", std::vector<int64_t>{64, 128}, 1, 8192);
};
const TestParams& P() {
  static const TestParams p;
  return p;
}
}  // namespace

TEST(schema_from_declaration) {
  const auto& s = P().schema();
  CHECK(s.size() == 7);
  CHECK(s[0].first == "d_model");
  const binllm::Json& d = s[0].second;
  CHECK(d.find("type")->as_string() == "integer");
  CHECK(d.find("default")->as_int() == 64);
  CHECK(d.find("minimum")->as_int() == 8);
  CHECK(d.find("maximum")->as_int() == 4096);
  CHECK(s[1].second.find("default") == nullptr);  // computed default: none in the schema
  CHECK(s[2].second.find("default")->as_double() == 1e-2);
  CHECK(s[3].second.find("enum")->as_array().size() == 3);
  CHECK(s[5].second.find("default")->as_bool() == true);
  CHECK(s[6].second.find("default")->as_array().size() == 2);
}

TEST(getters_use_declared_defaults_and_ranges) {
  Config c = Config::from_string(R"({"d_model": 128, "kv": "fp32", "train_file": "a.txt"})", "t.json");
  CHECK(P().d_model.get(c) == 128);
  CHECK(P().warmup.get(c, 17) == 17);
  CHECK(P().lr.get(c) == 1e-2);
  CHECK(P().kv.get(c) == "fp32");
  CHECK(P().train_file.require(c) == "a.txt");
  CHECK(P().tied.get(c) == true);
  CHECK(P().contexts.get(c).size() == 2);
  c.reject_unknown();  // every key was read through a declaration
}

TEST(getters_reject_bad_values_naming_file_key_value) {
  Config c = Config::from_string(R"({"d_model": 4, "kv": "int2", "lr": "x"})", "bad.json");
  CHECK_THROWS(ConfigError, P().d_model.get(c), "bad.json", "'d_model'", "4", "[8, 4096]");
  CHECK_THROWS(ConfigError, P().kv.get(c), "'kv'", "int2");
  CHECK_THROWS(ConfigError, P().lr.get(c), "'lr'", "must be a number");
  CHECK_THROWS(ConfigError, P().warmup.get(c), "required parameter 'warmup_steps'");
  CHECK_THROWS(ConfigError, P().train_file.get(c), "required parameter 'train_file'");
}

TEST(declaration_errors_are_logic_errors) {
  struct Dup : binllm::ParamDecls {
    Int a = integer("a", "x", 1, 0, 2);
    Int b = integer("a", "y", 1, 0, 2);
  };
  struct OutOfRange : binllm::ParamDecls {
    Int a = integer("a", "x", 5, 0, 2);
  };
  CHECK_THROWS(std::logic_error, [] { Dup d; }(), "declared twice");
  CHECK_THROWS(std::logic_error, [] { OutOfRange d; }(), "outside its own range");
}

int main(int argc, char** argv) {
  return bt::run_all(argc, argv);
}
