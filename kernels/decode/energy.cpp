// RAPL and NVML energy meters (energy.hpp).
#include "energy.hpp"

#include <dirent.h>
#include <dlfcn.h>

#include <chrono>
#include <fstream>
#include <mutex>

namespace decode {
namespace {

using clock_t_ = std::chrono::steady_clock;

bool read_u64(const std::string& path, unsigned long long* v) {
  std::ifstream f(path);
  if (!f) return false;
  f >> *v;
  return (bool)f;
}

class RaplMeter : public EnergyMeter {
 public:
  explicit RaplMeter(const std::string& root) {
    DIR* d = opendir(root.c_str());
    if (!d) {
      reason_ = "RAPL: " + root + " does not exist (no powercap driver)";
      return;
    }
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      // package domains only: intel-rapl:0, intel-rapl:1 (not the sub-domains intel-rapl:0:0)
      if (n.rfind("intel-rapl:", 0) != 0 || n.find(':', 11) != std::string::npos) continue;
      Domain dom{root + "/" + n, 0, 0};
      unsigned long long v;
      if (!read_u64(dom.dir + "/energy_uj", &v)) {
        reason_ = "RAPL: " + dom.dir + "/energy_uj is not readable (root only on this host?)";
        continue;
      }
      if (!read_u64(dom.dir + "/max_energy_range_uj", &dom.range)) dom.range = 0;
      domains_.push_back(dom);
    }
    closedir(d);
    if (domains_.empty() && reason_.empty()) reason_ = "RAPL: no intel-rapl:N package domain under " + root;
    if (!domains_.empty()) reason_.clear();
  }
  bool available() const override { return !domains_.empty(); }
  std::string source() const override {
    std::string s = "rapl:";
    for (size_t i = 0; i < domains_.size(); ++i) s += (i ? "," : "") + domains_[i].dir;
    return s;
  }
  std::string unavailable_reason() const override { return reason_; }
  void begin() override {
    t0_ = clock_t_::now();
    for (auto& d : domains_) read_u64(d.dir + "/energy_uj", &d.start);
  }
  EnergyWindow end() override {
    EnergyWindow w;
    double uj = 0;
    for (auto& d : domains_) {
      unsigned long long now = 0;
      read_u64(d.dir + "/energy_uj", &now);
      // one wrap at most in a window of seconds (the counters wrap after minutes to hours)
      uj += now >= d.start ? (double)(now - d.start) : (double)(d.range - d.start + now);
    }
    w.seconds = std::chrono::duration<double>(clock_t_::now() - t0_).count();
    w.joules = uj * 1e-6;
    w.avg_power_w = w.seconds > 0 ? w.joules / w.seconds : 0;
    return w;
  }

 private:
  struct Domain {
    std::string dir;
    unsigned long long range, start;
  };
  std::vector<Domain> domains_;
  std::string reason_;
  clock_t_::time_point t0_;
};

// ---------------------------------------------------------------- NVML (dlopen)
// The few NVML entry points used, declared here (NVML's C ABI: nvmlReturn_t is an int, 0 = success).
typedef void* nvmlDevice_t;
typedef int (*nvmlInit_t)();
typedef int (*nvmlShutdown_t)();
typedef int (*nvmlByPci_t)(const char*, nvmlDevice_t*);
typedef int (*nvmlEnergy_t)(nvmlDevice_t, unsigned long long*);  // millijoules since driver load
typedef int (*nvmlPower_t)(nvmlDevice_t, unsigned int*);          // milliwatts
typedef const char* (*nvmlErrorString_t)(int);

class NvmlMeter : public EnergyMeter {
 public:
  NvmlMeter(const std::string& bus, int sample_ms) : sample_ms_(sample_ms) {
    lib_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib_) {
      reason_ = "NVML: libnvidia-ml.so.1 not found (no NVIDIA driver)";
      return;
    }
    auto init = (nvmlInit_t)dlsym(lib_, "nvmlInit_v2");
    auto by_pci = (nvmlByPci_t)dlsym(lib_, "nvmlDeviceGetHandleByPciBusId_v2");
    energy_ = (nvmlEnergy_t)dlsym(lib_, "nvmlDeviceGetTotalEnergyConsumption");
    power_ = (nvmlPower_t)dlsym(lib_, "nvmlDeviceGetPowerUsage");
    shutdown_ = (nvmlShutdown_t)dlsym(lib_, "nvmlShutdown");
    err_ = (nvmlErrorString_t)dlsym(lib_, "nvmlErrorString");
    if (!init || !by_pci || !energy_ || !power_) {
      reason_ = "NVML: libnvidia-ml.so.1 lacks nvmlDeviceGetTotalEnergyConsumption / GetPowerUsage";
      return;
    }
    int rc = init();
    if (rc != 0) {
      reason_ = "NVML: nvmlInit failed: " + error(rc);
      return;
    }
    inited_ = true;
    rc = by_pci(bus.c_str(), &dev_);
    if (rc != 0) {
      reason_ = "NVML: no handle for PCI bus " + bus + ": " + error(rc);
      return;
    }
    unsigned long long mj;
    rc = energy_(dev_, &mj);
    if (rc != 0) {
      reason_ = "NVML: total energy counter not supported on this GPU: " + error(rc);
      return;
    }
    bus_ = bus;
    ok_ = true;
  }
  ~NvmlMeter() override {
    stop_sampler();
    if (inited_ && shutdown_) shutdown_();
    if (lib_) dlclose(lib_);
  }
  bool available() const override { return ok_; }
  std::string source() const override { return "nvml:" + bus_; }
  std::string unavailable_reason() const override { return reason_; }
  void begin() override {
    {
      std::lock_guard<std::mutex> lk(mu_);
      power_sum_ = 0;
      samples_ = 0;
    }
    running_ = true;
    sampler_ = std::thread([this] {
      while (running_.load()) {
        unsigned int mw;
        if (power_(dev_, &mw) == 0) {
          std::lock_guard<std::mutex> lk(mu_);
          power_sum_ += mw * 1e-3;
          samples_++;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(sample_ms_));
      }
    });
    energy_(dev_, &start_mj_);
    t0_ = clock_t_::now();
  }
  EnergyWindow end() override {
    unsigned long long mj = start_mj_;
    energy_(dev_, &mj);
    EnergyWindow w;
    w.seconds = std::chrono::duration<double>(clock_t_::now() - t0_).count();
    stop_sampler();
    w.joules = (double)(mj - start_mj_) * 1e-3;
    std::lock_guard<std::mutex> lk(mu_);
    w.samples = samples_;
    w.avg_power_w = samples_ ? power_sum_ / samples_ : (w.seconds > 0 ? w.joules / w.seconds : 0);
    return w;
  }

 private:
  std::string error(int rc) const { return err_ ? std::string(err_(rc)) : "error " + std::to_string(rc); }
  void stop_sampler() {
    running_ = false;
    if (sampler_.joinable()) sampler_.join();
  }
  void* lib_ = nullptr;
  nvmlEnergy_t energy_ = nullptr;
  nvmlPower_t power_ = nullptr;
  nvmlShutdown_t shutdown_ = nullptr;
  nvmlErrorString_t err_ = nullptr;
  nvmlDevice_t dev_ = nullptr;
  bool inited_ = false, ok_ = false;
  std::string reason_, bus_;
  int sample_ms_;
  std::thread sampler_;
  std::atomic<bool> running_{false};
  std::mutex mu_;
  double power_sum_ = 0;
  int samples_ = 0;
  unsigned long long start_mj_ = 0;
  clock_t_::time_point t0_;
};

}  // namespace

std::unique_ptr<EnergyMeter> make_rapl_meter(const std::string& root) { return std::make_unique<RaplMeter>(root); }
std::unique_ptr<EnergyMeter> make_nvml_meter(const std::string& bus, int sample_ms) {
  return std::make_unique<NvmlMeter>(bus, sample_ms);
}

}  // namespace decode
