#include "storage/journal/direct_writer.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "storage/journal/file_util.h"

namespace unimq::storage::journal {
namespace {
std::atomic<uint64_t> g_writes{0}, g_bounces{0};
}  // namespace

uint64_t DirectWriter::total_writes() { return g_writes.load(std::memory_order_relaxed); }
uint64_t DirectWriter::bounce_copies() { return g_bounces.load(std::memory_order_relaxed); }

std::unique_ptr<DirectWriter> DirectWriter::open(const std::string& path, std::string& why) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    why = std::string("open O_DIRECT: ") + std::strerror(errno);
    return nullptr;
  }
  auto* blocks = static_cast<uint8_t*>(std::aligned_alloc(kBlock, 3 * kBlock));
  if (!blocks) {
    ::close(fd);
    why = "out of memory";
    return nullptr;
  }
  return std::unique_ptr<DirectWriter>(new DirectWriter(fd, blocks));
}

DirectWriter::~DirectWriter() {
  ::close(fd_);
  std::free(blocks_);
}

Status DirectWriter::write(int read_fd, uint64_t pos, const uint8_t* data, size_t bytes) {
  if (bytes == 0) return Status::Ok();
  g_writes.fetch_add(1, std::memory_order_relaxed);
  const size_t t = size_t(pos % kBlock);
  const uint64_t start = pos - t;
  if (t > 0 && !tail_known_ && pread_all(read_fd, block(tail_), t, start) != ssize_t(t)) {
    return Status::Error(Errc::IoError, "cannot read the last block back");
  }
  const int head = (tail_ + 1) % 3, last = (tail_ + 2) % 3;
  iovec iov[3];
  int n = 0;
  size_t total = 0;
  // The block the file ends in: its known bytes, then the first new ones.
  size_t h = 0;
  if (t > 0) {
    h = std::min(kBlock - t, bytes);
    std::memcpy(block(head), block(tail_), t);
    std::memcpy(block(head) + t, data, h);
    std::memset(block(head) + t + h, 0, kBlock - t - h);
    iov[n++] = {block(head), kBlock};
  }
  // Whole blocks straight from the caller's memory (a bounce copy if it is misaligned).
  const uint8_t* mid = data + h;
  const size_t r = bytes - h, m = r / kBlock * kBlock, rem = r - m;
  std::unique_ptr<uint8_t, decltype(&std::free)> bounce(nullptr, &std::free);
  if (m > 0) {
    if (reinterpret_cast<uintptr_t>(mid) % kBlock != 0) {
      g_bounces.fetch_add(1, std::memory_order_relaxed);
      bounce.reset(static_cast<uint8_t*>(std::aligned_alloc(kBlock, m)));
      if (!bounce) return Status::Error(Errc::IoError, "out of memory");
      std::memcpy(bounce.get(), mid, m);
      mid = bounce.get();
    }
    iov[n++] = {const_cast<uint8_t*>(mid), m};
  }
  // The new last block, zero-padded.
  if (rem > 0) {
    std::memcpy(block(last), data + h + m, rem);
    std::memset(block(last) + rem, 0, kBlock - rem);
    iov[n++] = {block(last), kBlock};
  }
  for (int i = 0; i < n; ++i) total += iov[i].iov_len;
  tail_known_ = false;  // until the write is whole
  size_t done = 0;
  int first = 0;
  while (done < total) {
    const ssize_t w = ::pwritev(fd_, iov + first, n - first, off_t(start + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0)
      return Status::Error(Errc::IoError, std::string("O_DIRECT write: ") + std::strerror(errno));
    if (w == 0 || size_t(w) % 512 != 0) {
      return Status::Error(Errc::IoError, "short O_DIRECT write");
    }
    done += size_t(w);
    size_t skip = size_t(w);
    while (skip > 0 && first < n) {
      if (skip >= iov[first].iov_len) {
        skip -= iov[first].iov_len;
        ++first;
      } else {
        iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + skip;
        iov[first].iov_len -= skip;
        skip = 0;
      }
    }
  }
  if (rem > 0) {
    tail_ = last;
  } else if (r == 0) {
    tail_ = head;  // everything went into the head block
  }
  tail_known_ = true;
  return Status::Ok();
}

}  // namespace unimq::storage::journal
