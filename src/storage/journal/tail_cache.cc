#include "storage/journal/tail_cache.h"

#include <algorithm>

#include "storage/record_batch.h"

namespace unimq::storage::journal {

namespace {
std::atomic<size_t> g_cached_bytes{0};  // all streams' caches
}  // namespace

void TailCache::evict_front() {
  Chunk& c = chunks_.front();
  const size_t cap = c.buf->capacity();
  bytes_ -= c.end - c.begin;
  g_cached_bytes.fetch_sub(cap, std::memory_order_relaxed);
  give_staging(std::move(c.buf));
  chunks_.pop_front();
}

void TailCache::add(std::unique_ptr<StagingBuffer> buf, size_t begin, size_t end,
                    int64_t first_offset, int64_t end_offset, int64_t now_ms) {
  const size_t cap = buf->capacity(), size = end - begin;
  const bool wanted = now_ms - last_read_ms_.load(std::memory_order_relaxed) <= kInterestMs &&
                      end > begin && end_offset > first_offset && size <= kStreamBytes;
  std::lock_guard lock(mu_);
  if (!wanted || (!chunks_.empty() && chunks_.back().end_offset != first_offset)) {
    while (!chunks_.empty()) evict_front();
    if (!wanted) {
      give_staging(std::move(buf));
      return;
    }
  }
  while (!chunks_.empty() && (bytes_ + size > kStreamBytes ||
                              g_cached_bytes.load(std::memory_order_relaxed) + cap > kProcessBytes))
    evict_front();
  if (g_cached_bytes.load(std::memory_order_relaxed) + cap > kProcessBytes) {
    give_staging(std::move(buf));  // the other streams' caches fill the process budget
    return;
  }
  bytes_ += size;
  g_cached_bytes.fetch_add(cap, std::memory_order_relaxed);
  chunks_.push_back(Chunk{std::move(buf), begin, end, first_offset, end_offset});
}

bool TailCache::read(int64_t offset, size_t max_bytes, int64_t latest, ReadResult& r, bool& more,
                     int64_t now_ms) const {
  more = false;
  last_read_ms_.store(now_ms, std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  if (chunks_.empty() || offset < chunks_.front().first_offset ||
      offset >= chunks_.back().end_offset || offset >= latest)
    return false;
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), offset,
                             [](int64_t o, const Chunk& c) { return o < c.end_offset; });
  // Skip to the batch holding `offset` (it may start before it, as on disk).
  size_t pos = it->begin;
  BatchHeader h;
  while (pos + kBatchHeaderSize <= it->end) {
    if (!parse_batch_header({it->buf->data() + pos, it->end - pos}, h).ok()) return false;
    if (h.last_offset() >= offset) break;
    pos += h.total_size();
  }
  size_t total = 0;
  int64_t next = offset;
  bool full = false;
  for (bool first = true; it != chunks_.end(); ++it, first = false) {
    if (!first) pos = it->begin;  // cached chunks continue each other's offsets
    // The run of batches taken from this chunk, copied at once.
    const size_t from = pos;
    while (pos + kBatchHeaderSize <= it->end) {
      if (!parse_batch_header({it->buf->data() + pos, it->end - pos}, h).ok()) break;
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
      r.bytes.insert(r.bytes.end(), it->buf->data() + from, it->buf->data() + pos);
      total += pos - from;
    }
    if (full || pos < it->end) break;
  }
  if (total == 0) return false;
  more = !full && it == chunks_.end() && next < latest;
  r.next_offset = next;
  r.status = Status::Ok();
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void TailCache::clear() {
  std::lock_guard lock(mu_);
  while (!chunks_.empty()) evict_front();
}

size_t TailCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace unimq::storage::journal
