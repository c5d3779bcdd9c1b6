#include <gtest/gtest.h>

#include <random>

#include "storage/record_batch.h"

namespace unimq::storage {
uint32_t crc32c_portable(const uint8_t* data, size_t len, uint32_t crc);  // crc32c.cc
}

namespace unimq::storage {
namespace {

std::vector<uint8_t> encode(const std::vector<AppendRecord>& recs, int64_t now = 1000) {
  std::vector<uint8_t> out;
  encode_batch(recs, now, out);
  return out;
}

TEST(Crc32c, KnownVectors) {
  const std::string s = "123456789";
  EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0);
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
  std::vector<uint8_t> ones(32, 0xFF);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
}

TEST(Crc32c, HardwareMatchesTableAndChains) {
  std::mt19937 rng(7);
  std::vector<uint8_t> data(4099);
  for (auto& b : data) b = uint8_t(rng());
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len : {0ul, 1ul, 7ul, 8ul, 9ul, 63ul, 64ul, 1000ul, 4090ul}) {
      ASSERT_EQ(crc32c(data.data() + off, len), crc32c_portable(data.data() + off, len, 0))
          << off << "/" << len;
    }
  }
  uint32_t whole = crc32c(data.data(), data.size());
  uint32_t part = crc32c(data.data() + 1000, data.size() - 1000, crc32c(data.data(), 1000));
  EXPECT_EQ(whole, part);
}

// Three batches back to back (offsets 10-11, 12-13, 14-15) and a torn fourth.
TEST(RecordBatch, WholeBatchesStopsAtTornBatchEndOffsetAndMaxBytes) {
  std::vector<uint8_t> log;
  size_t one = 0;
  for (int64_t base : {10, 12, 14, 16}) {
    std::vector<uint8_t> b = encode(std::vector<AppendRecord>(2));
    set_base_offset(b, base);
    one = b.size();
    log.insert(log.end(), b.begin(), b.end());
  }
  log.resize(log.size() - 1);  // the fourth batch is cut short
  int64_t next = -1;
  EXPECT_EQ(whole_batches(log, INT64_MAX, SIZE_MAX, next), 3 * one);
  EXPECT_EQ(next, 16);
  EXPECT_EQ(whole_batches(log, 14, SIZE_MAX, next), 2 * one);  // none at or past end_offset
  EXPECT_EQ(next, 14);
  EXPECT_EQ(whole_batches(log, INT64_MAX, 2 * one + 1, next), 2 * one);
  EXPECT_EQ(whole_batches(log, INT64_MAX, 1, next), one);  // the first one whatever max_bytes
  EXPECT_EQ(next, 12);
  next = -1;
  EXPECT_EQ(whole_batches(log, 10, SIZE_MAX, next), 0u);
  EXPECT_EQ(whole_batches(std::span(log).first(one - 1), INT64_MAX, SIZE_MAX, next), 0u);
  EXPECT_EQ(next, -1);  // untouched when no batch is counted
}

TEST(RecordBatch, RoundTripKeysHeadersTimestamps) {
  std::vector<AppendRecord> recs(4);
  recs[0].key = std::nullopt;
  recs[0].value = "first";
  recs[0].timestamp_ms = 5000;
  recs[1].key = std::string_view("key-1");
  recs[1].value = "";
  recs[1].timestamp_ms = 4000;  // earlier than the base: negative delta
  recs[1].headers = {{"h1", "v1"}, {"h2", ""}};
  recs[2].key = std::string_view("");
  recs[2].value = std::string_view("\0binary\xff", 8);
  recs[2].timestamp_ms = 9000;
  recs[3].value = "now";
  recs[3].timestamp_ms = 0;  // stamped with now_ms
  std::vector<uint8_t> batch = encode(recs, 7000);
  ASSERT_TRUE(validate_batch(batch).ok());

  BatchHeader h;
  ASSERT_TRUE(parse_batch_header(batch, h).ok());
  EXPECT_EQ(h.total_size(), batch.size());
  EXPECT_EQ(h.magic, 2);
  EXPECT_EQ(h.attributes, 0);
  EXPECT_EQ(h.last_offset_delta, 3);
  EXPECT_EQ(h.record_count, 4);
  EXPECT_EQ(h.base_timestamp, 5000);  // first record
  EXPECT_EQ(h.max_timestamp, 9000);
  EXPECT_EQ(h.producer_id, -1);
  EXPECT_EQ(h.producer_epoch, -1);
  EXPECT_EQ(h.base_sequence, -1);

  set_base_offset(batch, 100);
  ASSERT_TRUE(validate_batch(batch).ok()) << "baseOffset is outside the CRC";
  std::vector<Record> out;
  ASSERT_TRUE(decode_batch(batch, out).ok());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].offset, 100);
  EXPECT_FALSE(out[0].key.has_value());
  EXPECT_EQ(out[0].value, "first");
  EXPECT_EQ(out[0].timestamp_ms, 5000);
  EXPECT_TRUE(out[0].headers.empty());
  EXPECT_EQ(out[1].offset, 101);
  EXPECT_EQ(out[1].key, "key-1");
  EXPECT_EQ(out[1].value, "");
  EXPECT_EQ(out[1].timestamp_ms, 4000);
  EXPECT_EQ(out[1].headers, (std::vector<Header>{{"h1", "v1"}, {"h2", ""}}));
  EXPECT_EQ(out[2].key, "");
  EXPECT_EQ(out[2].value, std::string("\0binary\xff", 8));
  EXPECT_EQ(out[2].timestamp_ms, 9000);
  EXPECT_EQ(out[3].offset, 103);
  EXPECT_EQ(out[3].timestamp_ms, 7000);
}

// Byte-exact layout of a one-record batch, written out by hand from the Kafka spec.
TEST(RecordBatch, GoldenBytes) {
  AppendRecord r;
  r.key = std::string_view("k");
  r.value = "v";
  r.timestamp_ms = 0x0102;
  r.headers = {{"h", "x"}};
  std::vector<uint8_t> batch = encode({r});
  const std::vector<uint8_t> record = {0x18,       // length 12, zigzag
                                       0x00,       // attributes
                                       0x00,       // timestampDelta 0
                                       0x00,       // offsetDelta 0
                                       0x02, 'k',  // key length 1
                                       0x02, 'v',  // value length 1
                                       0x02,       // one header
                                       0x02, 'h', 0x02, 'x'};
  ASSERT_EQ(batch.size(), kBatchHeaderSize + record.size());
  EXPECT_EQ(std::vector<uint8_t>(batch.begin() + kBatchHeaderSize, batch.end()), record);
  const std::vector<uint8_t> head = {0,    0,    0,    0,
                                     0,    0,    0,    0,                            // baseOffset
                                     0,    0,    0,    uint8_t(49 + record.size()),  // batchLength
                                     0xFF, 0xFF, 0xFF, 0xFF,  // partitionLeaderEpoch -1
                                     2};                      // magic
  EXPECT_EQ(std::vector<uint8_t>(batch.begin(), batch.begin() + 17), head);
  const std::vector<uint8_t> tail = {
      0,    0,                                         // attributes
      0,    0,    0,    0,                             // lastOffsetDelta
      0,    0,    0,    0,    0,    0,    0x01, 0x02,  // baseTimestamp
      0,    0,    0,    0,    0,    0,    0x01, 0x02,  // maxTimestamp
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // producerId -1
      0xFF, 0xFF,                                      // producerEpoch -1
      0xFF, 0xFF, 0xFF, 0xFF,                          // baseSequence -1
      0,    0,    0,    1};                            // recordCount
  EXPECT_EQ(std::vector<uint8_t>(batch.begin() + 21, batch.begin() + kBatchHeaderSize), tail);
  uint32_t crc =
      uint32_t(batch[17]) << 24 | uint32_t(batch[18]) << 16 | uint32_t(batch[19]) << 8 | batch[20];
  EXPECT_EQ(crc, crc32c(batch.data() + 21, batch.size() - 21));
}

TEST(RecordBatch, LargeVarintsRoundTrip) {
  std::string big_key(300, 'k'), big_value(70000, 'v');
  std::vector<AppendRecord> recs(200);
  for (size_t i = 0; i < recs.size(); ++i) {
    recs[i].key = std::string_view(big_key);
    recs[i].value = i == 0 ? std::string_view(big_value) : std::string_view("x");
    recs[i].timestamp_ms = 1'700'000'000'000 + int64_t(i) * 1'000'000'000;  // big deltas
  }
  std::vector<uint8_t> batch = encode(recs);
  std::vector<Record> out;
  ASSERT_TRUE(decode_batch(batch, out).ok());
  ASSERT_EQ(out.size(), 200u);
  EXPECT_EQ(out[0].value, big_value);
  EXPECT_EQ(out[199].timestamp_ms, recs[199].timestamp_ms);
  EXPECT_EQ(out[199].offset, 199);
}

// Every single-bit flip is detected, except in the two fields the CRC does not cover by
// design (baseOffset, partitionLeaderEpoch: rewritten in place by the broker).
TEST(RecordBatch, EveryFlippedBitIsDetected) {
  AppendRecord r;
  r.key = std::string_view("key");
  r.value = "value";
  r.headers = {{"a", "b"}};
  std::vector<uint8_t> batch = encode({r, r});
  for (size_t byte = 0; byte < batch.size(); ++byte) {
    const bool uncovered = byte < 8 || (byte >= 12 && byte < 16);
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> copy = batch;
      copy[byte] ^= uint8_t(1 << bit);
      Status st = validate_batch(copy);
      if (uncovered) {
        EXPECT_TRUE(st.ok()) << byte;
      } else {
        EXPECT_EQ(st.code, Errc::CorruptBatch) << "byte " << byte << " bit " << bit;
        std::vector<Record> out;
        EXPECT_FALSE(decode_batch(copy, out).ok());
        EXPECT_TRUE(out.empty());
      }
    }
  }
}

// Without the CRC pass (the caller verified it), the header checks still hold.
TEST(RecordBatch, ValidationWithoutCrcStillChecksTheHeader) {
  AppendRecord r;
  r.value = "value";
  std::vector<uint8_t> batch = encode({r});
  std::vector<uint8_t> bad_crc = batch;
  bad_crc.back() ^= 1;
  EXPECT_EQ(validate_producer_batch(bad_crc).code, Errc::CorruptBatch);
  EXPECT_TRUE(validate_producer_batch(bad_crc, /*check_crc=*/false).ok());
  std::vector<uint8_t> truncated(batch.begin(), batch.end() - 1);
  EXPECT_EQ(validate_producer_batch(truncated, false).code, Errc::CorruptBatch);
  std::vector<uint8_t> bad_magic = batch;
  bad_magic[16] = 1;
  EXPECT_EQ(validate_producer_batch(bad_magic, false).code, Errc::CorruptBatch);
}

// A batch with a valid CRC over garbage records is still rejected by decode.
TEST(RecordBatch, MalformedRecordsRejected) {
  AppendRecord r;
  r.value = "hello";
  std::vector<uint8_t> good = encode({r});
  auto recrc = [](std::vector<uint8_t>& b) {
    uint32_t c = crc32c(b.data() + 21, b.size() - 21);
    b[17] = uint8_t(c >> 24), b[18] = uint8_t(c >> 16), b[19] = uint8_t(c >> 8), b[20] = uint8_t(c);
  };
  std::vector<uint8_t> bad = good;
  bad[kBatchHeaderSize] = 0x7E;  // record length far beyond the batch
  recrc(bad);
  std::vector<Record> out;
  EXPECT_EQ(decode_batch(bad, out).code, Errc::CorruptBatch);
  bad = good;
  bad[60] = 2;  // recordCount 2, only one record present
  recrc(bad);
  EXPECT_EQ(decode_batch(bad, out).code, Errc::CorruptBatch);
  bad = good;
  bad.push_back(0);  // trailing byte (batchLength adjusted)
  bad[11] += 1;
  recrc(bad);
  EXPECT_EQ(decode_batch(bad, out).code, Errc::CorruptBatch);
  EXPECT_TRUE(out.empty());
  // Too short / wrong magic / size mismatch.
  EXPECT_EQ(validate_batch(std::span(good).first(40)).code, Errc::CorruptBatch);
  bad = good;
  bad[16] = 1;
  EXPECT_EQ(validate_batch(bad).code, Errc::CorruptBatch);
  bad = good;
  bad.push_back(0);
  EXPECT_EQ(validate_batch(bad).code, Errc::CorruptBatch);
}

// Compressed batches decode (tests/unit/storage/compression_test.cc); one flagged gzip whose
// records are not gzip data is corrupt, an unknown codec (5-7) an invalid argument.
TEST(RecordBatch, FlaggedCompressedWithPlainRecordsIsRejected) {
  AppendRecord r;
  r.value = "x";
  for (uint8_t codec : {1, 6}) {
    std::vector<uint8_t> b = encode({r});
    b[22] |= codec;
    uint32_t c = crc32c(b.data() + 21, b.size() - 21);
    b[17] = uint8_t(c >> 24), b[18] = uint8_t(c >> 16), b[19] = uint8_t(c >> 8), b[20] = uint8_t(c);
    ASSERT_TRUE(validate_batch(b).ok());
    BatchHeader h;
    ASSERT_TRUE(parse_batch_header(b, h).ok());
    EXPECT_EQ(h.compression(), codec);
    std::vector<Record> out;
    EXPECT_EQ(decode_batch(b, out).code, codec == 1 ? Errc::CorruptBatch : Errc::InvalidArgument);
    EXPECT_TRUE(out.empty());
  }
}

TEST(RecordBatch, DecodeCanSkipTheCrcOfAValidatedBatch) {
  AppendRecord r;
  r.value = "x";
  std::vector<uint8_t> b = encode({r});
  b[17] ^= 0xff;  // wrong CRC
  std::vector<Record> out;
  EXPECT_EQ(decode_batch(b, out).code, Errc::CorruptBatch);
  ASSERT_TRUE(decode_batch(b, out, /*check_crc=*/false).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, "x");
  b.push_back(0);  // lengths are still checked
  EXPECT_EQ(decode_batch(b, out, false).code, Errc::CorruptBatch);
}

TEST(RecordBatch, LogAppendTimeUsesMaxTimestamp) {
  AppendRecord r;
  r.value = "x";
  r.timestamp_ms = 10;
  std::vector<uint8_t> b = encode({r, r});
  b[22] |= 0x8;
  b[35 + 7] = 99;  // maxTimestamp = 99 (big-endian low byte)
  uint32_t c = crc32c(b.data() + 21, b.size() - 21);
  b[17] = uint8_t(c >> 24), b[18] = uint8_t(c >> 16), b[19] = uint8_t(c >> 8), b[20] = uint8_t(c);
  std::vector<Record> out;
  ASSERT_TRUE(decode_batch(b, out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].timestamp_ms, 99);
  EXPECT_EQ(out[1].timestamp_ms, 99);
}

}  // namespace
}  // namespace unimq::storage
