// Bounds-checked big-endian reader over a byte span for the Kafka codecs. Never reads past the
// end: a short or invalid read sets the error flag, returns a zero value, and every later read
// fails too, so decode() reports malformed once at the end. Pure, no allocation of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/kafka/codec/types.h"

namespace unimq::kafka::codec {

class Reader {
 public:
  Reader() = default;
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  void fail() {
    ok_ = false;
    pos_ = data_.size();
  }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }

  int8_t i8() { return int8_t(be<uint8_t>()); }
  int16_t i16() { return int16_t(be<uint16_t>()); }
  uint16_t u16() { return be<uint16_t>(); }
  int32_t i32() { return int32_t(be<uint32_t>()); }
  uint32_t u32() { return be<uint32_t>(); }
  int64_t i64() { return int64_t(be<uint64_t>()); }
  double f64() {
    uint64_t u = be<uint64_t>();
    double d;
    std::memcpy(&d, &u, sizeof d);
    return d;
  }
  bool boolean() { return be<uint8_t>() != 0; }
  Uuid uuid() {
    Uuid u;
    if (take(16)) std::memcpy(u.bytes.data(), data_.data() + pos_ - 16, 16);
    return u;
  }

  uint32_t uvarint();
  uint64_t uvarlong();
  int32_t varint() {
    uint32_t u = uvarint();
    return int32_t((u >> 1) ^ -(u & 1));
  }
  int64_t varlong() {
    uint64_t u = uvarlong();
    return int64_t((u >> 1) ^ -(u & 1));
  }

  std::string string(bool compact);
  std::optional<std::string> nullable_string(bool compact);
  std::vector<uint8_t> bytes(bool compact);
  std::optional<std::vector<uint8_t>> nullable_bytes(bool compact);
  Records records(bool compact);
  // Array element count; -1 = null. Fails when the count cannot fit in what is left.
  int32_t array_len(bool compact);

  // Skips a tagged-field section (flexible versions) whose tags are all unknown.
  void skip_tagged_fields() {
    const uint32_t n = uvarint();
    for (uint32_t i = 0; i < n && ok_; ++i) {
      uvarint();
      take(uvarint());
    }
  }
  // A reader over the next n bytes; this reader skips them (fails if fewer are left).
  Reader sub(size_t n) {
    if (!take(n)) return Reader::failed();
    return Reader(data_.subspan(pos_ - n, n));
  }
  std::span<const uint8_t> raw(size_t n) {
    if (!take(n)) return {};
    return data_.subspan(pos_ - n, n);
  }

 private:
  static Reader failed() {
    Reader r;
    r.ok_ = false;
    return r;
  }
  bool take(size_t n) {
    if (!ok_ || remaining() < n) {
      fail();
      return false;
    }
    pos_ += n;
    return true;
  }
  template <typename U>
  U be() {
    if (!take(sizeof(U))) return 0;
    U v = 0;
    for (size_t i = 0; i < sizeof(U); ++i) v = U((v << 8) | data_[pos_ - sizeof(U) + i]);
    return v;
  }
  // Length of a (compact) string/bytes: -1 = null, -2 = invalid.
  int64_t length(bool compact, bool is_bytes);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace unimq::kafka::codec
