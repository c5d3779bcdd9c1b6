// The batches a journal stream wrote last, kept in memory for readers at the tail.
//
// Appends go to the device with O_DIRECT (segment.h), so the page cache never holds what was
// just written: without this cache a consumer following the tail reads every byte back from
// the disk (as many bytes read as written), synchronously on its event loop. Instead, while
// the stream has readers (a read in the last kInterestMs), the writer also copies each group
// it wrote into a ring of kStreamBytes, and read() serves offsets still in the ring from
// memory. The ring is allocated when readers appear and freed when they are gone; rings take
// at most the engine's TailCacheBudget (streams beyond it read from the files). It is separate
// from the staging chunks on purpose: holding those back starved their pool, and every chunk
// then allocated came in fresh pages (host faults on this VM) on the appending loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "storage/stream.h"

namespace unimq::storage::journal {

// The memory of one engine's rings (storage.tail_cache_bytes, tail_cache_stream_bytes).
struct TailCacheBudget {
  TailCacheBudget(size_t stream, size_t total) : stream_bytes(stream), total_bytes(total) {}
  const size_t stream_bytes;  // one stream's ring; 0 = no caching
  const size_t total_bytes;   // all rings together
  std::atomic<size_t> used{0};
};

class TailCache {
 public:
  static constexpr int64_t kInterestMs = 1000;

  explicit TailCache(std::shared_ptr<TailCacheBudget> budget) : budget_(std::move(budget)) {}
  ~TailCache() { clear(); }
  TailCache(const TailCache&) = delete;
  TailCache& operator=(const TailCache&) = delete;

  // A group just written and published: `len` bytes of whole batches, offsets
  // [first_offset, end_offset). Copied in if the stream has readers (the oldest cached batches
  // make room); a group that does not continue the cached offsets replaces them. Called by the
  // stream's writer only (one at a time).
  void add(const uint8_t* data, size_t len, int64_t first_offset, int64_t end_offset,
           int64_t now_ms);
  // As Stream::read from the cache: whole batches from the one holding `offset`, at least one,
  // then while they fit in max_bytes, none at or past `latest`. False (r untouched) when
  // `offset` is not cached. `more` tells whether the read stopped at the end of the cache
  // rather than at the budget or `latest` (a batch published but not cached yet: the caller
  // continues from the files). Every call counts as reader interest.
  bool read(int64_t offset, size_t max_bytes, int64_t latest, ReadResult& r, bool& more,
            int64_t now_ms) const;
  // Whether `offset` is cached (no reader interest counted).
  bool holds(int64_t offset) const;
  // Drops everything and frees the ring (truncation rewrites offsets; close).
  void clear();

  // Introspection (tests, metrics): batch bytes cached, reads served.
  size_t bytes() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  // Batches at ring_[begin, end), offsets [first_offset, end_offset); runs lie in ring order,
  // each continuing the previous one's offsets.
  struct Run {
    size_t begin = 0, end = 0;
    int64_t first_offset = 0, end_offset = 0;
  };
  void drop_runs();  // mu_ held: forgets the cached batches, keeps the ring
  void free_ring();  // mu_ held: drop_runs() and frees the ring

  const std::shared_ptr<TailCacheBudget> budget_;
  mutable std::mutex mu_;
  std::unique_ptr<uint8_t[]> ring_;
  size_t head_ = 0;  // where the next group goes
  std::deque<Run> runs_;
  size_t bytes_ = 0;
  mutable std::atomic<int64_t> last_read_ms_{INT64_MIN / 2};
  mutable std::atomic<uint64_t> hits_{0};
};

}  // namespace unimq::storage::journal
