// Kernel-side caches under the platform's work_dir: content hashes for keys, folder creation,
// and an exclusive lock so that two cells computing the same entry at once compute it once (the
// second waits, then reads). Header-only; used by the lm and nlu kernels.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

namespace binllm {

// 64-bit FNV-1a of n bytes, continuing from h (chain calls to hash several buffers).
inline uint64_t fnv1a(const void* data, size_t n, uint64_t h = 1469598103934665603ull) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

inline std::string hex64(uint64_t x) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", (unsigned long long)x);
  return b;
}

// FNV-1a of a whole file's bytes (for keys that must change whenever the file does).
// Returns false when the file cannot be read.
inline bool fnv1a_file(const std::string& path, uint64_t* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  uint64_t h = 1469598103934665603ull;
  static thread_local char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) h = fnv1a(buf, n, h);
  const bool ok = !std::ferror(f);
  std::fclose(f);
  *out = h;
  return ok;
}

// mkdir -p; true when the folder exists afterwards.
inline bool make_dirs(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); i++) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty()) {
        struct stat st;
        if (::stat(cur.c_str(), &st) != 0 && ::mkdir(cur.c_str(), 0775) != 0 && errno != EEXIST) return false;
      }
    }
    if (i < path.size()) cur += path[i];
  }
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// An exclusive flock on `path` (created if missing), held until destruction. While another
// process holds it, waits in steps of 100 ms and calls on_wait() between tries (e.g. to honour
// SIGTERM and report progress). ok() is false when the lock file cannot be opened: the caller
// then proceeds without the cache.
class FileLock {
 public:
  FileLock(const std::string& path, const std::function<void()>& on_wait) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
    if (fd_ < 0) return;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        ::close(fd_);
        fd_ = -1;
        return;
      }
      waited_ = true;
      if (on_wait) on_wait();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool ok() const { return fd_ >= 0; }
  bool waited() const { return waited_; }

 private:
  int fd_ = -1;
  bool waited_ = false;
};

}  // namespace binllm
