#include "storage/compression/compressed_batch.h"

#include "storage/record_batch.h"

namespace unimq::storage::compression {
namespace {

void put_be(uint8_t* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) *p++ = uint8_t(v >> (8 * i));
}

}  // namespace

Status encode_compressed_batch(std::span<const AppendRecord> records, int64_t now_ms, Codec codec,
                               std::vector<uint8_t>& out) {
  std::vector<uint8_t> plain;
  encode_batch(records, now_ms, plain);
  if (codec == Codec::None) {
    out.insert(out.end(), plain.begin(), plain.end());
    return Status::Ok();
  }
  const size_t start = out.size();
  out.insert(out.end(), plain.begin(), plain.begin() + kBatchHeaderSize);
  Status st = compress(codec, std::span<const uint8_t>(plain).subspan(kBatchHeaderSize), out);
  if (!st.ok()) {
    out.resize(start);
    return st;
  }
  uint8_t* h = out.data() + start;
  const size_t total = out.size() - start;
  put_be(h + kBatchLengthOffset, uint32_t(total - 12), 4);
  put_be(h + 21, uint16_t(int(codec) & 0x7), 2);  // attributes: codec, CreateTime
  put_be(h + kBatchCrcOffset, crc32c(h + kBatchCrcCoveredFrom, total - kBatchCrcCoveredFrom), 4);
  return Status::Ok();
}

}  // namespace unimq::storage::compression
