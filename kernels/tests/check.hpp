// Minimal test helpers for the kernel tests (no external framework).
#pragma once
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace bt {
inline int& failures() { static int f = 0; return f; }
inline std::vector<std::pair<std::string, std::function<void()>>>& registry() {
  static std::vector<std::pair<std::string, std::function<void()>>> r;
  return r;
}
struct Reg {
  Reg(const char* n, std::function<void()> f) { registry().emplace_back(n, std::move(f)); }
};
inline int run_all(int argc, char** argv) {
  std::string only = argc > 1 ? argv[1] : "";
  int n = 0;
  for (auto& t : registry()) {
    if (!only.empty() && t.first.find(only) == std::string::npos) continue;
    int before = failures();
    try {
      t.second();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "  unexpected exception: %s\n", e.what());
      ++failures();
    }
    std::fprintf(stderr, "%s %s\n", failures() == before ? "[ ok ]" : "[FAIL]", t.first.c_str());
    ++n;
  }
  std::fprintf(stderr, "%d tests, %d failed checks\n", n, failures());
  return failures() ? 1 : 0;
}
}  // namespace bt

#define BT_CAT2(a, b) a##b
#define BT_CAT(a, b) BT_CAT2(a, b)
#define TEST(name) \
  static void name(); \
  static bt::Reg BT_CAT(reg_, name)(#name, name); \
  static void name()
#define CHECK(cond) \
  do { \
    if (!(cond)) { \
      std::fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++bt::failures(); \
    } \
  } while (0)
#define CHECK_MSG(cond, msg) \
  do { \
    if (!(cond)) { \
      std::fprintf(stderr, "  %s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   std::string(msg).c_str()); \
      ++bt::failures(); \
    } \
  } while (0)
// Expects `stmt` to throw `Ex` whose what() contains every string in the list.
#define CHECK_THROWS(Ex, stmt, ...) \
  do { \
    bool thrown_ = false; \
    try { \
      stmt; \
    } catch (const Ex& e_) { \
      thrown_ = true; \
      std::string w_ = e_.what(); \
      for (const char* s_ : std::vector<const char*>{__VA_ARGS__}) \
        CHECK_MSG(w_.find(s_) != std::string::npos, "message '" + w_ + "' lacks '" + s_ + "'"); \
    } \
    CHECK_MSG(thrown_, #Ex " not thrown by " #stmt); \
  } while (0)
