#include "protocol/kafka/codec/reader.h"

namespace unimq::kafka::codec {

uint32_t Reader::uvarint() {
  uint64_t v = uvarlong();
  if (v > 0xffffffffu) {
    fail();
    return 0;
  }
  return uint32_t(v);
}

uint64_t Reader::uvarlong() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (!take(1)) return 0;
    const uint8_t b = data_[pos_ - 1];
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  fail();
  return 0;
}

int64_t Reader::length(bool compact, bool is_bytes) {
  int64_t n;
  if (compact)
    n = int64_t(uvarint()) - 1;
  else
    n = is_bytes ? int64_t(i32()) : int64_t(i16());
  if (!ok_ || n < -1 || n > int64_t(remaining())) {
    fail();
    return -2;
  }
  return n;
}

std::string Reader::string(bool compact) {
  const int64_t n = length(compact, false);
  if (n < 0) {
    fail();  // null where a string is required
    return {};
  }
  auto b = raw(size_t(n));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::optional<std::string> Reader::nullable_string(bool compact) {
  const int64_t n = length(compact, false);
  if (n < 0) return std::nullopt;
  auto b = raw(size_t(n));
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::vector<uint8_t> Reader::bytes(bool compact) {
  const int64_t n = length(compact, true);
  if (n < 0) {
    fail();
    return {};
  }
  auto b = raw(size_t(n));
  return std::vector<uint8_t>(b.begin(), b.end());
}

std::optional<std::vector<uint8_t>> Reader::nullable_bytes(bool compact) {
  const int64_t n = length(compact, true);
  if (n < 0) return std::nullopt;
  auto b = raw(size_t(n));
  return std::vector<uint8_t>(b.begin(), b.end());
}

Records Reader::records(bool compact) {
  const int64_t n = length(compact, true);
  if (n < 0) return Records{};
  auto b = raw(size_t(n));
  return Records::of(b);
}

int32_t Reader::array_len(bool compact) {
  int64_t n = compact ? int64_t(uvarint()) - 1 : int64_t(i32());
  if (!ok_ || n < -1 || n > int64_t(remaining())) {
    fail();
    return 0;
  }
  return int32_t(n);
}

}  // namespace unimq::kafka::codec
