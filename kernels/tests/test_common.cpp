// Tests of the shared protocol header: JSON, Config, npy, RNG, Emitter.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "binllm/protocol.hpp"
#include "check.hpp"

using binllm::Config;
using binllm::ConfigError;
using binllm::Json;

static std::string tmp_path(const std::string& name) {
  return "/tmp/binllm_test_common_" + std::to_string(getpid()) + "_" + name;
}
static void write_file(const std::string& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

TEST(json_roundtrip) {
  std::string src =
      R"({"a":1,"b":-2.5,"c":"x\"y\\z\n\u00e9\ud83d\ude00","d":[true,false,null],"e":{},"f":[],"g":18446744073709551615,"h":-9223372036854775808,"i":1e300,"j":0.1})";
  Json j = Json::parse(src);
  CHECK(j.is_object());
  CHECK(j.find("a")->is_integer() && j.find("a")->as_int() == 1);
  CHECK(j.find("b")->as_double() == -2.5 && !j.find("b")->is_integer());
  CHECK(j.find("c")->as_string() == "x\"y\\z\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(j.find("g")->as_uint() == 18446744073709551615ULL);
  CHECK(j.find("h")->as_int() == std::numeric_limits<int64_t>::min());
  CHECK(j.find("j")->as_double() == 0.1);
  Json k = Json::parse(j.dump());
  CHECK(k.dump() == j.dump());
  CHECK(Json(0.1).dump() == "0.1");
  CHECK(Json(1.0).dump() == "1");
  CHECK(Json(std::string("a\tb\x01")).dump() == "\"a\\tb\\u0001\"");
}

TEST(json_errors_have_line_and_column) {
  try {
    Json::parse("{\n  \"a\": 1,\n  \"b\": tru\n}");
    CHECK(false);
  } catch (const binllm::JsonParseError& e) {
    CHECK(e.line() == 3);
    CHECK(e.column() == 8);
  }
  CHECK_THROWS(binllm::JsonParseError, Json::parse("[1,2"), "line 1");
  CHECK_THROWS(binllm::JsonParseError, Json::parse("{\"a\":1,\"a\":2}"), "duplicate key");
  CHECK_THROWS(binllm::JsonParseError, Json::parse("01"), "trailing");
  CHECK_THROWS(binllm::JsonParseError, Json::parse("\"abc"), "unterminated");
  CHECK_THROWS(binllm::JsonParseError, Json::parse("1 2"), "trailing");
}

TEST(config_getters) {
  Config c = Config::from_string(
      R"({"seed": 18446744073709551615, "n": 5, "x": 0.5, "s": "itq", "b": true, "ks": [10, 50], "f": 3.0})",
      "cfg.json");
  CHECK(c.get_uint64("seed", 0) == 18446744073709551615ULL);
  CHECK(c.get_int("n", 1, 0, 10) == 5);
  CHECK(c.get_int("f", 1) == 3);
  CHECK(c.get_int("absent", 42) == 42);
  CHECK(c.get_double("x", 0, 0, 1) == 0.5);
  CHECK(c.get_string("s", "sign", {"sign", "rhp", "itq"}) == "itq");
  CHECK(c.get_bool("b", false));
  auto ks = c.get_int_list("ks", {1});
  CHECK(ks.size() == 2 && ks[0] == 10 && ks[1] == 50);
  c.reject_unknown();  // all read
  CHECK_THROWS(ConfigError, c.get_int("n", 1, 6, 10), "'n'", "5", "cfg.json", "out of range");
  CHECK_THROWS(ConfigError, c.get_string("s", "", {"sign", "rhp"}), "'s'", "itq", "sign");
  CHECK_THROWS(ConfigError, c.get_int("x", 0), "'x'", "integer");
  CHECK_THROWS(ConfigError, c.require_int("missing_key"), "'missing_key'", "missing");
  CHECK_THROWS(ConfigError, c.get_int_list("ks", {}, 20, 100), "ks[0]", "10");
  CHECK_THROWS(ConfigError, c.get_bool("n", false), "'n'", "true or false");
}

TEST(config_reject_unknown) {
  Config c = Config::from_string(R"({"seed": 1, "bitz": 3, "extra": 1})", "x.json");
  c.get_uint64("seed", 0);
  c.get_int("bits", 1);
  CHECK_THROWS(ConfigError, c.reject_unknown(), "'bitz'", "'extra'", "x.json", "unknown parameter");
}

TEST(config_common_keys) {
  Config c = Config::from_string(R"({"seed": 3, "device": "cuda:1", "threads": 2, "work_dir": "/tmp"})");
  auto cc = binllm::parse_common(c);
  CHECK(cc.seed == 3 && cc.cuda && cc.cuda_index == 1 && cc.threads == 2 && cc.work_dir == "/tmp");
  Config d = Config::from_string(R"({"device": "gpu"})");
  CHECK_THROWS(ConfigError, binllm::parse_common(d), "'device'", "gpu");
  Config e = Config::from_string(R"({})");
  auto ce = binllm::parse_common(e);
  CHECK(!ce.cuda && ce.threads == binllm::hardware_threads() && ce.seed == 0);
  CHECK_THROWS(ConfigError, Config::from_string("[1]", "arr.json"), "arr.json", "object");
  CHECK_THROWS(ConfigError, Config::load("/nonexistent/cfg.json"), "/nonexistent/cfg.json");
}

TEST(npy_roundtrip_and_versions) {
  std::vector<float> v = {1.f, -2.f, 3.5f, 0.f, 1e-30f, 7.f};
  std::string p = tmp_path("a.npy");
  binllm::save_npy_f32(p, 2, 3, v.data());
  auto m = binllm::load_npy_f32(p);
  CHECK(m.rows == 2 && m.cols == 3 && m.data == v);
  // version 2.0 / 3.0 header
  for (int ver : {2, 3}) {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
    while ((12 + dict.size() + 1) % 64) dict += ' ';
    dict += '\n';
    std::string s = "\x93NUMPY";
    s += static_cast<char>(ver);
    s += '\0';
    uint32_t L = static_cast<uint32_t>(dict.size());
    s += std::string(reinterpret_cast<const char*>(&L), 4);
    s += dict;
    s += std::string(reinterpret_cast<const char*>(v.data()), 24);
    std::string q = tmp_path("v" + std::to_string(ver) + ".npy");
    write_file(q, s);
    auto m2 = binllm::load_npy_f32(q);
    CHECK(m2.rows == 3 && m2.cols == 2 && m2.data == v);
    std::remove(q.c_str());
  }
  std::remove(p.c_str());
}

static std::string npy_with(const std::string& dict_body, size_t data_bytes, const char* magic = "\x93NUMPY") {
  std::string dict = dict_body;
  while ((10 + dict.size() + 1) % 64) dict += ' ';
  dict += '\n';
  std::string s(magic, 6);
  s += '\x01';
  s += '\0';
  s += static_cast<char>(dict.size() & 0xFF);
  s += static_cast<char>(dict.size() >> 8);
  s += dict;
  s += std::string(data_bytes, '\0');
  return s;
}

TEST(npy_malformed) {
  std::string p = tmp_path("bad.npy");
  write_file(p, npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, "\x93NUMPZ"));
  CHECK_THROWS(ConfigError, binllm::load_npy_f32(p), p.c_str(), "bad magic");
  write_file(p, npy_with("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 48));
  CHECK_THROWS(ConfigError, binllm::load_npy_f32(p), p.c_str(), "dtype", "<f8");
  write_file(p, npy_with("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24));
  CHECK_THROWS(ConfigError, binllm::load_npy_f32(p), p.c_str(), "fortran_order");
  write_file(p, npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 24));
  CHECK_THROWS(ConfigError, binllm::load_npy_f32(p), p.c_str(), "shape", "2-D");
  write_file(p, npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 20));
  CHECK_THROWS(ConfigError, binllm::load_npy_f32(p), p.c_str(), "truncated data");
  write_file(p, "\x93NUM");
  CHECK_THROWS(ConfigError, binllm::load_npy_f32(p), p.c_str(), "too short");
  CHECK_THROWS(ConfigError, binllm::load_npy_f32("/nonexistent/x.npy"), "/nonexistent/x.npy", "cannot open");
  std::remove(p.c_str());
}

TEST(rng_reproducible) {
  binllm::Rng a(42), b(42), c(43);
  for (int i = 0; i < 1000; ++i) CHECK(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  // golden values: xoshiro256** seeded by splitmix64(42) must never change (data reproducibility)
  binllm::Rng g(42);
  uint64_t first = g.next_u64();
  binllm::Rng g2(42);
  CHECK(first == g2.next_u64());
  // normals: moments
  binllm::Rng r(7);
  double s = 0, s2 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double x = r.normal();
    s += x;
    s2 += x * x;
  }
  CHECK(std::fabs(s / n) < 0.01);
  CHECK(std::fabs(s2 / n - 1.0) < 0.02);
  for (int i = 0; i < 1000; ++i) {
    double u = r.uniform();
    CHECK(u >= 0.0 && u < 1.0);
    CHECK(r.below(7) < 7);
  }
}

TEST(det_log_accuracy) {
  binllm::Rng r(1);
  double worst = 0;
  for (int i = 0; i < 100000; ++i) {
    double x = std::ldexp(r.uniform() + 0.5, static_cast<int>(r.below(200)) - 100);
    double rel = std::fabs(binllm::det_log(x) - std::log(x)) / std::max(1e-300, std::fabs(std::log(x)));
    if (std::fabs(std::log(x)) > 1e-3) worst = std::max(worst, rel);
  }
  CHECK_MSG(worst < 1e-14, std::to_string(worst));
  CHECK(binllm::det_log(1.0) == 0.0);
}

TEST(emitter_lines) {
  std::string p = tmp_path("emit.jsonl");
  std::FILE* f = std::fopen(p.c_str(), "w");
  {
    binllm::Emitter e(f);
    binllm::DeviceInfo d;
    d.name = "cpu x";
    d.threads = 2;
    e.start("k", "1.0", d);
    for (int i = 0; i <= 100; ++i) e.progress("p", i, 100);  // rate-limited, final always
    e.metric("m", 0.25, Json::object({{"bits", 64}}));
    CHECK_THROWS(std::logic_error, e.metric("bad", std::nan("")), "bad");
    CHECK_THROWS(std::logic_error, e.metric("bad", INFINITY), "bad");
    e.end_ok();
  }
  std::fclose(f);
  std::ifstream in(p);
  std::string line;
  std::vector<Json> ev;
  while (std::getline(in, line)) ev.push_back(Json::parse(line));
  CHECK(ev.size() == 5);  // start, first progress, final progress, metric, end
  CHECK(ev.front().find("event")->as_string() == "start");
  CHECK(ev.front().find("build")->find("hash") != nullptr);
  CHECK(ev[2].find("done")->as_int() == 100);
  CHECK(ev[3].find("value")->as_double() == 0.25);
  CHECK(ev.back().find("status")->as_string() == "ok");
  std::remove(p.c_str());
}

TEST(parallel_for_covers_all) {
  for (int t : {1, 2, 7}) {
    std::vector<int> hit(1000, 0);
    binllm::parallel_for(hit.size(), t, [&](size_t i) { hit[i] += 1; });
    bool all = true;
    for (int h : hit) all = all && h == 1;
    CHECK(all);
  }
  CHECK_THROWS(std::runtime_error,
               binllm::parallel_for(10, 2, [](size_t i) { if (i == 5) throw std::runtime_error("boom5"); }),
               "boom5");
}

int main(int argc, char** argv) { return bt::run_all(argc, argv); }
