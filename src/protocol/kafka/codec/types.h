// Value types shared by the generated Kafka codecs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace unimq::kafka::codec {

struct Uuid {
  std::array<uint8_t, 16> bytes{};
  bool is_zero() const {
    for (auto b : bytes)
      if (b) return false;
    return true;
  }
  bool operator==(const Uuid&) const = default;
};

// A Kafka "records" field: raw RecordBatch bytes, never parsed by the codec. On decode it points
// into the request buffer (valid while that buffer is). On encode, when `owner` is set the bytes
// are not copied: Writer records them as an external segment that the connection sends
// zero-copy, and `owner` keeps them alive until written.
struct Records {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool is_null = true;
  std::shared_ptr<const void> owner;

  std::span<const uint8_t> bytes() const { return {data, size}; }
  static Records of(std::span<const uint8_t> b, std::shared_ptr<const void> owner = {}) {
    return Records{b.data(), b.size(), false, std::move(owner)};
  }
  bool operator==(const Records& o) const {
    if (is_null || o.is_null) return is_null == o.is_null;
    if (size != o.size) return false;
    for (size_t i = 0; i < size; ++i)
      if (data[i] != o.data[i]) return false;
    return true;
  }
};

}  // namespace unimq::kafka::codec
