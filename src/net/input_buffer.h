// Contiguous input buffer: bytes are read in at the end and consumed from the front. The
// unconsumed tail is compacted to the front before reading more, so the buffer grows only when
// one packet is larger than what fits (bounded by the protocol's packet-size limit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace unimq::net {

class InputBuffer {
 public:
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  std::span<const uint8_t> data() const { return {buf_.data() + begin_, end_ - begin_}; }
  uint8_t* mutable_data() { return buf_.data() + begin_; }

  // Returns writable space at the end: at most `n` bytes, at least min(n, 4096) (unless the
  // caller asks for less). Compacts before growing.
  std::span<uint8_t> prepare(size_t n) {
    if (begin_ == end_) begin_ = end_ = 0;
    if (buf_.size() - end_ < n && begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    size_t want_min = n < 4096 ? n : 4096;
    if (buf_.size() < n || buf_.size() - end_ < want_min) {
      size_t target = end_ + n;
      if (target < 2 * buf_.size()) target = 2 * buf_.size();
      buf_.resize(target);
    }
    size_t free = buf_.size() - end_;
    return {buf_.data() + end_, free < n ? free : n};
  }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Gives memory back after a burst of huge packets, once nothing is buffered.
  void maybe_shrink(size_t keep) {
    if (begin_ == end_ && buf_.size() > 4 * keep) std::vector<uint8_t>().swap(buf_);
  }
  void clear() { begin_ = end_ = 0; }

 private:
  std::vector<uint8_t> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace unimq::net
