// Layout of the bench payload: send timestamp, publisher id and sequence number, then padding.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace unimq::bench {

// [0,8) steady_clock ns at send, [8,12) publisher id, [12,20) sequence number (little endian).
constexpr size_t kMinPayload = 20;

struct PayloadHeader {
  uint64_t send_ns = 0;
  uint32_t publisher = 0;
  uint64_t seq = 0;
};

inline uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

inline void write_payload_header(uint8_t* p, const PayloadHeader& h) {
  std::memcpy(p, &h.send_ns, 8);
  std::memcpy(p + 8, &h.publisher, 4);
  std::memcpy(p + 12, &h.seq, 8);
}

inline bool read_payload_header(const void* data, size_t size, PayloadHeader& h) {
  if (size < kMinPayload) return false;
  const auto* p = static_cast<const uint8_t*>(data);
  std::memcpy(&h.send_ns, p, 8);
  std::memcpy(&h.publisher, p + 8, 4);
  std::memcpy(&h.seq, p + 12, 8);
  return true;
}

}  // namespace unimq::bench
