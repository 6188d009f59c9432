// Helpers shared by the lm kernel's test programs: a printf-style CHECK that counts failures in
// g_fail, seeded uniform vectors, float/double conversion, a relative error, scratch folders.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "../llama_kv.hpp"

inline int g_fail = 0;
#define CHECK(cond, ...)                                          \
  do {                                                            \
    if (!(cond)) {                                                \
      std::fprintf(stderr, "  FAIL %s:%d: ", __FILE__, __LINE__); \
      std::fprintf(stderr, __VA_ARGS__);                          \
      std::fprintf(stderr, "\n");                                 \
      g_fail++;                                                   \
    }                                                             \
  } while (0)

// n values uniform in offset + scale * [-1, 1) from a xorshift seeded by `seed`.
inline std::vector<double> randv(size_t n, uint64_t seed, double scale = 1.0, double offset = 0.0) {
  std::vector<double> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = offset + scale * ((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
  }
  return v;
}
// The KV-cache settings of a test case: format `name`, quantisation group, KIVI residual, seed.
inline lm::KvConfig kv_config(const std::string& name, int group, int residual, uint64_t seed) {
  lm::KvConfig kv;
  kv.mode = lm::kv_mode_from_name(name);
  kv.group = group;
  kv.residual = residual;
  kv.seed = seed;
  return kv;
}

inline std::vector<float> tof(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }
inline std::vector<double> tod(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

// max |a-b| / (1 + max |b|)
inline double rel_err(const std::vector<float>& a, const std::vector<double>& b) {
  double m = 0, mb = 0;
  for (size_t i = 0; i < a.size(); i++) {
    m = std::fmax(m, std::fabs(a[i] - b[i]));
    mb = std::fmax(mb, std::fabs(b[i]));
  }
  return m / (1 + mb);
}

// A fresh scratch folder $TMPDIR/<prefix>_<pid>[/<name>] (emptied first).
inline std::string scratch_dir(const std::string& prefix, const std::string& name = "") {
  const char* t = std::getenv("TMPDIR");
  std::string d = std::string(t ? t : "/tmp") + "/" + prefix + "_" + std::to_string(::getpid());
  if (!name.empty()) d += "/" + name;
  if (std::system(("rm -rf '" + d + "' && mkdir -p '" + d + "'").c_str()) != 0) std::perror(d.c_str());
  return d;
}

struct TestCase {
  const char* name;
  void (*fn)();
};

// Runs the cases named `which` ("all": every one), printing each name and its time; an exception
// counts as a failed check. Exit code: 2 when no case has that name, 1 when a check failed, else 0.
template <size_t N>
int run_cases(const std::string& which, const TestCase (&cases)[N]) {
  bool ran = false;
  for (const auto& c : cases) {
    if (which != "all" && which != c.name) continue;
    ran = true;
    const auto t0 = std::chrono::steady_clock::now();
    std::printf("[%s]\n", c.name);
    try {
      c.fn();
    } catch (const std::exception& e) {
      CHECK(false, "%s threw: %s", c.name, e.what());
    }
    std::printf("  (%.2f s)\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  if (!ran) {
    std::fprintf(stderr, "unknown test '%s'\n", which.c_str());
    return 2;
  }
  if (g_fail) std::fprintf(stderr, "%d check(s) failed\n", g_fail);
  return g_fail ? 1 : 0;
}
