// Bounds-checked big-endian reader over one packet body (internal to the codec).
// Every read either succeeds or records a DecodeError and returns false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/mqtt/codec/decoder.h"

namespace unimq::mqtt {

class WireReader {
 public:
  WireReader(const uint8_t* data, size_t size, DecodeError& err)
      : p_(data), end_(data + size), err_(&err) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool at_end() const { return p_ == end_; }

  bool fail(uint8_t reason_code, const char* message) {
    err_->reason_code = reason_code;
    err_->message = message;
    return false;
  }
  bool malformed(const char* message) { return fail(reason::MalformedPacket, message); }
  bool protocol_error(const char* message) { return fail(reason::ProtocolError, message); }
  bool expect_end() { return at_end() || malformed("unexpected trailing bytes"); }

  bool u8(uint8_t& v) {
    if (p_ == end_) return truncated();
    v = *p_++;
    return true;
  }
  bool u16(uint16_t& v) {
    if (remaining() < 2) return truncated();
    v = static_cast<uint16_t>(p_[0] << 8 | p_[1]);
    p_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    if (remaining() < 4) return truncated();
    v = uint32_t(p_[0]) << 24 | uint32_t(p_[1]) << 16 | uint32_t(p_[2]) << 8 | uint32_t(p_[3]);
    p_ += 4;
    return true;
  }
  // Variable byte integer, at most 4 bytes (MQTT 1.5.5).
  bool varint(uint32_t& v) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (p_ == end_) return truncated();
      const uint8_t b = *p_++;
      value |= uint32_t(b & 0x7F) << (7 * i);
      if (!(b & 0x80)) {
        v = value;
        return true;
      }
    }
    return malformed("variable byte integer longer than 4 bytes");
  }
  // Two-byte length prefixed bytes, not validated.
  bool binary_view(std::string_view& out) {
    uint16_t len;
    if (!u16(len)) return false;
    if (remaining() < len) return truncated();
    out = std::string_view(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return true;
  }
  bool binary(std::string& out) {
    std::string_view v;
    if (!binary_view(v)) return false;
    out.assign(v);
    return true;
  }
  // Two-byte length prefixed UTF-8 string, validated per MQTT 1.5.4.
  bool utf8_view(std::string_view& out) {
    if (!binary_view(out)) return false;
    return valid_mqtt_utf8(out) || malformed("invalid UTF-8 string");
  }
  bool utf8(std::string& out) {
    std::string_view v;
    if (!utf8_view(v)) return false;
    out.assign(v);
    return true;
  }
  // Splits off the next n bytes as their own reader (sharing the error sink).
  bool sub(size_t n, WireReader& out) {
    if (remaining() < n) return truncated();
    out = WireReader(p_, n, *err_);
    p_ += n;
    return true;
  }
  std::string_view rest() {
    std::string_view v(reinterpret_cast<const char*>(p_), remaining());
    p_ = end_;
    return v;
  }

 private:
  bool truncated() { return malformed("field extends past the end of the packet"); }

  const uint8_t* p_;
  const uint8_t* end_;
  DecodeError* err_;
};

}  // namespace unimq::mqtt
