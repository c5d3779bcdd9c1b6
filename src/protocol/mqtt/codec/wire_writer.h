// Encoding helpers (internal to the codec). Every packet body is written by one generic
// lambda run twice: once into a SizeSink to learn the remaining length, then into a
// PtrSink over pre-sized output. No intermediate buffers, one resize per packet.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "protocol/mqtt/codec/packet.h"
#include "protocol/mqtt/codec/properties.h"

namespace unimq::mqtt {

// Strings longer than this cannot be represented; the encoder truncates them.
constexpr size_t kMaxStringLength = 65535;

// Must agree byte-for-byte with PtrSink::varint (values >= 2^28 take 5 bytes: invalid MQTT,
// but never a buffer overrun).
inline size_t varint_size(uint32_t v) {
  return v < (1u << 7) ? 1 : v < (1u << 14) ? 2 : v < (1u << 21) ? 3 : v < (1u << 28) ? 4 : 5;
}

class SizeSink {
 public:
  void u8(uint8_t) { n_ += 1; }
  void u16(uint16_t) { n_ += 2; }
  void u32(uint32_t) { n_ += 4; }
  void varint(uint32_t v) { n_ += varint_size(v); }
  void raw(std::string_view b) { n_ += b.size(); }
  void str(std::string_view s) { n_ += 2 + std::min(s.size(), kMaxStringLength); }
  void props(const Properties& p, PropCtx ctx) {
    const size_t len = properties_length(p, ctx);
    n_ += varint_size(static_cast<uint32_t>(len)) + len;
  }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
};

class PtrSink {
 public:
  explicit PtrSink(uint8_t* p) : p_(p) {}
  void u8(uint8_t v) { *p_++ = v; }
  void u16(uint16_t v) {
    p_[0] = static_cast<uint8_t>(v >> 8);
    p_[1] = static_cast<uint8_t>(v);
    p_ += 2;
  }
  void u32(uint32_t v) {
    p_[0] = static_cast<uint8_t>(v >> 24);
    p_[1] = static_cast<uint8_t>(v >> 16);
    p_[2] = static_cast<uint8_t>(v >> 8);
    p_[3] = static_cast<uint8_t>(v);
    p_ += 4;
  }
  void varint(uint32_t v) {
    do {
      uint8_t b = v & 0x7F;
      v >>= 7;
      if (v) b |= 0x80;
      *p_++ = b;
    } while (v);
  }
  void raw(std::string_view b) {
    if (!b.empty()) std::memcpy(p_, b.data(), b.size());
    p_ += b.size();
  }
  void str(std::string_view s) {
    s = s.substr(0, std::min(s.size(), kMaxStringLength));
    u16(static_cast<uint16_t>(s.size()));
    raw(s);
  }
  void props(const Properties& p, PropCtx ctx) { p_ = write_properties(p, ctx, p_); }
  uint8_t* pos() const { return p_; }

 private:
  uint8_t* p_;
};

// Appends fixed header + body to out. body is a generic callable taking (auto& sink).
// extra = bytes the caller will append itself after the body (zero-copy PUBLISH payload);
// they count in the remaining length but are not written. Returns bytes appended.
template <class Body>
size_t encode_packet(uint8_t first_byte, std::vector<uint8_t>& out, Body&& body, size_t extra = 0) {
  SizeSink size;
  body(size);
  const auto remaining = static_cast<uint32_t>(size.size() + extra);
  const size_t n = 1 + varint_size(remaining) + size.size();
  const size_t base = out.size();
  out.resize(base + n);
  PtrSink w(out.data() + base);
  w.u8(first_byte);
  w.varint(remaining);
  body(w);
  return n;
}

}  // namespace unimq::mqtt
