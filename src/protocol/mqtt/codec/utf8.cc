// MQTT UTF-8 validation (MQTT 5 1.5.4 / 3.1.1 1.5.3): well-formed UTF-8 (RFC 3629: no
// overlongs, nothing above U+10FFFF), no UTF-16 surrogates, no U+0000.
#include <cstdint>
#include <cstring>

#include "protocol/mqtt/codec/decoder.h"

namespace unimq::mqtt {

bool valid_mqtt_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const end = p + s.size();
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  while (p < end) {
    // Fast path: 8 ASCII bytes at a time, none of them NUL.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & kHigh) break;
      if ((w - kOnes) & ~w & kHigh) return false;  // some byte is 0
      p += 8;
    }
    if (p == end) break;
    const unsigned c = *p;
    if (c < 0x80) {
      if (c == 0) return false;
      ++p;
      continue;
    }
    int extra;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
    if (c < 0xC2) {
      return false;  // stray continuation byte or overlong 2-byte form
    } else if (c < 0xE0) {
      extra = 1;
    } else if (c < 0xF0) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // U+D800..U+DFFF surrogates
    } else if (c < 0xF5) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += extra + 1;
  }
  return true;
}

}  // namespace unimq::mqtt
