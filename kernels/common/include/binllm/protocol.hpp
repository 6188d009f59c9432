// binllm — the kernel protocol (see /KERNELS.md): config loading, JSONL events, entry point.
//
//   #include "binllm/protocol.hpp"
//   int main(int argc, char** argv) {
//     binllm::KernelSpec spec;
//     spec.name = "mykernel"; spec.version = "0.1.0"; spec.hypotheses = {"H1"};
//     spec.params = {{"bits", binllm::schema::integer("code length m", 256, 1, 65536)}};
//     spec.run = [](binllm::RunContext& ctx) {
//       int64_t bits = ctx.cfg.get_int("bits", 256, 1, 65536);
//       ctx.cfg.reject_unknown();          // exit 2 naming any key never read
//       ctx.start();                       // "start" event (device + build)
//       ctx.emit.progress("encode", 1, 10);
//       ctx.emit.metric("overlap_at_k", 0.97, binllm::Json::object({{"bits", bits}, {"k", 10}}));
//     };                                   // run_main prints "end" and returns the exit code
//     return binllm::run_main(argc, argv, spec);
//   }
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#ifdef __linux__
#include <sys/prctl.h>
#include <unistd.h>
#endif
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <cmath>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "binllm/errors.hpp"
#include "binllm/json.hpp"
#include "binllm/npy.hpp"
#include "binllm/rng.hpp"

#ifndef BINLLM_BUILD_HASH
#define BINLLM_BUILD_HASH "unknown"
#endif
#ifndef BINLLM_BUILD_FLAGS
#define BINLLM_BUILD_FLAGS "unknown"
#endif
#ifndef BINLLM_GIT
#define BINLLM_GIT "unknown"
#endif

namespace binllm {

// ---------------------------------------------------------------- stop flag (SIGTERM/SIGINT)

namespace detail {
inline std::atomic<int>& stop_signal() {
  static std::atomic<int> s{0};
  return s;
}
extern "C" inline void binllm_on_signal(int sig) { stop_signal().store(sig); }
}  // namespace detail

// True once SIGTERM or SIGINT arrived. Long loops poll this (or call check_stop()).
inline bool stop_requested() { return detail::stop_signal().load(std::memory_order_relaxed) != 0; }
// Throws StopRequested when a stop was requested; run_main turns it into an error end + exit 128+sig.
inline void check_stop() {
  int s = detail::stop_signal().load(std::memory_order_relaxed);
  if (s) throw StopRequested(s);
}
inline void install_signal_handlers() {
  std::signal(SIGTERM, detail::binllm_on_signal);
  std::signal(SIGINT, detail::binllm_on_signal);
#ifdef __linux__
  // If the worker that spawned us dies (kill -9, OOM), get SIGTERM too: no orphaned kernels
  // keep a GPU busy after their activity is gone.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
}

// ---------------------------------------------------------------- threads

inline int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

// Runs fn(i) for i in [0, n) on `threads` threads. Items are handed out dynamically; results must
// depend only on i (write to slot i) so that output is identical for every thread count.
// The first exception thrown by any fn is rethrown on the caller's thread.
inline void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  size_t t = static_cast<size_t>(std::max(1, threads));
  t = std::min(t, n);
  if (t == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr err;
  std::mutex mu;
  auto worker = [&]() {
    for (;;) {
      if (failed.load(std::memory_order_relaxed)) return;
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu);
        if (!err) err = std::current_exception();
        failed.store(true);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t k = 1; k < t; ++k) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
  if (err) std::rethrow_exception(err);
}

// ---------------------------------------------------------------- JSON Schema helpers (describe)

namespace schema {
inline Json integer(const std::string& desc, Json def, Json min = Json(), Json max = Json()) {
  Json s = Json::object({{"type", "integer"}, {"description", desc}});
  if (!def.is_null()) s.set("default", def);
  if (!min.is_null()) s.set("minimum", min);
  if (!max.is_null()) s.set("maximum", max);
  return s;
}
inline Json number(const std::string& desc, Json def, Json min = Json(), Json max = Json()) {
  Json s = Json::object({{"type", "number"}, {"description", desc}});
  if (!def.is_null()) s.set("default", def);
  if (!min.is_null()) s.set("minimum", min);
  if (!max.is_null()) s.set("maximum", max);
  return s;
}
inline Json string(const std::string& desc, Json def = Json(), std::vector<std::string> allowed = {}) {
  Json s = Json::object({{"type", "string"}, {"description", desc}});
  if (!def.is_null()) s.set("default", def);
  if (!allowed.empty()) {
    Json e = Json::array();
    for (auto& a : allowed) e.push(a);
    s.set("enum", e);
  }
  return s;
}
inline Json boolean(const std::string& desc, Json def = Json()) {
  Json s = Json::object({{"type", "boolean"}, {"description", desc}});
  if (!def.is_null()) s.set("default", def);
  return s;
}
inline Json int_list(const std::string& desc, Json def = Json(), Json min = Json(), Json max = Json()) {
  Json items = Json::object({{"type", "integer"}});
  if (!min.is_null()) items.set("minimum", min);
  if (!max.is_null()) items.set("maximum", max);
  Json s = Json::object({{"type", "array"}, {"items", items}, {"minItems", 1}, {"description", desc}});
  if (!def.is_null()) s.set("default", def);
  return s;
}
}  // namespace schema

// ---------------------------------------------------------------- Config

class Config {
 public:
  Config() : root_(Json::object()), file_("<inline>") {}
  Config(Json root, std::string file) : root_(std::move(root)), file_(std::move(file)) {
    if (!root_.is_object())
      throw ConfigError("config " + file_ + ": top level must be a JSON object, got " +
                        Json::type_name(root_.type()));
  }

  // Loads the --config file. Missing file / parse error -> ConfigError naming file, line, column.
  static Config load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw ConfigError("config " + path + ": cannot open file");
    std::stringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);  // UTF-8 byte-order mark
    try {
      return Config(Json::parse(text), path);
    } catch (const JsonParseError& e) {
      throw ConfigError("config " + path + ": invalid JSON: " + e.what());
    }
  }
  static Config from_string(const std::string& text, const std::string& name = "<inline>") {
    try {
      return Config(Json::parse(text), name);
    } catch (const JsonParseError& e) {
      throw ConfigError("config " + name + ": invalid JSON: " + e.what());
    }
  }

  const std::string& file() const { return file_; }
  const Json& root() const { return root_; }
  bool has(const std::string& key) const {
    const Json* v = root_.find(key);
    return v && !v->is_null();
  }
  // Marks a key as read without reading it (e.g. keys a kernel accepts but ignores).
  void mark_read(const std::string& key) { read_.insert(key); }

  int64_t get_int(const std::string& key, int64_t def, int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
    const Json* v = lookup(key);
    if (!v) return def;
    return to_int(key, *v, min, max);
  }
  int64_t require_int(const std::string& key, int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
    const Json* v = lookup(key);
    if (!v) missing(key, "an integer");
    return to_int(key, *v, min, max);
  }
  uint64_t get_uint64(const std::string& key, uint64_t def) {
    const Json* v = lookup(key);
    if (!v) return def;
    if (!v->is_integer() || (v->fits_int64() && v->as_int() < 0))
      bad(key, *v, "must be an integer in [0, 2^64-1]");
    return v->as_uint();
  }
  double get_double(const std::string& key, double def, double min = -1.7976931348623157e308,
                    double max = 1.7976931348623157e308) {
    const Json* v = lookup(key);
    if (!v) return def;
    return to_double(key, *v, min, max);
  }
  double require_double(const std::string& key, double min = -1.7976931348623157e308,
                        double max = 1.7976931348623157e308) {
    const Json* v = lookup(key);
    if (!v) missing(key, "a number");
    return to_double(key, *v, min, max);
  }
  std::string get_string(const std::string& key, const std::string& def,
                         const std::vector<std::string>& allowed = {}) {
    const Json* v = lookup(key);
    if (!v) return def;
    return to_string(key, *v, allowed);
  }
  std::string require_string(const std::string& key, const std::vector<std::string>& allowed = {}) {
    const Json* v = lookup(key);
    if (!v) missing(key, "a string");
    return to_string(key, *v, allowed);
  }
  bool get_bool(const std::string& key, bool def) {
    const Json* v = lookup(key);
    if (!v) return def;
    if (!v->is_bool()) bad(key, *v, "must be true or false");
    return v->as_bool();
  }
  std::vector<int64_t> get_int_list(const std::string& key, const std::vector<int64_t>& def,
                                    int64_t min = INT64_MIN, int64_t max = INT64_MAX) {
    const Json* v = lookup(key);
    if (!v) return def;
    if (!v->is_array() || v->as_array().empty()) bad(key, *v, "must be a non-empty array of integers");
    std::vector<int64_t> out;
    for (size_t i = 0; i < v->as_array().size(); ++i)
      out.push_back(to_int(key + "[" + std::to_string(i) + "]", v->as_array()[i], min, max));
    return out;
  }
  // Raw access (marks the key read). nullptr when absent or null.
  const Json* get_raw(const std::string& key) { return lookup(key); }

  // Fails (exit 2) naming every key present in the file but never read by the kernel.
  void reject_unknown() const {
    std::vector<std::string> unknown;
    for (auto& kv : root_.as_object())
      if (!read_.count(kv.first)) unknown.push_back(kv.first);
    if (unknown.empty()) return;
    std::string msg = "config " + file_ + ": unknown parameter" + (unknown.size() > 1 ? "s " : " ");
    for (size_t i = 0; i < unknown.size(); ++i) msg += (i ? ", '" : "'") + unknown[i] + "'";
    msg += " (accepted: ";
    size_t i = 0;
    for (auto& k : read_) msg += (i++ ? ", " : "") + k;
    msg += ")";
    throw ConfigError(msg);
  }

  // Error helper for kernels' own cross-parameter checks.
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    const Json* v = root_.find(key);
    std::string val = v ? v->dump() : std::string("(absent)");
    throw ConfigError("config " + file_ + ": parameter '" + key + "' = " + val + " " + why);
  }

 private:
  const Json* lookup(const std::string& key) {
    read_.insert(key);
    const Json* v = root_.find(key);
    if (!v || v->is_null()) return nullptr;
    return v;
  }
  [[noreturn]] void missing(const std::string& key, const std::string& what) const {
    throw ConfigError("config " + file_ + ": required parameter '" + key + "' (" + what + ") is missing");
  }
  [[noreturn]] void bad(const std::string& key, const Json& v, const std::string& why) const {
    throw ConfigError("config " + file_ + ": parameter '" + key + "' = " + v.dump() + " " + why);
  }
  int64_t to_int(const std::string& key, const Json& v, int64_t min, int64_t max) const {
    if (!v.is_number()) bad(key, v, std::string("must be an integer, got ") + Json::type_name(v.type()));
    int64_t x;
    if (v.is_integer() && v.fits_int64()) {
      x = v.as_int();
    } else {
      double d = v.as_double();
      if (!(d == static_cast<double>(static_cast<int64_t>(d))) || d > 9.2e18 || d < -9.2e18)
        bad(key, v, "must be an integer");
      x = static_cast<int64_t>(d);  // 1e3 or 10.0 are accepted as integers
    }
    if (x < min || x > max)
      bad(key, v, "is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return x;
  }
  double to_double(const std::string& key, const Json& v, double min, double max) const {
    if (!v.is_number()) bad(key, v, std::string("must be a number, got ") + Json::type_name(v.type()));
    double d = v.as_double();
    if (!(d >= min && d <= max))
      bad(key, v, "is out of range [" + Json(min).dump() + ", " + Json(max).dump() + "]");
    return d;
  }
  std::string to_string(const std::string& key, const Json& v, const std::vector<std::string>& allowed) const {
    if (!v.is_string()) bad(key, v, std::string("must be a string, got ") + Json::type_name(v.type()));
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v.as_string()) == allowed.end()) {
      std::string a;
      for (size_t i = 0; i < allowed.size(); ++i) a += (i ? ", \"" : "\"") + allowed[i] + "\"";
      bad(key, v, "is not one of " + a);
    }
    return v.as_string();
  }

  Json root_;
  std::string file_;
  std::set<std::string> read_;
};

// ---------------------------------------------------------------- device / build info

struct DeviceInfo {
  std::string kind = "cpu";  // "cpu" | "cuda"
  std::string name;
  std::string cc;            // "9.0" (cuda only)
  int threads = 0;           // cpu only
  int index = 0;             // cuda:N
  Json to_json() const {
    Json d = Json::object({{"kind", kind}, {"name", name}});
    if (!cc.empty()) d.set("cc", cc);
    if (kind == "cpu" && threads > 0) d.set("threads", threads);
    if (kind == "cuda") d.set("index", index);
    return d;
  }
};

inline std::string cpu_model_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) {
        std::string s = line.substr(p + 1);
        s.erase(0, s.find_first_not_of(" \t"));
        return s;
      }
    }
  }
  return "unknown cpu";
}

inline std::string compiler_id() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#elif defined(_MSC_VER)
  return "msvc " + std::to_string(_MSC_VER);
#else
  return "unknown";
#endif
}

inline Json build_info() {
  return Json::object({{"git", BINLLM_GIT},
                       {"hash", BINLLM_BUILD_HASH},
                       {"flags", BINLLM_BUILD_FLAGS},
                       {"compiler", compiler_id()}});
}

// ---------------------------------------------------------------- Emitter (JSON Lines on stdout)

class Emitter {
 public:
  explicit Emitter(std::FILE* out = stdout) : out_(out), t0_(clock::now()) {}

  void start(const std::string& kernel, const std::string& version, const DeviceInfo& dev,
             const Json& build = build_info()) {
    write(Json::object({{"event", "start"},
                        {"kernel", kernel},
                        {"version", version},
                        {"device", dev.to_json()},
                        {"build", build}}));
    started_ = true;
  }
  // Rate-limited to <= 4 lines/s; the final one (done >= total) is always written.
  void progress(const std::string& phase, int64_t done, int64_t total) {
    auto now = clock::now();
    bool final_one = done >= total;
    if (!final_one && have_progress_ && now - last_progress_ < std::chrono::milliseconds(250)) return;
    last_progress_ = now;
    have_progress_ = true;
    write(Json::object({{"event", "progress"}, {"phase", phase}, {"done", done}, {"total", total}}));
  }
  // Throws std::logic_error on NaN/Inf (a kernel bug: exit 1, not a metric).
  void metric(const std::string& name, double value, const Json& tags = Json::object()) {
    if (!std::isfinite(value))
      throw std::logic_error("metric '" + name + "' " + tags.dump() + " is not finite (" +
                             std::to_string(value) + ")");
    write(Json::object({{"event", "metric"}, {"name", name}, {"value", value}, {"tags", tags}}));
  }
  // Per-unit values (one per query / window / example) for unit-level tests (KERNELS.md): `ids`
  // name the units so that variants pair on them. Same finiteness rule as metric().
  void values(const std::string& name, const std::string& unit, const std::vector<std::string>& ids,
              const std::vector<double>& vals, const Json& tags = Json::object()) {
    if (ids.size() != vals.size())
      throw std::logic_error("values '" + name + "': " + std::to_string(ids.size()) + " ids but " +
                             std::to_string(vals.size()) + " values");
    Json jids = Json::array();
    Json jvals = Json::array();
    for (size_t i = 0; i < vals.size(); ++i) {
      if (!std::isfinite(vals[i]))
        throw std::logic_error("values '" + name + "' " + tags.dump() + " unit '" + ids[i] +
                               "' is not finite (" + std::to_string(vals[i]) + ")");
      jids.push(Json(ids[i]));
      jvals.push(Json(vals[i]));
    }
    write(Json::object({{"event", "values"}, {"name", name}, {"unit", unit}, {"tags", tags},
                        {"ids", jids}, {"values", jvals}}));
  }
  void end_ok() {
    write(Json::object({{"event", "end"}, {"status", "ok"}, {"elapsed_s", elapsed_s()}}));
    ended_ = true;
  }
  void end_error(const std::string& message) {
    write(Json::object(
        {{"event", "end"}, {"status", "error"}, {"elapsed_s", elapsed_s()}, {"message", message}}));
    ended_ = true;
  }
  double elapsed_s() const { return std::chrono::duration<double>(clock::now() - t0_).count(); }
  bool started() const { return started_; }
  bool ended() const { return ended_; }

 private:
  using clock = std::chrono::steady_clock;
  void write(const Json& j) {
    std::string line = j.dump();
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
  }
  std::FILE* out_;
  clock::time_point t0_;
  clock::time_point last_progress_{};
  bool have_progress_ = false;
  bool started_ = false;
  bool ended_ = false;
};

// ---------------------------------------------------------------- logging (stderr)

inline void log(const std::string& msg) {
  std::string line = "[binllm] " + msg + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

// ---------------------------------------------------------------- run_main

struct KernelSpec;

// The parsed common keys every kernel accepts.
struct CommonConfig {
  uint64_t seed = 0;
  std::string device = "cpu";  // "cpu" | "cuda:N"
  bool cuda = false;
  int cuda_index = 0;
  int threads = 1;
  std::string work_dir;  // empty when not given
};

struct RunContext {
  const KernelSpec& spec;
  Config& cfg;
  Emitter& emit;
  CommonConfig common;
  DeviceInfo device;  // filled with CPU info by default; CUDA kernels fill name/cc before start()
  // Emits the "start" event with `device` and the build info.
  void start();
};

struct KernelSpec {
  std::string name;
  std::string version = "0.1.0";
  std::vector<std::string> hypotheses;
  // Kernel-specific properties of the config schema: {"param": <JSON Schema>, ...}.
  Json::Object params;
  // Compute capabilities built for (e.g. {"8.0","9.0"}); empty = CPU-only kernel.
  std::vector<std::string> cuda_ccs;
  std::string description;
  std::function<void(RunContext&)> run;
};

inline void RunContext::start() { emit.start(spec.name, spec.version, device); }

inline Json common_schema_properties() {
  return Json::object(
      {{"seed", Json::object({{"type", "integer"},
                              {"minimum", 0},
                              {"maximum", 18446744073709551615ULL},
                              {"default", 0},
                              {"description", "replication seed: same seed = same data draw and projection"}})},
       {"device", Json::object({{"type", "string"},
                                {"pattern", "^(cpu|cuda:[0-9]+)$"},
                                {"default", "cpu"},
                                {"description", "\"cpu\" or \"cuda:N\""}})},
       {"threads", schema::integer("CPU threads (default: all hardware threads)", Json(), 1, 1024)},
       {"work_dir", schema::string("scratch/cache directory given by the platform (optional)")}});
}

inline Json describe_json(const KernelSpec& spec) {
  Json props = common_schema_properties();
  for (auto& kv : spec.params) props.set(kv.first, kv.second);
  Json params = Json::object({{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                              {"type", "object"},
                              {"properties", props},
                              {"additionalProperties", false}});
  Json hyps = Json::array();
  for (auto& h : spec.hypotheses) hyps.push(h);
  Json devices = Json::array({Json("cpu")});
  if (!spec.cuda_ccs.empty()) {
    Json ccs = Json::array();
    for (auto& c : spec.cuda_ccs) ccs.push(c);
    devices.push(Json::object({{"cuda", ccs}}));
  }
  Json d = Json::object({{"name", spec.name}, {"version", spec.version}});
  if (!spec.description.empty()) d.set("description", spec.description);
  d.set("hypotheses", hyps);
  d.set("params", params);
  d.set("devices", devices);
  d.set("build", build_info());
  return d;
}

inline CommonConfig parse_common(Config& cfg) {
  CommonConfig c;
  c.seed = cfg.get_uint64("seed", 0);
  c.device = cfg.get_string("device", "cpu");
  if (c.device == "cpu") {
    c.cuda = false;
  } else if (c.device.rfind("cuda:", 0) == 0 && c.device.size() > 5 &&
             c.device.find_first_not_of("0123456789", 5) == std::string::npos && c.device.size() < 10) {
    c.cuda = true;
    c.cuda_index = std::stoi(c.device.substr(5));
  } else {
    cfg.fail("device", "must be \"cpu\" or \"cuda:N\"");
  }
  c.threads = static_cast<int>(cfg.get_int("threads", hardware_threads(), 1, 1024));
  c.work_dir = cfg.get_string("work_dir", "");
  return c;
}

inline void print_usage(const KernelSpec& spec, std::FILE* to) {
  std::fprintf(to,
               "usage: binllm-%s describe              print the kernel's description (JSON)\n"
               "       binllm-%s run --config <file>   run one cell, JSON Lines events on stdout\n"
               "       binllm-%s --help\n"
               "exit codes: 0 ok, 2 bad config, 3 resource missing, other = crash\n",
               spec.name.c_str(), spec.name.c_str(), spec.name.c_str());
}

// Entry point: dispatches describe / run / --help and maps exceptions to exit codes.
inline int run_main(int argc, char** argv, const KernelSpec& spec) {
  install_signal_handlers();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(spec, stderr);
    return kExitBadConfig;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(spec, stdout);
    return kExitOk;
  }
  if (args[0] == "describe") {
    std::string s = describe_json(spec).dump() + "\n";
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fflush(stdout);
    return kExitOk;
  }
  Emitter emit;
  auto fail_with = [&](int code, const std::string& msg) {
    log(spec.name + ": " + msg);
    if (!emit.ended()) emit.end_error(msg);
    return code;
  };
  if (args[0] != "run") {
    print_usage(spec, stderr);
    return fail_with(kExitBadConfig, "unknown command '" + args[0] + "'");
  }
  std::string config_path;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i].rfind("--config=", 0) == 0) {
      config_path = args[i].substr(9);
    } else {
      return fail_with(kExitBadConfig, "unknown argument '" + args[i] + "' (usage: run --config <file.json>)");
    }
  }
  if (config_path.empty()) return fail_with(kExitBadConfig, "run needs --config <file.json>");
  try {
    Config cfg = Config::load(config_path);
    CommonConfig common = parse_common(cfg);
    if (common.cuda && spec.cuda_ccs.empty())
      throw ResourceError("device '" + common.device + "' requested but binllm-" + spec.name +
                          " was built without CUDA (no nvcc at build time, or a CPU-only kernel)");
    RunContext ctx{spec, cfg, emit, common, DeviceInfo{}};
    ctx.device.kind = "cpu";
    ctx.device.name = cpu_model_name();
    ctx.device.threads = common.threads;
    spec.run(ctx);
    if (!emit.ended()) emit.end_ok();
    return kExitOk;
  } catch (const ConfigError& e) {
    return fail_with(kExitBadConfig, e.what());
  } catch (const ResourceError& e) {
    return fail_with(kExitResourceMissing, e.what());
  } catch (const StopRequested& e) {
    return fail_with(128 + e.signal_number(), std::string("cancelled: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail_with(kExitCrash, "out of host memory");
  } catch (const std::exception& e) {
    return fail_with(kExitCrash, std::string("internal error: ") + e.what());
  }
}

}  // namespace binllm
