// Fixed-size log-linear latency histogram (HDR style): 128 linear sub-buckets per power of two,
// so every recorded value is kept with < 1% relative error. record() never allocates.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace unimq::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;                       // 128 sub-buckets per octave
  static constexpr uint64_t kSubCount = 1ull << kSubBits;  // 128
  static constexpr uint64_t kHalf = kSubCount / 2;         // 64
  static constexpr int kMaxBits = 44;                      // values up to ~4.8 h in ns
  static constexpr size_t kBuckets = (kMaxBits - kSubBits + 1) * kHalf + kHalf;

  void record(uint64_t v) {
    counts_[index_of(v)]++;
    total_++;
    sum_ += v;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }

  void merge(const Histogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  uint64_t count() const { return total_; }
  uint64_t min() const { return total_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }

  // Value at quantile q in [0,1]: the midpoint of the bucket holding that rank, clamped to
  // [min, max].
  uint64_t percentile(double q) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.5);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) {
        uint64_t lo = value_of(i);
        uint64_t hi = value_of(i + 1);
        return std::clamp<uint64_t>(lo + (hi - lo) / 2, min(), max_);
      }
    }
    return max_;
  }

  static size_t index_of(uint64_t v) {
    const uint64_t cap = (1ull << kMaxBits) - 1;
    if (v > cap) v = cap;
    int msb = 63 - std::countl_zero(v | 1);
    if (msb < kSubBits) return static_cast<size_t>(v);
    int shift = msb - kSubBits + 1;
    return static_cast<size_t>(shift) * kHalf + static_cast<size_t>(v >> shift);
  }

  // Lowest value that maps to bucket i.
  static uint64_t value_of(size_t i) {
    if (i < kSubCount) return i;
    uint64_t shift = (i >> (kSubBits - 1)) - 1;
    uint64_t sub = i - shift * kHalf;
    return sub << shift;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace unimq::bench
