// CRC32C (Castagnoli), the checksum of Kafka RecordBatch v2. SSE4.2 has a dedicated
// instruction; the portable fallback is slicing-by-8 over generated tables.
#include <nmmintrin.h>

#include <array>
#include <cstring>

#include "storage/record_batch.h"

namespace unimq::storage {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}

constexpr Tables kTables = make_tables();

uint32_t crc32c_table(const uint8_t* p, size_t n, uint32_t c) {
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);  // little-endian host (x86)
    w ^= c;
    c = kTables[7][w & 0xFF] ^ kTables[6][(w >> 8) & 0xFF] ^ kTables[5][(w >> 16) & 0xFF] ^
        kTables[4][(w >> 24) & 0xFF] ^ kTables[3][(w >> 32) & 0xFF] ^ kTables[2][(w >> 40) & 0xFF] ^
        kTables[1][(w >> 48) & 0xFF] ^ kTables[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
  return c;
}

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const uint8_t* p, size_t n, uint32_t c) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  c = static_cast<uint32_t>(c64);
  while (n--) c = _mm_crc32_u8(c, *p++);
  return c;
}

using CrcFn = uint32_t (*)(const uint8_t*, size_t, uint32_t);

CrcFn pick_impl() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") ? crc32c_sse42 : crc32c_table;
}

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t len, uint32_t crc) {
  static const CrcFn impl = pick_impl();
  return ~impl(data, len, ~crc);
}

// Exposed for tests: both implementations must agree.
uint32_t crc32c_portable(const uint8_t* data, size_t len, uint32_t crc) {
  return ~crc32c_table(data, len, ~crc);
}

}  // namespace unimq::storage
