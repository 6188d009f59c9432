// binllm — exit codes and the exception types that map onto them (KERNELS.md "Exit codes").
#pragma once

#include <stdexcept>
#include <string>

namespace binllm {

enum ExitCode : int {
  kExitOk = 0,
  kExitBadConfig = 2,        // bad config / bad input data: non-retryable
  kExitResourceMissing = 3,  // no CUDA device, out of device memory: retryable elsewhere
  kExitCrash = 1,            // anything else (an unexpected exception)
};

// Bad config or bad input (missing file, wrong shape, out-of-range parameter) -> exit 2.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A resource this host lacks (CUDA device, device memory) -> exit 3.
class ResourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by check_stop() after SIGTERM/SIGINT -> exit 128+signal, end event with status "error".
class StopRequested : public std::runtime_error {
 public:
  explicit StopRequested(int sig)
      : std::runtime_error(std::string("stopped by signal ") + std::to_string(sig)), sig_(sig) {}
  int signal_number() const { return sig_; }

 private:
  int sig_;
};

}  // namespace binllm
