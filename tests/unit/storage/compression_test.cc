#include <gtest/gtest.h>
#include <lz4frame.h>
#include <zstd.h>

#include <random>
#include <string>

#include "storage/compression/compressed_batch.h"
#include "storage/compression/compression.h"
#include "storage/record_batch.h"

namespace unimq::storage::compression {
namespace {

constexpr Codec kCodecs[] = {Codec::Gzip, Codec::Snappy, Codec::Lz4, Codec::Zstd};

std::vector<uint8_t> sample(size_t n, unsigned seed = 7) {
  // Compressible but not trivial: words from a small alphabet with random noise.
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(rng() % 5 == 0 ? rng() : "kafka"[i % 5]);
  return v;
}

TEST(Compression, RoundTripEveryCodec) {
  for (size_t n : {size_t(0), size_t(1), size_t(1000), size_t(300000)}) {
    std::vector<uint8_t> in = sample(n);
    for (Codec c : kCodecs) {
      std::vector<uint8_t> packed, unpacked;
      ASSERT_TRUE(compress(c, in, packed).ok()) << codec_name(c);
      if (n >= 1000) {
        EXPECT_LT(packed.size(), in.size()) << codec_name(c);
      }
      ASSERT_TRUE(decompress(c, packed, unpacked).ok()) << codec_name(c) << " n=" << n;
      EXPECT_EQ(unpacked, in) << codec_name(c);
    }
  }
}

TEST(Compression, SnappyXerialFramingAsJavaWritesIt) {
  std::vector<uint8_t> in = sample(100000);
  std::vector<uint8_t> framed = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
  // Two blocks, as xerial's SnappyOutputStream splits its input.
  for (size_t off : {size_t(0), size_t(60000)}) {
    size_t len = std::min<size_t>(60000, in.size() - off);
    std::vector<uint8_t> block;
    ASSERT_TRUE(compress(Codec::Snappy, std::span(in).subspan(off, len), block).ok());
    for (int s = 24; s >= 0; s -= 8) framed.push_back(uint8_t(block.size() >> s));
    framed.insert(framed.end(), block.begin(), block.end());
  }
  std::vector<uint8_t> out;
  ASSERT_TRUE(decompress(Codec::Snappy, framed, out).ok());
  EXPECT_EQ(out, in);
  framed.pop_back();
  out.clear();
  EXPECT_EQ(decompress(Codec::Snappy, framed, out).code, Errc::CorruptBatch);
  EXPECT_TRUE(out.empty());
}

TEST(Compression, ZstdFrameWithoutContentSize) {
  // Streaming compression (as librdkafka does) leaves the frame content size unknown.
  std::vector<uint8_t> in = sample(200000);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::vector<uint8_t> packed(ZSTD_compressBound(in.size()));
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{packed.data(), packed.size(), 0};
  size_t rc = 0;
  do {
    rc = ZSTD_compressStream2(cctx, &dst, &src, ZSTD_e_end);
    ASSERT_FALSE(ZSTD_isError(rc));
  } while (rc != 0);
  ZSTD_freeCCtx(cctx);
  packed.resize(dst.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(packed.data(), packed.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  std::vector<uint8_t> out;
  ASSERT_TRUE(decompress(Codec::Zstd, packed, out).ok());
  EXPECT_EQ(out, in);
}

TEST(Compression, Lz4FrameWithBlockChecksumsAndNoContentSize) {
  std::vector<uint8_t> in = sample(300000);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
  std::vector<uint8_t> packed(LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n = LZ4F_compressFrame(packed.data(), packed.size(), in.data(), in.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  packed.resize(n);
  std::vector<uint8_t> out;
  ASSERT_TRUE(decompress(Codec::Lz4, packed, out).ok());
  EXPECT_EQ(out, in);
}

TEST(Compression, GarbageTruncationAndBombsAreCorruptNotCrashes) {
  std::vector<uint8_t> in = sample(50000);
  for (Codec c : kCodecs) {
    std::vector<uint8_t> packed, out;
    ASSERT_TRUE(compress(c, in, packed).ok());
    std::vector<uint8_t> truncated(packed.begin(), packed.begin() + packed.size() / 2);
    EXPECT_EQ(decompress(c, truncated, out).code, Errc::CorruptBatch) << codec_name(c);
    EXPECT_TRUE(out.empty()) << codec_name(c);
    EXPECT_EQ(decompress(c, packed, out, 1000).code, Errc::CorruptBatch) << codec_name(c);
    EXPECT_TRUE(out.empty()) << codec_name(c);
    std::vector<uint8_t> garbage = sample(64, 99);
    EXPECT_FALSE(decompress(c, garbage, out).ok()) << codec_name(c);
    EXPECT_FALSE(decompress(c, {}, out).ok()) << codec_name(c);
  }
  std::vector<uint8_t> out;
  EXPECT_EQ(decompress(Codec(6), in, out).code, Errc::InvalidArgument);
}

TEST(Compression, CompressedBatchesDecodeWithKeysHeadersTimestamps) {
  std::string big(5000, 'v');
  std::vector<AppendRecord> recs(3);
  recs[0].key = "k0";
  recs[0].value = "hello";
  recs[0].headers = {{"h", "1"}, {"trace", "abc"}};
  recs[0].timestamp_ms = 5000;
  recs[1].value = big;
  recs[1].timestamp_ms = 5001;
  recs[2].key = "k2";
  recs[2].value = "";
  recs[2].timestamp_ms = 5009;
  for (Codec c : kCodecs) {
    std::vector<uint8_t> batch;
    ASSERT_TRUE(encode_compressed_batch(recs, 1, c, batch).ok());
    ASSERT_TRUE(validate_producer_batch(batch).ok()) << codec_name(c);
    BatchHeader h;
    ASSERT_TRUE(parse_batch_header(batch, h).ok());
    EXPECT_EQ(h.compression(), int(c));
    EXPECT_LT(batch.size(), big.size()) << codec_name(c);
    set_base_offset(batch, 100);
    std::vector<Record> out;
    ASSERT_TRUE(decode_batch(batch, out).ok()) << codec_name(c);
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].offset, 100);
    EXPECT_EQ(out[2].offset, 102);
    EXPECT_EQ(out[0].key, "k0");
    EXPECT_EQ(out[0].value, "hello");
    ASSERT_EQ(out[0].headers.size(), 2u);
    EXPECT_EQ(out[0].headers[1].key, "trace");
    EXPECT_EQ(out[0].headers[1].value, "abc");
    EXPECT_EQ(out[1].value, big);
    EXPECT_FALSE(out[1].key);
    EXPECT_EQ(out[2].timestamp_ms, 5009);
  }
}

}  // namespace
}  // namespace unimq::storage::compression
