#include "storage/journal/page_cache.h"

#include <fcntl.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

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

// The thread that starts writeback, waits for it and drops, so that no journal writer waits
// for the disk. Jobs hold the segment's fd open. The queue is bounded (kMaxJobs): when it is
// full a job is merged into a queued one of the same file and kind that it continues (the
// usual case: a segment's windows follow each other), else skipped, which is harmless
// advice lost (the kernel writes back and reclaims those pages itself). Started on first
// use; joined at exit.
class Dropper {
 public:
  static Dropper& instance() {
    static Dropper d;
    return d;
  }
  // drop false: only start writeback of the range.
  void push(std::shared_ptr<const int> fd, uint64_t off, uint64_t len, bool drop) {
    std::lock_guard g(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    if (jobs_.size() >= kMaxJobs) {
      for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
        if (it->fd != fd || it->drop != drop) continue;
        if (it->len != 0 && it->off + it->len == off) it->len = len == 0 ? 0 : it->len + len;
        return;  // merged, or (not contiguous) skipped
      }
      return;  // skipped
    }
    jobs_.push_back({std::move(fd), off, len, drop});
    cv_.notify_all();
  }
  static constexpr size_t kMaxJobs = 256;
  void wait_idle() {
    std::unique_lock l(mu_);
    idle_cv_.wait(l, [this] { return jobs_.empty() && !busy_; });
  }
  ~Dropper() {
    {
      std::lock_guard g(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Job {
    std::shared_ptr<const int> fd;
    uint64_t off, len;
    bool drop;
  };
  void run() {
    std::unique_lock l(mu_);
    for (;;) {
      cv_.wait(l, [this] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      Job j = std::move(jobs_.front());
      jobs_.pop_front();
      busy_ = true;
      l.unlock();
      if (j.drop) {
        write_back_and_drop(*j.fd, j.off, j.len);
      } else {
        start_writeback(*j.fd, j.off, j.len);  // may block on a congested device queue
      }
      j.fd.reset();
      l.lock();
      busy_ = false;
      if (jobs_.empty()) idle_cv_.notify_all();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<Job> jobs_;
  bool busy_ = false, stop_ = false;
  std::thread thread_;
};

}  // namespace

void wait_page_cache_drops() { Dropper::instance().wait_idle(); }

uint64_t normalize_page_cache_window(uint64_t bytes) {
  if (bytes == 0) return 0;
  return std::max(kPage, bytes / kPage * kPage);
}

void PageCacheWindow::after_write(const std::shared_ptr<const int>& fd, uint64_t size,
                                  uint64_t window) {
  if (window == 0) return;
  const uint64_t whole = size / window * window;
  if (whole > kicked_) {
    Dropper::instance().push(fd, kicked_, whole - kicked_, false);
    kicked_ = whole;
  }
  if (whole < 3 * window) return;
  const uint64_t keep_from = whole - 2 * window;
  if (keep_from <= dropped_) return;
  Dropper::instance().push(fd, dropped_, keep_from - dropped_, true);
  dropped_ = keep_from;
  cold_.store(keep_from, std::memory_order_release);
}

void PageCacheWindow::start_tail_writeback(const std::shared_ptr<const int>& fd, uint64_t size) {
  if (size > kicked_) Dropper::instance().push(fd, kicked_, size - kicked_, false);
  kicked_ = std::max(kicked_, size);
}

void PageCacheWindow::release(const std::shared_ptr<const int>& fd, uint64_t size) {
  if (size > dropped_) {
    Dropper::instance().push(fd, dropped_, 0, true);  // to the end: the last partial page too
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
