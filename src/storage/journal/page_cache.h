// Page-cache recycling for journal segments.
//
// A log that only grows writes every byte into a page the kernel has to find fresh; on
// machines with free page reporting (Firecracker, some clouds) the first touch of such a
// page costs a host fault, capping buffered writes near 450 MB/s while rewriting cached
// pages runs at several GB/s. So a segment's writer starts writeback of each whole window
// as soon as it is written and, once a window lies more than two windows behind the end,
// waits for its writeback and drops it (POSIX_FADV_DONTNEED): the freed pages are reused at
// once and the broker's page-cache footprint stays near three windows per active segment.
// Readers of ranges the writer already dropped drop behind themselves for the same reason.
//
// Starting writeback, waiting for it and dropping all happen on one background thread per
// process: the writer only queues ranges (it must never stall on the disk: acks=1 latency).
//
// All of this is advice: it never changes durability (fsync policies are untouched, only
// clean pages are dropped) and errors are logged (rate-limited) and ignored.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace unimq::storage::journal {

// Windows are whole pages so every drop covers whole pages.
uint64_t normalize_page_cache_window(uint64_t bytes);

// Blocks until every drop queued so far is done (tests, tools).
void wait_page_cache_drops();

class PageCacheWindow {
 public:
  // Writer, after a write that left `size` bytes in the file: queues the start of writeback
  // of every whole window since the last call, and the wait-and-drop of what lies more than
  // 2 windows behind the end. window 0: nothing.
  void after_write(const std::shared_ptr<const int>& fd, uint64_t size, uint64_t window);
  // Writer, when the segment is sealed: queues writeback of the partial last window.
  void start_tail_writeback(const std::shared_ptr<const int>& fd, uint64_t size);
  // Writer, once the segment is no longer near the tail: queues the drop of everything.
  void release(const std::shared_ptr<const int>& fd, uint64_t size);
  // Writer, after the file was cut at pos.
  void cut(uint64_t pos);
  // The writer dropped, or queued the drop of, [0, cold_below()): reads there do not stay
  // cached (any thread).
  uint64_t cold_below() const { return cold_.load(std::memory_order_acquire); }
  void mark_cold(uint64_t size) { cold_.store(size, std::memory_order_release); }
  // Reader, after copying [pos, pos + len) out of the file: drops the pages of that range
  // (and just below it: the previous read's) the writer had already dropped.
  void after_read(int fd, uint64_t pos, uint64_t len) const;

 private:
  uint64_t kicked_ = 0;   // writeback queued below this
  uint64_t dropped_ = 0;  // drop queued below this
  std::atomic<uint64_t> cold_{0};
};

}  // namespace unimq::storage::journal
