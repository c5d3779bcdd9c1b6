// Kafka snappy: librdkafka and Go clients write one raw snappy block; the Java client (and
// kafka-python by default) write xerial's framing: "\x82SNAPPY\0", version i32, compatible
// version i32, then blocks of (compressed length i32 big-endian, raw snappy block).
#include <snappy-c.h>

#include <cstring>

#include "storage/compression/codecs.h"

namespace unimq::storage::compression {
namespace {

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeader = 16;

Status raw_block(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out,
                 size_t already) {
  size_t n = 0;
  if (snappy_uncompressed_length(reinterpret_cast<const char*>(in.data()), in.size(), &n) !=
      SNAPPY_OK)
    return corrupt_data("snappy: malformed block");
  if (n > max_out || already + n > max_out)
    return corrupt_data("snappy: decompressed data too large");
  const size_t start = out.size();
  out.resize(start + n);
  size_t got = n;
  if (::snappy_uncompress(reinterpret_cast<const char*>(in.data()), in.size(),
                          reinterpret_cast<char*>(out.data() + start), &got) != SNAPPY_OK ||
      got != n) {
    out.resize(start);
    return corrupt_data("snappy: malformed block");
  }
  return Status::Ok();
}

}  // namespace

Status snappy_decompress(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out) {
  if (in.size() < kXerialHeader || std::memcmp(in.data(), kXerialMagic, 8) != 0)
    return raw_block(in, out, max_out, 0);
  const size_t start = out.size();
  size_t pos = kXerialHeader;
  while (pos < in.size()) {
    if (in.size() - pos < 4) {
      out.resize(start);
      return corrupt_data("snappy: truncated xerial block length");
    }
    uint32_t len = (uint32_t(in[pos]) << 24) | (uint32_t(in[pos + 1]) << 16) |
                   (uint32_t(in[pos + 2]) << 8) | uint32_t(in[pos + 3]);
    pos += 4;
    if (len > in.size() - pos) {
      out.resize(start);
      return corrupt_data("snappy: truncated xerial block");
    }
    Status st = raw_block(in.subspan(pos, len), out, max_out, out.size() - start);
    if (!st.ok()) {
      out.resize(start);
      return st;
    }
    pos += len;
  }
  return Status::Ok();
}

Status snappy_compress(std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  size_t n = snappy_max_compressed_length(in.size());
  out.resize(start + n);
  if (::snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(),
                        reinterpret_cast<char*>(out.data() + start), &n) != SNAPPY_OK) {
    out.resize(start);
    return Status::Error(Errc::InvalidArgument, "snappy: compress failed");
  }
  out.resize(start + n);
  return Status::Ok();
}

}  // namespace unimq::storage::compression
