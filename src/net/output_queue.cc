#include "net/output_queue.h"

#include <algorithm>

namespace unimq::net {

void OutputBatch::append_copy(const uint8_t* data, size_t len) {
  if (len == 0) return;
  size_t off = copy_.size();
  copy_.insert(copy_.end(), data, data + len);
  // Consecutive copied sends become one iovec.
  if (!segs_.empty() && segs_.back().ptr == nullptr &&
      segs_.back().offset + segs_.back().len == off) {
    segs_.back().len += len;
  } else {
    segs_.push_back(Segment{nullptr, off, len, nullptr});
  }
  payload_ += len;
}

void OutputBatch::append_shared(const uint8_t* data, size_t len, PayloadOwner owner) {
  if (len == 0) return;
  segs_.push_back(Segment{data, 0, len, std::move(owner)});
  payload_ += len;
}

size_t OutputBatch::gather(IoSlice* out, size_t max) const {
  size_t added = 0;
  if (written_ < prefix_.size() && added < max) {
    out[added++] = IoSlice{prefix_.data() + written_, prefix_.size() - written_};
  }
  for (size_t i = seg_index_; i < segs_.size() && added < max; ++i) {
    const Segment& s = segs_[i];
    const uint8_t* base = s.ptr != nullptr ? s.ptr : copy_.data() + s.offset;
    size_t skip = i == seg_index_ ? seg_offset_ : 0;
    out[added++] = IoSlice{base + skip, s.len - skip};
  }
  size_t body = prefix_.size() + payload_;
  if (!suffix_.empty() && added < max) {
    size_t skip = written_ > body ? written_ - body : 0;
    if (skip < suffix_.size()) out[added++] = IoSlice{suffix_.data() + skip, suffix_.size() - skip};
  }
  return added;
}

void OutputBatch::consume(size_t n) {
  size_t before = written_;
  written_ += n;
  size_t in_prefix = 0;
  if (before < prefix_.size()) in_prefix = std::min(n, prefix_.size() - before);
  size_t left = n - in_prefix;
  while (left > 0 && seg_index_ < segs_.size()) {
    Segment& s = segs_[seg_index_];
    size_t avail = s.len - seg_offset_;
    if (left < avail) {
      seg_offset_ += left;
      break;
    }
    left -= avail;
    s.owner.reset();  // written: let the payload go now, not at the end of the batch
    ++seg_index_;
    seg_offset_ = 0;
  }
}

void OutputBatch::clear() {
  // Keep capacity for the steady state, but give back what one huge burst grew.
  constexpr size_t kKeepBytes = 256 * 1024;
  constexpr size_t kKeepSegments = 4096;
  if (copy_.capacity() > kKeepBytes) {
    std::vector<uint8_t>().swap(copy_);
  } else {
    copy_.clear();
  }
  if (segs_.capacity() > kKeepSegments) {
    std::vector<Segment>().swap(segs_);
  } else {
    segs_.clear();
  }
  prefix_.clear();
  suffix_.clear();
  payload_ = 0;
  written_ = 0;
  seg_index_ = 0;
  seg_offset_ = 0;
}

namespace {
template <typename V>
void free_above(V& v, size_t keep_bytes) {
  if (v.capacity() * sizeof(typename V::value_type) > keep_bytes) V().swap(v);
}
}  // namespace

void OutputBatch::trim(size_t keep_bytes) {
  free_above(copy_, keep_bytes);
  free_above(segs_, keep_bytes);
  free_above(prefix_, keep_bytes);
  free_above(suffix_, keep_bytes);
}

}  // namespace unimq::net
