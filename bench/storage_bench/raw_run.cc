// The disk's own limits, measured on the same filesystem as the journal: what fsync=never
// and fsync=always are compared against.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

#include "runs.h"

namespace unimq::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(const char* what, const std::string& path, int err) {
  return std::string(what) + " " + path + ": " + std::strerror(err);
}

std::vector<char> random_block(size_t n) {
  std::vector<char> b(n);
  std::mt19937 rng(42);
  for (char& c : b) c = char(rng());
  return b;
}

bool write_full(int fd, const char* p, size_t n, off_t off) {
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
    off += w;
  }
  return true;
}

}  // namespace

// One writer, an appending file (like a journal segment): write a block, fdatasync, repeat.
Result run_raw_fsync(const Options& o, const std::string& run_dir) {
  Result r;
  const std::string path = run_dir + "/raw-fsync.dat";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    r.ok = false;
    r.error = errno_text("cannot create", path, errno);
    return r;
  }
  const std::vector<char> block = random_block(size_t(o.block_size));
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.seconds);
  off_t off = 0;
  r.fsyncs = 0;
  while (Clock::now() < deadline) {
    const auto t0 = Clock::now();
    if (!write_full(fd, block.data(), block.size(), off)) {
      r.ok = false;
      r.error = errno_text("cannot write", path, errno);
      break;
    }
    if (::fdatasync(fd) != 0) {
      r.ok = false;
      r.error = errno_text("cannot fdatasync", path, errno);
      break;
    }
    off += off_t(block.size());
    ++r.appends;
    ++r.fsyncs;
    r.latencies_us.push_back(
        uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.cpu_seconds = process_cpu_seconds() - cpu_start;
  r.records = r.appends;
  r.payload_bytes = r.disk_bytes = uint64_t(off);
  ::close(fd);
  return r;
}

// Sequential buffered writes of max_bytes, then one fdatasync (like fio --end_fsync=1).
Result run_raw_write(const Options& o, const std::string& run_dir) {
  Result r;
  const std::string path = run_dir + "/raw-write.dat";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    r.ok = false;
    r.error = errno_text("cannot create", path, errno);
    return r;
  }
  const std::vector<char> block = random_block(size_t(o.block_size));
  const double cpu_start = process_cpu_seconds();
  const auto start = Clock::now();
  uint64_t off = 0;
  while (off < o.max_bytes) {
    const size_t n = size_t(std::min<uint64_t>(block.size(), o.max_bytes - off));
    if (!write_full(fd, block.data(), n, off_t(off))) {
      r.ok = false;
      r.error = errno_text("cannot write", path, errno);
      break;
    }
    off += n;
    ++r.appends;
  }
  const auto sync_start = Clock::now();
  if (r.ok && ::fdatasync(fd) != 0) {
    r.ok = false;
    r.error = errno_text("cannot fdatasync", path, errno);
  }
  const auto end = Clock::now();
  r.fsyncs = 1;
  r.seconds = std::chrono::duration<double>(end - start).count();
  r.cpu_seconds = process_cpu_seconds() - cpu_start;
  r.flush_ms = std::chrono::duration<double, std::milli>(end - sync_start).count();
  r.records = r.appends;
  r.payload_bytes = r.disk_bytes = off;
  ::close(fd);
  return r;
}

}  // namespace unimq::bench
