// Bounds-checked big-endian reader and an appending writer for AMQP 0-9-1 payloads (used by
// the field-table code, the generated method codecs and the frame codec).
// The reader is sticky: after the first failure every read returns a zero value and ok() stays
// false, so decoders read all fields and check once at the end.
// The codec lives in unimq::amqp::codec so its wire structs (BasicProperties, QueueDeclare, ...)
// never clash with the broker model's types in unimq::amqp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace unimq::amqp::codec {

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  bool ok() const { return ok_; }
  const char* error() const { return error_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool at_end() const { return p_ == end_; }
  const uint8_t* position() const { return p_; }
  void fail(const char* why) {
    if (ok_) error_ = why;
    ok_ = false;
    p_ = end_;
  }

  uint8_t u8() {
    if (!need(1)) return 0;
    return *p_++;
  }
  uint16_t u16() {
    if (!need(2)) return 0;
    const uint16_t v = static_cast<uint16_t>(p_[0] << 8 | p_[1]);
    p_ += 2;
    return v;
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    const uint32_t v =
        uint32_t(p_[0]) << 24 | uint32_t(p_[1]) << 16 | uint32_t(p_[2]) << 8 | uint32_t(p_[3]);
    p_ += 4;
    return v;
  }
  uint64_t u64() {
    const uint64_t hi = u32();
    return hi << 32 | u32();
  }
  std::string_view bytes(size_t n) {
    if (!need(n)) return {};
    std::string_view v(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return v;
  }
  std::string shortstr() { return std::string(bytes(u8())); }
  std::string longstr() {
    const uint32_t n = u32();
    return std::string(bytes(n));
  }

 private:
  bool need(size_t n) {
    if (remaining() >= n) return true;
    fail("truncated");
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
  const char* error_ = "";
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}

  std::vector<uint8_t>& buffer() { return out_; }
  size_t size() const { return out_.size(); }

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void u64(uint64_t v) {
    u32(static_cast<uint32_t>(v >> 32));
    u32(static_cast<uint32_t>(v));
  }
  void raw(std::string_view b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // Short strings longer than 255 bytes are truncated (the wire cannot carry them).
  void shortstr(std::string_view s) {
    if (s.size() > 255) s = s.substr(0, 255);
    u8(static_cast<uint8_t>(s.size()));
    raw(s);
  }
  void longstr(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s);
  }
  // Writes a 32-bit placeholder; patch_u32 fills it once the length is known.
  size_t reserve_u32() {
    const size_t at = out_.size();
    u32(0);
    return at;
  }
  void patch_u32(size_t at, uint32_t v) {
    out_[at] = static_cast<uint8_t>(v >> 24);
    out_[at + 1] = static_cast<uint8_t>(v >> 16);
    out_[at + 2] = static_cast<uint8_t>(v >> 8);
    out_[at + 3] = static_cast<uint8_t>(v);
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace unimq::amqp::codec
