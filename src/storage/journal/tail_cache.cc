#include "storage/journal/tail_cache.h"

#include <algorithm>
#include <cstring>

#include "storage/record_batch.h"

namespace unimq::storage::journal {

void TailCache::drop_runs() {
  runs_.clear();
  bytes_ = 0;
  head_ = 0;
}

void TailCache::free_ring() {
  drop_runs();
  if (!ring_) return;
  ring_.reset();
  budget_->used.fetch_sub(budget_->stream_bytes, std::memory_order_relaxed);
}

void TailCache::add(const uint8_t* data, size_t len, int64_t first_offset, int64_t end_offset,
                    int64_t now_ms) {
  const bool wanted = now_ms - last_read_ms_.load(std::memory_order_relaxed) <= kInterestMs;
  std::unique_lock lock(mu_);
  if (!wanted) {
    free_ring();  // no readers (any more): no copy, no memory
    return;
  }
  if (len == 0 || end_offset <= first_offset) return;
  const size_t ring_bytes = budget_->stream_bytes;
  if (len > ring_bytes || (!runs_.empty() && runs_.back().end_offset != first_offset)) {
    drop_runs();  // a gap (or a group larger than the ring): start over
    if (len > ring_bytes) return;
  }
  if (!ring_) {
    if (budget_->used.fetch_add(ring_bytes, std::memory_order_relaxed) + ring_bytes >
        budget_->total_bytes) {
      budget_->used.fetch_sub(ring_bytes, std::memory_order_relaxed);
      return;  // other streams' rings fill the budget: read from the files
    }
    ring_.reset(new uint8_t[ring_bytes]);  // not zeroed: every byte is written before read
  }
  if (head_ + len > ring_bytes) head_ = 0;
  // The runs the group overwrites are the oldest ones (runs lie in ring order from the front).
  while (!runs_.empty() && runs_.front().begin < head_ + len && runs_.front().end > head_) {
    bytes_ -= runs_.front().end - runs_.front().begin;
    runs_.pop_front();
  }
  const size_t at = head_;
  // Copied without the lock: no reader sees [at, at + len) until the run is published, and
  // only this writer adds or frees (clear() comes from truncate/close, serialised with it).
  lock.unlock();
  std::memcpy(ring_.get() + at, data, len);
  lock.lock();
  runs_.push_back(Run{at, at + len, first_offset, end_offset});
  bytes_ += len;
  head_ = at + len;
}

bool TailCache::read(int64_t offset, size_t max_bytes, int64_t latest, ReadResult& r, bool& more,
                     int64_t now_ms) const {
  more = false;
  last_read_ms_.store(now_ms, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (runs_.empty() || offset < runs_.front().first_offset || offset >= runs_.back().end_offset ||
      offset >= latest)
    return false;
  auto it = std::upper_bound(runs_.begin(), runs_.end(), offset,
                             [](int64_t o, const Run& c) { return o < c.end_offset; });
  // Skip to the batch holding `offset` (it may start before it, as on disk).
  size_t pos = it->begin;
  BatchHeader h;
  while (pos + kBatchHeaderSize <= it->end) {
    if (!parse_batch_header({ring_.get() + pos, it->end - pos}, h).ok()) return false;
    if (h.last_offset() >= offset) break;
    pos += h.total_size();
  }
  size_t total = 0;
  int64_t next = offset;
  bool full = false;
  for (bool first = true; it != runs_.end(); ++it, first = false) {
    if (!first) pos = it->begin;  // cached runs continue each other's offsets
    // The batches taken from this run, copied at once.
    const size_t from = pos;
    while (pos + kBatchHeaderSize <= it->end) {
      if (!parse_batch_header({ring_.get() + pos, it->end - pos}, h).ok()) break;
      const size_t size = h.total_size();
      if (h.base_offset >= latest || pos + size > it->end ||
          (total + (pos - from) > 0 && total + (pos - from) + size > max_bytes)) {
        full = true;
        break;
      }
      pos += size;
      next = h.last_offset() + 1;
    }
    if (pos > from) {
      r.bytes.insert(r.bytes.end(), ring_.get() + from, ring_.get() + pos);
      total += pos - from;
    }
    if (full || pos < it->end) break;
  }
  if (total == 0) return false;
  more = !full && it == runs_.end() && next < latest;
  r.next_offset = next;
  r.status = Status::Ok();
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool TailCache::holds(int64_t offset) const {
  std::lock_guard lock(mu_);
  return !runs_.empty() && offset >= runs_.front().first_offset && offset < runs_.back().end_offset;
}

void TailCache::clear() {
  std::lock_guard lock(mu_);
  free_ring();
}

size_t TailCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace unimq::storage::journal
