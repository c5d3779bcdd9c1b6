// CRC32C (Castagnoli), the checksum of Kafka RecordBatch v2, checked on every produced batch.
// Intel's ISA-L computes it (crc32_iscsi picks the CPU's best kernel: folding with
// (V)PCLMULQDQ, ~50 GB/s here, against ~8 GB/s for a plain loop of SSE4.2 crc32
// instructions). The slicing-by-8 version below is the reference the tests check it against.
#include <isa-l/crc.h>

#include <algorithm>
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

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t len, uint32_t crc) {
  // ISA-L neither inverts on entry nor on exit, and takes an int length.
  uint32_t c = ~crc;
  constexpr size_t kChunk = size_t(1) << 30;
  while (len > 0) {
    const size_t n = std::min(len, kChunk);
    c = crc32_iscsi(const_cast<uint8_t*>(data), static_cast<int>(n), c);
    data += n;
    len -= n;
  }
  return ~c;
}

// Exposed for tests: both implementations must agree.
uint32_t crc32c_portable(const uint8_t* data, size_t len, uint32_t crc) {
  return ~crc32c_table(data, len, ~crc);
}

}  // namespace unimq::storage
