// The batches a journal stream wrote last, kept in memory for readers at the tail.
//
// Appends go to the device with O_DIRECT (segment.h), so the page cache never holds what was
// just written: without this cache a consumer following the tail reads every byte back from
// the disk (as many bytes read as written), synchronously on its event loop. Instead the
// writer keeps the staging chunks it has written, immutable from then on, and read() copies
// from them. Kept only while the stream has readers (a read in the last kInterestMs), at most
// kStreamBytes of batches per stream and kProcessBytes of chunk memory per process (a chunk
// written early may be mostly empty); evicted chunks go back to the staging pool, so the cache
// allocates nothing in steady state.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "storage/journal/staging.h"
#include "storage/stream.h"

namespace unimq::storage::journal {

class TailCache {
 public:
  static constexpr size_t kStreamBytes = 8u << 20;
  static constexpr size_t kProcessBytes = 64u << 20;
  static constexpr int64_t kInterestMs = 1000;

  TailCache() = default;
  ~TailCache() { clear(); }
  TailCache(const TailCache&) = delete;
  TailCache& operator=(const TailCache&) = delete;

  // A chunk just written: bytes [begin, end) of buf hold whole batches, offsets
  // [first_offset, end_offset), published. Kept if the stream has readers and there is room
  // (older chunks are evicted first); otherwise it goes back to the staging pool. A chunk
  // that does not continue the cached offsets replaces them.
  void add(std::unique_ptr<StagingBuffer> buf, size_t begin, size_t end, int64_t first_offset,
           int64_t end_offset, int64_t now_ms);
  // As Stream::read from the cache: whole batches from the one holding `offset`, at least one,
  // then while they fit in max_bytes, none at or past `latest`. False (r untouched) when
  // `offset` is not cached. `more` tells whether the read stopped at the end of the cache
  // rather than at the budget or `latest` (a batch published but not cached yet: the caller
  // continues from the files). Every call counts as reader interest.
  bool read(int64_t offset, size_t max_bytes, int64_t latest, ReadResult& r, bool& more,
            int64_t now_ms) const;
  // Drops everything (truncation rewrites offsets; close frees the memory).
  void clear();

  // Introspection (tests, metrics): batch bytes cached.
  size_t bytes() const;
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  struct Chunk {
    std::unique_ptr<StagingBuffer> buf;
    size_t begin = 0, end = 0;
    int64_t first_offset = 0, end_offset = 0;
  };
  void evict_front();  // mu_ held

  mutable std::mutex mu_;
  std::deque<Chunk> chunks_;
  size_t bytes_ = 0;   // batch bytes cached
  mutable std::atomic<int64_t> last_read_ms_{INT64_MIN / 2};
  mutable std::atomic<uint64_t> hits_{0};
};

}  // namespace unimq::storage::journal
