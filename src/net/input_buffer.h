// Contiguous input buffer: bytes are read in at the end and consumed from the front. The
// unconsumed tail is compacted to the front before reading more, so the buffer grows only when
// one packet is larger than what fits (bounded by the protocol's packet-size limit).
//
// The storage is never zero-filled (it is about to be overwritten by a read), and growing
// copies only the unconsumed bytes: a 1 MiB Kafka produce request assembled from 64 KiB reads
// costs one copy, not a memset plus a copy per doubling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace unimq::net {

class InputBuffer {
 public:
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  size_t capacity() const { return cap_; }
  std::span<const uint8_t> data() const { return {buf_.get() + begin_, end_ - begin_}; }
  uint8_t* mutable_data() { return buf_.get() + begin_; }

  // Returns writable space at the end: at most `n` bytes, at least min(n, 4096) (unless the
  // caller asks for less). Compacts before growing.
  std::span<uint8_t> prepare(size_t n) {
    if (begin_ == end_) begin_ = end_ = 0;
    if (cap_ - end_ < n && begin_ > 0) compact();
    const size_t want_min = n < 4096 ? n : 4096;
    if (cap_ < n || cap_ - end_ < want_min) {
      size_t target = end_ + n;
      if (target < 2 * cap_) target = 2 * cap_;
      reallocate(target);
    }
    const size_t free = cap_ - end_;
    return {buf_.get() + end_, free < n ? free : n};
  }
  // Makes room for `total` bytes counted from the front of the unconsumed data, in one
  // allocation: a protocol that knows the size of the frame it is assembling says so.
  void ensure_total(size_t total) {
    if (cap_ - begin_ >= total) return;
    if (cap_ >= total) {
      compact();
      return;
    }
    reallocate(total);
  }
  // The size of the frame being assembled, as the protocol announced it (0: unknown).
  size_t expected() const { return expected_; }
  void set_expected(size_t n) { expected_ = n; }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Gives memory back after a burst of huge packets, once nothing is buffered.
  void maybe_shrink(size_t keep) {
    if (begin_ == end_ && cap_ > 4 * keep) {
      buf_.reset();
      cap_ = 0;
    }
  }
  void clear() { begin_ = end_ = 0; }

 private:
  void compact() {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  void reallocate(size_t cap) {
    std::unique_ptr<uint8_t[]> fresh(new uint8_t[cap]);  // default-initialised: no memset
    if (end_ > begin_) std::memcpy(fresh.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    buf_ = std::move(fresh);
    cap_ = cap;
  }

  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t expected_ = 0;
};

// An InputBuffer created by the first write: most connections never hold a partial packet
// between reads, and then take 8 bytes instead of 40. Once created it stays (no churn).
class LazyInputBuffer {
 public:
  size_t size() const { return b_ ? b_->size() : 0; }
  bool empty() const { return !b_ || b_->empty(); }
  std::span<const uint8_t> data() const { return b_ ? b_->data() : std::span<const uint8_t>{}; }
  void clear() {
    if (b_) b_->clear();
  }
  void consume(size_t n) {
    if (b_) b_->consume(n);
  }
  void maybe_shrink(size_t keep) {
    if (b_) b_->maybe_shrink(keep);
  }
  InputBuffer& get() {
    if (!b_) b_ = std::make_unique<InputBuffer>();
    return *b_;
  }
  std::span<uint8_t> prepare(size_t n) { return get().prepare(n); }
  void commit(size_t n) { get().commit(n); }
  size_t expected() const { return b_ ? b_->expected() : 0; }
  void set_expected(size_t n) {
    if (n || b_) get().set_expected(n);
  }

 private:
  std::unique_ptr<InputBuffer> b_;
};

}  // namespace unimq::net
