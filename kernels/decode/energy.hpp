// Measured energy, never modelled: RAPL (CPU package counters through powercap) and NVML (GPU
// total-energy counter, loaded with dlopen so the kernel builds without the NVML headers).
// A meter that cannot read its counter says why in unavailable_reason() and the kernel then
// emits no energy metric at all.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace decode {

struct EnergyWindow {
  double joules = 0;       // counter delta over the window
  double seconds = 0;      // wall time of the window
  double avg_power_w = 0;  // mean of the >= 10 Hz power samples (NVML) or joules / seconds (RAPL)
  int samples = 0;
};

class EnergyMeter {
 public:
  virtual ~EnergyMeter() = default;
  virtual bool available() const = 0;
  virtual std::string source() const = 0;              // e.g. "rapl:/sys/class/powercap/intel-rapl:0"
  virtual std::string unavailable_reason() const = 0;  // why available() is false
  virtual void begin() = 0;
  virtual EnergyWindow end() = 0;
};

// Sums the package domains /sys/class/powercap/intel-rapl:N/energy_uj (wraparound through
// max_energy_range_uj). `root` is overridable for tests.
std::unique_ptr<EnergyMeter> make_rapl_meter(const std::string& root = "/sys/class/powercap");

// NVML for the device with this PCI bus id ("0000:3B:00.0"); power sampled every `sample_ms`.
std::unique_ptr<EnergyMeter> make_nvml_meter(const std::string& pci_bus_id, int sample_ms = 50);

}  // namespace decode
