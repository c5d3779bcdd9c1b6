// One batch of outgoing bytes: copied sends (coalesced into one growable buffer) and shared,
// zero-copy payloads, in send order, plus an optional prefix written before them (WebSocket
// control frames and the data-frame header). A connection keeps two batches (one being written,
// one accumulating) and swaps them, so steady-state sends reuse capacity instead of allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "net/connection.h"

namespace unimq::net {

struct IoSlice {
  const void* data;
  size_t len;
};

class OutputBatch {
 public:
  void append_copy(const uint8_t* data, size_t len);
  void append_shared(const uint8_t* data, size_t len, PayloadOwner owner);
  // Bytes written before / after the segments (not counted in payload_bytes()). Fill them
  // only before writing starts.
  std::vector<uint8_t>& prefix() { return prefix_; }
  std::vector<uint8_t>& suffix() { return suffix_; }

  size_t payload_bytes() const { return payload_; }
  bool empty() const { return payload_ == 0 && prefix_.empty() && suffix_.empty(); }
  // Bytes not yet written (prefix included).
  size_t remaining() const { return prefix_.size() + payload_ + suffix_.size() - written_; }

  // Fills up to `max` slices from the write cursor on; returns how many were filled.
  size_t gather(IoSlice* out, size_t max) const;
  // Advances the write cursor; owners of fully written segments are released right away.
  void consume(size_t n);
  // Drops everything (releases owners) but keeps the vectors' capacity (up to a bound).
  void clear();
  // After clear(): frees every buffer whose capacity exceeds `keep_bytes`, for batches kept
  // by idle connections. Nothing is ever reserved up front.
  void trim(size_t keep_bytes);

 private:
  struct Segment {
    const uint8_t* ptr;  // nullptr: bytes live in copy_ at `offset`
    size_t offset;
    size_t len;
    PayloadOwner owner;
  };
  std::vector<uint8_t> copy_;
  std::vector<Segment> segs_;
  std::vector<uint8_t> prefix_;
  std::vector<uint8_t> suffix_;
  size_t payload_ = 0;
  size_t written_ = 0;  // total written: prefix, segments, suffix
  // Write cursor: position inside prefix, then segment index + offset inside it.
  size_t seg_index_ = 0;
  size_t seg_offset_ = 0;
};

}  // namespace unimq::net
