// binllm-noop: a kernel that does nothing useful, quickly — for orchestration tests
// (per-cell overhead, retries, cancellation, error paths). Serves no hypothesis.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "binllm/protocol.hpp"

namespace {

// Deterministic value in [0, 1) from (seed, i).
double noop_value(uint64_t seed, int64_t i) {
  uint64_t s = binllm::derive_seed(seed, static_cast<uint64_t>(i) + 1);
  return static_cast<double>(binllm::splitmix64(s) >> 11) * 0x1.0p-53;
}

void run(binllm::RunContext& ctx) {
  auto& cfg = ctx.cfg;
  const int64_t metrics = cfg.get_int("metrics", 3, 0, 1000000);
  const int64_t sleep_ms = cfg.get_int("sleep_ms", 0, 0, 86400000);
  const int64_t exit_code = cfg.get_int("exit_code", 0, 0, 255);
  const std::string crash_once_file = cfg.get_string("crash_once_file", "");
  const int64_t progress_steps = cfg.get_int("progress_steps", 0, 0, 1000000);
  const int64_t unit_values = cfg.get_int("unit_values", 0, 0, 1000000);
  cfg.reject_unknown();

  ctx.start();

  if (!crash_once_file.empty()) {
    struct stat st;
    if (stat(crash_once_file.c_str(), &st) != 0) {
      std::ofstream f(crash_once_file);
      if (!f) throw binllm::ConfigError("config " + cfg.file() + ": parameter 'crash_once_file' = \"" +
                                        crash_once_file + "\" cannot be created");
      f << "crashed once\n";
      f.close();
      binllm::log("noop: crash_once_file absent, created it; aborting to simulate a crash");
      std::abort();
    }
  }

  // Sleep in slices, polling the stop flag, spreading progress events over the sleep.
  const int64_t steps = std::max<int64_t>(progress_steps, 1);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t s = 1; s <= steps; ++s) {
    const auto until = t0 + std::chrono::milliseconds(sleep_ms * s / steps);
    while (std::chrono::steady_clock::now() < until) {
      binllm::check_stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    binllm::check_stop();
    if (progress_steps > 0) ctx.emit.progress("noop", s, progress_steps);
  }

  for (int64_t i = 0; i < metrics; ++i)
    ctx.emit.metric("noop_value_" + std::to_string(i), noop_value(ctx.common.seed, i),
                    binllm::Json::object({{"i", i}}));

  if (unit_values > 0) {
    std::vector<std::string> ids;
    std::vector<double> vals;
    for (int64_t u = 0; u < unit_values; ++u) {
      ids.push_back("u" + std::to_string(u));
      vals.push_back(noop_value(ctx.common.seed, 1000000 + u));
    }
    ctx.emit.values("noop_unit_value", "item", ids, vals, binllm::Json::object());
  }

  if (exit_code == 2) throw binllm::ConfigError("noop: exit_code=2 requested");
  if (exit_code != 0) {
    binllm::log("noop: exiting with code " + std::to_string(exit_code) + " without an end event");
    std::fflush(stdout);
    std::_Exit(static_cast<int>(exit_code));
  }
  ctx.emit.metric("elapsed_s", ctx.emit.elapsed_s());
}

}  // namespace

int main(int argc, char** argv) {
  binllm::KernelSpec spec;
  spec.name = "noop";
  spec.version = "0.1.0";
  spec.description = "does nothing, quickly: orchestration tests (overhead, retries, cancellation)";
  spec.hypotheses = {};
  using binllm::Json;
  namespace sc = binllm::schema;
  spec.params = {
      {"metrics", sc::integer("number of metrics noop_value_<i> to emit (deterministic in seed, i)", 3, 0, 1000000)},
      {"sleep_ms", sc::integer("sleep this long, polling for SIGTERM (cancellation tests)", 0, 0, 86400000)},
      {"exit_code", sc::integer("0 ok; 2 = bad-config error end + exit 2; other = exit without end (crash)", 0, 0, 255)},
      {"crash_once_file", sc::string("if this file does not exist: create it, then abort() (crash a retry fixes)")},
      {"progress_steps", sc::integer("progress events over the sleep", 0, 0, 1000000)},
      {"unit_values", sc::integer("per-unit values noop_unit_value (unit 'item', ids u0..) to emit in one values event", 0, 0, 1000000)},
  };
  spec.run = run;
  return binllm::run_main(argc, argv, spec);
}
