#include "storage/journal/page_cache.h"

#include <fcntl.h>
#include <string.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

namespace unimq::storage::journal {
namespace {

constexpr uint64_t kPage = 4096;
// DONTNEED skips a large folio reaching outside the range, and page-cache folios (from
// readahead) can be as large as 2 MiB, naturally aligned.
constexpr uint64_t kMaxFolio = 2 << 20;

// One warning per minute at most: a file system without sync_file_range would otherwise
// log on every write.
void warn_advice_failed(const char* call, int err) {
  static std::atomic<int64_t> last_ms{INT64_MIN / 2};
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t prev = last_ms.load(std::memory_order_relaxed);
  if (now - prev < 60000 || !last_ms.compare_exchange_strong(prev, now)) return;
  spdlog::warn("journal: {} failed ({}); page-cache recycling is advice, continuing", call,
               strerror(err));
}

void start_writeback(int fd, uint64_t off, uint64_t len) {
  if (len == 0) return;
  if (::sync_file_range(fd, off64_t(off), off64_t(len), SYNC_FILE_RANGE_WRITE) != 0) {
    warn_advice_failed("sync_file_range(WRITE)", errno);
  }
}

// len 0: to the end of the file.
void drop_clean(int fd, uint64_t off, uint64_t len) {
  int err = ::posix_fadvise(fd, off_t(off), off_t(len), POSIX_FADV_DONTNEED);
  if (err != 0) warn_advice_failed("posix_fadvise(DONTNEED)", err);
}

// Dirty pages are not dropped by DONTNEED: wait for their writeback first.
void write_back_and_drop(int fd, uint64_t off, uint64_t len) {
  constexpr unsigned kWait =
      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
  if (::sync_file_range(fd, off64_t(off), off64_t(len), kWait) != 0) {
    warn_advice_failed("sync_file_range(WAIT)", errno);
  }
  drop_clean(fd, off, len);
}

}  // namespace

uint64_t normalize_page_cache_window(uint64_t bytes) {
  if (bytes == 0) return 0;
  return std::max(kPage, bytes / kPage * kPage);
}

void PageCacheWindow::after_write(int fd, uint64_t size, uint64_t window) {
  if (window == 0) return;
  const uint64_t whole = size / window * window;
  if (whole > kicked_) {
    start_writeback(fd, kicked_, whole - kicked_);
    kicked_ = whole;
  }
  if (whole < 3 * window) return;
  const uint64_t keep_from = whole - 2 * window;
  if (keep_from <= dropped_) return;
  write_back_and_drop(fd, dropped_, keep_from - dropped_);
  dropped_ = keep_from;
  cold_.store(keep_from, std::memory_order_release);
}

void PageCacheWindow::start_tail_writeback(int fd, uint64_t size) {
  if (size > kicked_) start_writeback(fd, kicked_, size - kicked_);
  kicked_ = std::max(kicked_, size);
}

void PageCacheWindow::release(int fd, uint64_t size) {
  if (size > dropped_) {
    write_back_and_drop(fd, dropped_, 0);  // to the end: the last partial page goes too
    dropped_ = size;
  }
  cold_.store(size, std::memory_order_release);
}

void PageCacheWindow::cut(uint64_t pos) {
  kicked_ = std::min(kicked_, pos);
  dropped_ = std::min(dropped_, pos);
  if (cold_.load() > pos) cold_.store(pos, std::memory_order_release);
}

void PageCacheWindow::after_read(int fd, uint64_t pos, uint64_t len) const {
  const uint64_t cold = cold_below();
  if (pos >= cold) return;
  // From the folio boundary below pos: the folio straddling the previous read's end (and
  // readahead's folios) go with this read's. DONTNEED keeps what straddles this read's end;
  // the next read drops it.
  const uint64_t from = pos / kMaxFolio * kMaxFolio;
  const uint64_t to = std::min(pos + len, cold);
  drop_clean(fd, from, to - from);
}

}  // namespace unimq::storage::journal
