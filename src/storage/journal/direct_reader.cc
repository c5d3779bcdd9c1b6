#include "storage/journal/direct_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "storage/journal/file_util.h"
#include "storage/journal/staging.h"

namespace unimq::storage::journal {
namespace {

constexpr size_t kBlock = 4096;
// Buffers are whole transparent huge pages (2 MiB: a 1 MiB fetch, every client's default
// partition size, fits one). The pool keeps a few for reuse, so a steady reader does not
// fault in fresh pages per read; larger reads (a consumer asking 10 MiB per partition)
// reuse their buffers too, within kPoolBytes.
constexpr size_t kHuge = 2u << 20;
constexpr size_t kMaxPooledBuffers = 8;
constexpr size_t kPoolBytes = 48u << 20;

std::atomic<uint64_t> g_reads{0};
std::atomic<bool> g_refuse{false};

struct ReadBuffer {
  uint8_t* mem;
  size_t cap;
};

struct Pool {
  std::mutex mu;
  std::vector<ReadBuffer> free;
  size_t bytes = 0;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: answers may be released during exit
  return *p;
}

// The smallest pooled buffer that holds `need`, else a new one.
ReadBuffer take(size_t need) {
  {
    Pool& p = pool();
    std::lock_guard g(p.mu);
    size_t best = p.free.size();
    for (size_t i = 0; i < p.free.size(); ++i)
      if (p.free[i].cap >= need && (best == p.free.size() || p.free[i].cap < p.free[best].cap))
        best = i;
    if (best < p.free.size()) {
      ReadBuffer b = p.free[best];
      p.free[best] = p.free.back();
      p.free.pop_back();
      p.bytes -= b.cap;
      return b;
    }
  }
  const size_t cap = (need + kHuge - 1) / kHuge * kHuge;
  return ReadBuffer{allocate_aligned(cap), cap};
}

void give(ReadBuffer b) {
  {
    Pool& p = pool();
    std::lock_guard g(p.mu);
    if (p.free.size() < kMaxPooledBuffers && p.bytes + b.cap <= kPoolBytes) {
      p.bytes += b.cap;
      p.free.push_back(b);
      return;
    }
  }
  free_aligned(b.mem, b.cap);
}

// The segment's file again, with O_DIRECT (same inode, even if unlinked meanwhile).
int reopen_direct(int fd) {
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  int dfd;
  do {
    dfd = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  } while (dfd < 0 && errno == EINTR);
  return dfd;
}

}  // namespace

Status direct_read(int fd, uint64_t pos, size_t len, DirectRead& out, bool& unsupported) {
  unsupported = false;
  out = DirectRead{};
  const uint64_t first = pos / kBlock * kBlock;
  const uint64_t end = (pos + len + kBlock - 1) / kBlock * kBlock;
  const size_t span = size_t(end - first);
  const int dfd = g_refuse.load(std::memory_order_relaxed) ? -1 : reopen_direct(fd);
  if (dfd < 0) {
    // EINVAL: the file system has no O_DIRECT. Anything else (no /proc): read buffered too.
    unsupported = true;
    return Status::Ok();
  }
  ReadBuffer buf = take(span);
  size_t got = 0;
  int err = 0;
  while (got < span) {
    ssize_t n = ::pread(dfd, buf.mem + got, span - got, off_t(first + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0) break;  // end of file
    got += size_t(n);
    if (got % kBlock != 0) break;  // a short read ends at the end of the file
  }
  ::close(dfd);
  if (err != 0) {
    give(buf);
    if (err == EINVAL) {  // alignment the device refuses (larger logical blocks)
      unsupported = true;
      return Status::Ok();
    }
    return errno_status("cannot read", "fd " + std::to_string(fd), err);
  }
  g_reads.fetch_add(1, std::memory_order_relaxed);
  const size_t skip = size_t(pos - first);
  const size_t avail = got > skip ? std::min(got - skip, len) : 0;
  auto* holder = new ReadBuffer(buf);
  out.owner = std::shared_ptr<const void>(holder, [](ReadBuffer* b) {
    give(*b);
    delete b;
  });
  out.bytes = {buf.mem + skip, avail};
  return Status::Ok();
}

uint64_t direct_reads_total() { return g_reads.load(std::memory_order_relaxed); }

void refuse_direct_reads_for_test(bool refuse) { g_refuse.store(refuse); }

}  // namespace unimq::storage::journal
