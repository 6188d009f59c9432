// binllm-decode-bench: the H5 kernel. One cell = model shape × variant (quant) × seed: a decoder
// stack with seeded random weights, its KV cache filled for each context length L in `contexts`,
// then timed decode steps after a warm-up; tokens/s, bandwidth and measured energy per L.
//
//   binllm-decode-bench describe
//   binllm-decode-bench run --config cell.json
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "binllm/protocol.hpp"
#include "decode_cuda.hpp"
#include "energy.hpp"
#include "model.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using binllm::Json;
using Clock = std::chrono::steady_clock;
const char* kVersion = "0.1.0";

// ---------------------------------------------------------------- params: one declaration each
struct IntParam {
  const char* name;
  const char* desc;
  int64_t def, min, max;
};
const IntParam kDModel{"d_model", "model width D (a multiple of 64 per head)", 256, 64, 65536};
const IntParam kLayers{"n_layers", "decoder layers", 2, 1, 512};
const IntParam kHeads{"n_heads", "query heads H; head_dim = d_model / n_heads must be a multiple of 64", 4, 1, 1024};
const IntParam kKvHeads{"n_kv_heads", "KV heads Hk (GQA; must divide n_heads; 0 = n_heads)", 0, 0, 1024};
const IntParam kDff{"d_ff", "feed-forward width F (a multiple of 64)", 512, 64, 1 << 20};
const IntParam kBatch{"batch", "sequences decoded together (B)", 1, 1, 1024};
const IntParam kSteps{"steps", "minimum timed decode steps per context length", 8, 1, 1000000};
const IntParam kWarmup{"warmup", "untimed decode steps before each timed window", 2, 0, 100000};
struct NumParam {
  const char* name;
  const char* desc;
  double def, min, max;
};
const NumParam kWindow{"window_s", "minimum timed window per context length, seconds (the energy window)", 1.0, 0.0, 3600.0};
const NumParam kIdle{"idle_s", "idle-power measurement before the first context, seconds (when energy is readable)", 2.0, 0.0, 600.0};
const NumParam kCooldown{"cooldown_s", "fixed pause before the cell's idle measurement (GPU: lets the previous variant's heat fade)", 0.0, 0.0, 600.0};
const std::vector<std::string> kQuants = {"bin", "int4", "fp16"};
const int64_t kMaxContext = int64_t(1) << 24;

Json int_schema(const IntParam& p) { return binllm::schema::integer(p.desc, Json(p.def), Json(p.min), Json(p.max)); }
Json num_schema(const NumParam& p) { return binllm::schema::number(p.desc, Json(p.def), Json(p.min), Json(p.max)); }
int get(binllm::Config& c, const IntParam& p) { return (int)c.get_int(p.name, p.def, p.min, p.max); }
double get(binllm::Config& c, const NumParam& p) { return c.get_double(p.name, p.def, p.min, p.max); }

decode::Quant parse_quant(const std::string& s) {
  if (s == "bin") return decode::Quant::Bin;
  if (s == "int4") return decode::Quant::Int4;
  return decode::Quant::Fp16;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// ---------------------------------------------------------------- host memory
// Bytes this process may still allocate: MemAvailable, capped by a cgroup v2/v1 limit.
double available_host_bytes() {
  double avail = 0;
  std::ifstream mi("/proc/meminfo");
  std::string key;
  while (mi >> key) {
    double kb;
    std::string unit;
    mi >> kb >> unit;
    if (key == "MemAvailable:") avail = kb * 1024.0;
  }
  auto read_num = [](const char* path, double* v) {
    std::ifstream f(path);
    std::string s;
    if (!(f >> s) || s == "max") return false;
    *v = std::atof(s.c_str());
    return *v > 0;
  };
  double lim, used;
  if (read_num("/sys/fs/cgroup/memory.max", &lim) && read_num("/sys/fs/cgroup/memory.current", &used))
    avail = std::min(avail, lim - used);
  else if (read_num("/sys/fs/cgroup/memory/memory.limit_in_bytes", &lim) && lim < 1e18 &&
           read_num("/sys/fs/cgroup/memory/memory.usage_in_bytes", &used))
    avail = std::min(avail, lim - used);
  return avail;
}

std::string gib(double b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  return buf;
}

// STREAM's rule: each array at least 4 times the last-level cache (sysfs), and at least 64 MiB.
double stream_array_bytes() {
  double llc = 0;
  for (int i = 0; i < 8; ++i) {
    std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/size");
    std::string v;
    if (!(f >> v)) continue;
    double x = std::atof(v.c_str());
    if (!v.empty() && (v.back() == 'K' || v.back() == 'k')) x *= 1024;
    if (!v.empty() && v.back() == 'M') x *= 1024 * 1024;
    llc = std::max(llc, x);
  }
  return std::max(64.0 * (1 << 20), 4 * llc);
}

// STREAM-style copy a[i] = b[i] over two arrays much larger than the caches, best of 5,
// counting read + write bytes (the STREAM convention).
double measure_copy_gbps(size_t bytes, int threads) {
  const size_t n = bytes / sizeof(double);
  std::vector<double> a(n), b(n);
  (void)threads;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (long long i = 0; i < (long long)n; ++i) {
    a[i] = 0;
    b[i] = (double)(i & 1023);
  }
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = Clock::now();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long long i = 0; i < (long long)n; ++i) a[i] = b[i];
    best = std::min(best, seconds_since(t0));
  }
  volatile double sink = a[n / 2];
  (void)sink;
  return 2.0 * (double)n * sizeof(double) / best / 1e9;
}

// ---------------------------------------------------------------- one backend, CPU or GPU
struct Backend {
  std::function<void(int)> fill;
  std::function<void()> step, sync;
  // attention time per step: CPU the mean over the timed steps (reset by fill), GPU one extra
  // step timed with events
  std::function<double()> attention_ms;
  std::function<std::vector<float>()> hidden;
  std::function<double()> weight_bytes, cache_bytes;
};

void run_cell(binllm::RunContext& ctx) {
  binllm::Config& cfg = ctx.cfg;
  decode::Shape s;
  const std::string quant_s = cfg.get_string("quant", "int4", kQuants);
  s.d_model = get(cfg, kDModel);
  s.n_layers = get(cfg, kLayers);
  s.n_heads = get(cfg, kHeads);
  s.n_kv_heads = get(cfg, kKvHeads);
  if (s.n_kv_heads == 0) s.n_kv_heads = s.n_heads;
  s.d_ff = get(cfg, kDff);
  s.batch = get(cfg, kBatch);
  const std::vector<int64_t> contexts = cfg.get_int_list("contexts", {1024, 4096}, 1, kMaxContext);
  const int steps = get(cfg, kSteps), warmup = get(cfg, kWarmup);
  const double window_s = get(cfg, kWindow), idle_s = get(cfg, kIdle), cooldown_s = get(cfg, kCooldown);
  cfg.reject_unknown();
  if (s.d_model % s.n_heads) cfg.fail("n_heads", "must divide d_model = " + std::to_string(s.d_model));
  if (s.head_dim() % 64 || s.head_dim() > 1024)
    cfg.fail("n_heads", "gives head_dim = d_model / n_heads = " + std::to_string(s.head_dim()) +
                            ", which must be a multiple of 64 and at most 1024 (bit words, Q4 blocks)");
  if (s.n_heads % s.n_kv_heads) cfg.fail("n_kv_heads", "must divide n_heads = " + std::to_string(s.n_heads));
  if (s.d_ff % 64) cfg.fail("d_ff", "must be a multiple of 64");
  const decode::Quant quant = parse_quant(quant_s);
  const int threads = ctx.common.threads;
  int64_t max_L = 0;
  for (auto L : contexts) max_L = std::max(max_L, L);
  const double max_Lp = (double)((max_L + decode::kPChunk - 1) / decode::kPChunk * decode::kPChunk);
  const double need_weights = decode::weight_bytes_of(s, quant);
  const double need_cache = decode::cache_bytes_per_token(s, quant) * max_Lp * s.n_layers;

  Backend be;
  std::unique_ptr<decode::EnergyMeter> meter;
  double device_gbps = 0;
  Json build = binllm::build_info();
  std::unique_ptr<decode::Model> model;
  std::unique_ptr<decode::Decoder> dec;
  std::vector<float> hid;
  std::pair<double, int> attn{0.0, 0};  // CPU: attention seconds, steps (of the timed window)
#ifdef BINLLM_WITH_CUDA
  std::unique_ptr<decode::GpuBench> gpu;
#endif
  if (ctx.common.cuda) {
#ifdef BINLLM_WITH_CUDA
    decode::GpuDevice dev = decode::GpuBench::probe(ctx.common.cuda_index);  // exit 3 without one
    const double need = need_weights + need_cache + 64.0 * (1 << 20);
    if (need > 0.92 * (double)dev.free_mem)
      throw binllm::ResourceError("contexts: L = " + std::to_string(max_L) + " needs " + gib(need) + " of GPU memory (weights " +
                                  gib(need_weights) + " + KV cache " + gib(need_cache) + "), " + dev.name + " has " +
                                  gib((double)dev.free_mem) + " free");
    ctx.device.kind = "cuda";
    ctx.device.name = dev.name;
    ctx.device.cc = dev.cc;
    ctx.device.index = ctx.common.cuda_index;
    gpu = decode::GpuBench::create(s, quant, ctx.common.seed, ctx.common.cuda_index);
    meter = decode::make_nvml_meter(dev.pci_bus);
    build.set("simd", "cuda");
    decode::GpuBench* g = gpu.get();
    be.fill = [g](int L) { g->fill_cache(L); };
    be.step = [g] { g->step(); };
    be.sync = [g] { g->sync(); };
    be.attention_ms = [g] { return g->attention_ms(); };
    be.hidden = [g] { return g->hidden(); };
    be.weight_bytes = [g] { return (double)g->weight_bytes(); };
    be.cache_bytes = [g] { return (double)g->cache_bytes(); };
    device_gbps = g->copy_gbps();
#endif
  } else {
    const double copy_bytes = stream_array_bytes();
    const double need = need_weights + need_cache + 2 * copy_bytes + 64.0 * (1 << 20);
    const double avail = available_host_bytes();
    if (need > 0.9 * avail)
      throw binllm::ResourceError("contexts: L = " + std::to_string(max_L) + " needs " + gib(need) + " of host memory (weights " +
                                  gib(need_weights) + " + KV cache " + gib(need_cache) + "), only " + gib(avail) + " available");
    meter = decode::make_rapl_meter();
    build.set("simd", decode::simd_name(decode::simd_active()));
#ifdef _OPENMP
    omp_set_dynamic(0);
#endif
    device_gbps = measure_copy_gbps((size_t)copy_bytes, threads);
    model = std::make_unique<decode::Model>(s, quant, ctx.common.seed, threads);
    decode::Model* m = model.get();
    be.fill = [m, threads, &dec, &attn](int L) {
      dec.reset();
      m->fill_cache(L, threads);
      dec = std::make_unique<decode::Decoder>(*m, threads);
      attn = {0.0, 0};
    };
    be.step = [&dec, &hid, &attn] {
      decode::StepTimes t;
      dec->step(hid, &t);
      attn.first += t.attention_s;
      attn.second++;
    };
    be.sync = [] {};
    be.attention_ms = [&attn] { return attn.second ? attn.first / attn.second * 1e3 : 0.0; };
    be.hidden = [&hid] { return hid; };
    be.weight_bytes = [m] { return (double)m->weight_bytes(); };
    be.cache_bytes = [m] { return (double)m->cache_bytes(); };
  }
  build.set("energy", meter->available() ? meter->source() : "none: " + meter->unavailable_reason());
  ctx.emit.start(ctx.spec.name, ctx.spec.version, ctx.device, build);
  binllm::log(std::string("decode-bench: ") + quant_s + " on " + ctx.device.name + ", simd " + build.find("simd")->as_string() +
              ", copy bandwidth " + std::to_string(device_gbps) + " GB/s");
  if (!meter->available())
    binllm::log("decode-bench: no energy metric will be emitted: " + meter->unavailable_reason());

  ctx.emit.metric("threads", ctx.common.cuda ? 0 : threads);
  ctx.emit.metric("device_copy_gbps", device_gbps);
  double idle_w = -1;
  if (meter->available()) {
    if (cooldown_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(cooldown_s));
    if (idle_s > 0) {
      meter->begin();
      std::this_thread::sleep_for(std::chrono::duration<double>(idle_s));
      decode::EnergyWindow w = meter->end();
      idle_w = w.avg_power_w;
    }
  }
  const int64_t total = (int64_t)contexts.size();
  for (size_t ci = 0; ci < contexts.size(); ++ci) {
    const int L = (int)contexts[ci];
    binllm::check_stop();
    be.fill(L);
    Json tags = Json::object({{"ctx", L}});
    for (int i = 0; i < warmup; ++i) be.step();
    be.sync();
    const double attn_gpu_ms = ctx.common.cuda ? be.attention_ms() : 0;  // GPU: one extra step
    attn = {0.0, 0};
    if (meter->available()) meter->begin();
    const auto t0 = Clock::now();
    int n = 0;
    double el = 0;
    while (n < steps || el < window_s) {
      be.step();
      ++n;
      if (n % 4 == 0 || n >= steps) {  // GPU: sync only now and then to keep the queue full
        be.sync();
        el = seconds_since(t0);
        binllm::check_stop();
      }
    }
    be.sync();
    el = seconds_since(t0);
    decode::EnergyWindow ew;
    if (meter->available()) ew = meter->end();
    const double attn_ms = ctx.common.cuda ? attn_gpu_ms : be.attention_ms();
    std::vector<float> h = be.hidden();
    double habs = 0;
    for (float v : h) habs += std::fabs(v);
    const double tokens = (double)n * s.batch;
    const double step_bytes = model ? model->step_read_bytes()
                                    : be.weight_bytes() + decode::cache_bytes_per_token(s, quant) * L * s.n_layers +
                                          (quant == decode::Quant::Bin ? (double)s.n_layers * s.batch * s.kv_dim() * 8 : 0);
    const double gbps = step_bytes * n / el / 1e9;
    ctx.emit.metric("tokens_per_s", tokens / el, tags);
    ctx.emit.metric("step_ms", el / n * 1e3, tags);
    ctx.emit.metric("attention_ms", attn_ms, tags);
    ctx.emit.metric("timed_steps", n, tags);
    ctx.emit.metric("kv_cache_bytes", be.cache_bytes(), tags);
    ctx.emit.metric("weight_bytes", be.weight_bytes(), tags);
    ctx.emit.metric("bytes_per_token", step_bytes / s.batch, tags);
    ctx.emit.metric("achieved_gbps", gbps, tags);
    if (device_gbps > 0) ctx.emit.metric("bandwidth_fraction", gbps / device_gbps, tags);
    ctx.emit.metric("hidden_mean_abs", habs / (double)h.size(), tags);
    if (meter->available() && ew.seconds > 0) {
      ctx.emit.metric("joules_per_token", ew.joules / tokens, tags);
      ctx.emit.metric("avg_power_w", ew.avg_power_w, tags);
      ctx.emit.metric("energy_window_s", ew.seconds, tags);
      if (idle_w >= 0) {
        ctx.emit.metric("idle_power_w", idle_w, tags);
        ctx.emit.metric("joules_per_token_net", (ew.joules - idle_w * ew.seconds) / tokens, tags);
      }
    }
    ctx.emit.progress("contexts", (int64_t)ci + 1, total);
  }
}

}  // namespace

int main(int argc, char** argv) {
  binllm::KernelSpec spec;
  spec.name = "decode-bench";
  spec.version = kVersion;
  spec.hypotheses = {"H5"};
  spec.description =
      "decode benchmark: a decoder stack with packed 1-bit (bin), group-wise int4 or fp16 weights and KV cache; "
      "tokens/s, bandwidth and measured energy (RAPL / NVML) per context length";
  spec.params = {
      {"quant", binllm::schema::string("format of weights and KV cache", Json("int4"), kQuants)},
      {kDModel.name, int_schema(kDModel)},
      {kLayers.name, int_schema(kLayers)},
      {kHeads.name, int_schema(kHeads)},
      {kKvHeads.name, int_schema(kKvHeads)},
      {kDff.name, int_schema(kDff)},
      {kBatch.name, int_schema(kBatch)},
      {"contexts", binllm::schema::int_list("context lengths L (cached tokens)", Json::array({1024, 4096}), 1, kMaxContext)},
      {kSteps.name, int_schema(kSteps)},
      {kWarmup.name, int_schema(kWarmup)},
      {kWindow.name, num_schema(kWindow)},
      {kIdle.name, num_schema(kIdle)},
      {kCooldown.name, num_schema(kCooldown)},
  };
#ifdef BINLLM_WITH_CUDA
  {
    std::stringstream ss(BINLLM_CUDA_ARCHS);
    std::string a;
    while (std::getline(ss, a, ',')) spec.cuda_ccs.push_back(a.substr(0, a.size() - 1) + "." + a.substr(a.size() - 1));
  }
#endif
  spec.run = run_cell;
  return binllm::run_main(argc, argv, spec);
}
