// Big-endian writer for the Kafka codecs. Bytes go to an owned buffer, except Records with an
// owner, which are kept as external segments (zero-copy): segments() lists the output in
// order as (owned range | external span) so a connection can send it with send/send_shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/kafka/codec/types.h"

namespace unimq::kafka::codec {

class Writer {
 public:
  struct External {
    size_t at;  // position in buf() where these bytes belong
    const uint8_t* data;
    size_t size;
    std::shared_ptr<const void> owner;
  };

  void i8(int8_t v) { buf_.push_back(uint8_t(v)); }
  void i16(int16_t v) { be(uint16_t(v)); }
  void u16(uint16_t v) { be(v); }
  void i32(int32_t v) { be(uint32_t(v)); }
  void u32(uint32_t v) { be(v); }
  void i64(int64_t v) { be(uint64_t(v)); }
  void f64(double d) {
    uint64_t u;
    std::memcpy(&u, &d, sizeof u);
    be(u);
  }
  void boolean(bool b) { buf_.push_back(b ? 1 : 0); }
  void uuid(const Uuid& u) { raw(u.bytes); }
  void uvarint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(uint8_t(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(uint8_t(v));
  }
  void varint(int32_t v) { uvarint(uint32_t((uint32_t(v) << 1) ^ uint32_t(v >> 31))); }
  void varlong(int64_t v) { uvarint((uint64_t(v) << 1) ^ uint64_t(v >> 63)); }

  void string(std::string_view s, bool compact) {
    length(int64_t(s.size()), compact, false);
    raw({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }
  void nullable_string(const std::optional<std::string>& s, bool compact) {
    if (!s)
      length(-1, compact, false);
    else
      string(*s, compact);
  }
  void bytes(std::span<const uint8_t> b, bool compact) {
    length(int64_t(b.size()), compact, true);
    raw(b);
  }
  void nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact) {
    if (!b)
      length(-1, compact, true);
    else
      bytes(*b, compact);
  }
  void records(const Records& r, bool compact);
  void array_len(int32_t n, bool compact) {
    if (compact)
      uvarint(uint64_t(int64_t(n) + 1));
    else
      i32(n);
  }

  void raw(std::span<const uint8_t> b) { buf_.insert(buf_.end(), b.begin(), b.end()); }
  // Appends another writer's output (external segments are copied in).
  void append(const Writer& other);
  void put_i32_at(size_t pos, int32_t v) {
    for (int i = 0; i < 4; ++i) buf_[pos + size_t(i)] = uint8_t(uint32_t(v) >> (24 - 8 * i));
  }

  size_t size() const { return buf_.size() + external_bytes_; }
  const std::vector<uint8_t>& buf() const { return buf_; }
  std::vector<uint8_t>& buf() { return buf_; }
  const std::vector<External>& externals() const { return externals_; }
  // Calls owned(span) and external(External) for the output in order.
  void for_each_segment(const std::function<void(std::span<const uint8_t>)>& owned,
                        const std::function<void(const External&)>& external) const;
  // The whole output as one contiguous buffer (copies externals; tests and small answers).
  std::vector<uint8_t> flatten() const;
  void clear() {
    buf_.clear();
    externals_.clear();
    external_bytes_ = 0;
  }

 private:
  template <typename U>
  void be(U v) {
    for (size_t i = sizeof(U); i-- > 0;) buf_.push_back(uint8_t(v >> (8 * i)));
  }
  void length(int64_t n, bool compact, bool is_bytes) {
    if (compact)
      uvarint(uint64_t(n + 1));
    else if (is_bytes)
      i32(int32_t(n));
    else
      i16(int16_t(n));
  }

  std::vector<uint8_t> buf_;
  std::vector<External> externals_;
  size_t external_bytes_ = 0;
};

}  // namespace unimq::kafka::codec
