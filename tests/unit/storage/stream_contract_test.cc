// The Stream contract, run against both backends (memory and journal).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

class StreamContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { engine_ = open_engine(dir_.path(), GetParam()); }
  std::shared_ptr<Stream> make(StreamConfig cfg = small_config()) {
    auto s = engine_->get_or_create(sid(), &cfg);
    EXPECT_NE(s, nullptr);
    return s;
  }
  // Every batch in its own segment, so retention granularity is the same in both backends.
  static StreamConfig one_batch_segments() {
    StreamConfig c = small_config();
    c.segment_bytes = 1;
    return c;
  }

  TempDir dir_;
  std::unique_ptr<StorageEngine> engine_;
};

TEST_P(StreamContract, OffsetsAreContiguousAndRecordsReadBack) {
  auto s = make();
  EXPECT_EQ(s->latest_offset(), 0);
  EXPECT_EQ(append_values(*s, 1), 0);
  EXPECT_EQ(append_values(*s, 5), 1);
  EXPECT_EQ(append_values(*s, 2), 6);
  EXPECT_EQ(s->latest_offset(), 8);
  EXPECT_EQ(s->earliest_offset(), 0);
  std::vector<Record> all = read_all(*s, 0);
  ASSERT_EQ(all.size(), 8u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].offset, int64_t(i));
  EXPECT_EQ(all[0].value, "v0");
  EXPECT_EQ(all[5].value, "v4");
  EXPECT_EQ(all[7].value, "v1");
  std::vector<Record> from3;
  ASSERT_TRUE(s->read_records(3, 1 << 20, from3).ok());
  ASSERT_FALSE(from3.empty());
  EXPECT_EQ(from3.front().offset, 3);  // records below the requested offset are skipped
}

TEST_P(StreamContract, ReadsReturnWholeBatchesWithinMaxBytes) {
  auto s = make();
  for (int i = 0; i < 10; ++i) append_values(*s, 3);
  ReadResult all = s->read(0, 1 << 20);
  ASSERT_TRUE(all.status.ok());
  std::vector<BatchHeader> hs = batches_of(all.bytes);
  ASSERT_EQ(hs.size(), 10u);
  EXPECT_EQ(all.next_offset, 30);
  EXPECT_EQ(all.high_watermark, 30);
  const size_t batch_size = hs[0].total_size();

  ReadResult one = s->read(0, 1);  // smaller than a batch: still one whole batch
  ASSERT_TRUE(one.status.ok());
  EXPECT_EQ(batches_of(one.bytes).size(), 1u);
  EXPECT_EQ(one.next_offset, 3);

  ReadResult two = s->read(4, 2 * batch_size + batch_size / 2);
  std::vector<BatchHeader> two_hs = batches_of(two.bytes);
  ASSERT_EQ(two_hs.size(), 2u);
  EXPECT_EQ(two_hs[0].base_offset, 3);  // the batch holding offset 4
  EXPECT_EQ(two.next_offset, 9);

  ReadResult end = s->read(30, 1000);
  EXPECT_TRUE(end.status.ok());
  EXPECT_TRUE(end.bytes.empty());
  EXPECT_EQ(end.next_offset, 30);
  EXPECT_EQ(s->read(31, 1000).status.code, Errc::OffsetOutOfRange);
  EXPECT_EQ(s->read(-1, 1000).status.code, Errc::OffsetOutOfRange);
}

TEST_P(StreamContract, EveryOffsetFindsItsBatch) {
  auto s = make(one_batch_segments());
  for (int i = 1; i <= 12; ++i) append_values(*s, i % 4 + 1);
  for (int64_t o = 0; o < s->latest_offset(); ++o) {
    ReadResult r = s->read(o, 1);
    ASSERT_TRUE(r.status.ok()) << o;
    std::vector<BatchHeader> hs = batches_of(r.bytes);
    ASSERT_EQ(hs.size(), 1u) << o;
    EXPECT_LE(hs[0].base_offset, o);
    EXPECT_GE(hs[0].last_offset(), o);
  }
}

TEST_P(StreamContract, PrebuiltBatchesAreValidatedAndRenumbered) {
  auto s = make();
  append_values(*s, 2);
  AppendRecord r;
  r.value = "kafka";
  std::vector<uint8_t> batch;
  encode_batch(std::span(&r, 1), 1234, batch);
  set_base_offset(batch, 777);  // producers send garbage base offsets; the log assigns them

  std::vector<uint8_t> corrupt = batch;
  corrupt.back() ^= 1;
  std::promise<AppendResult> bad;
  s->append_batch(corrupt, [&](const AppendResult& res) { bad.set_value(res); });
  EXPECT_EQ(bad.get_future().get().status.code, Errc::CorruptBatch);

  // A valid CRC but offsets that do not match the record count: rejected too.
  std::vector<uint8_t> sparse = batch;
  sparse[26] = 5;  // lastOffsetDelta 5 with one record
  uint32_t c = crc32c(sparse.data() + kBatchCrcCoveredFrom, sparse.size() - kBatchCrcCoveredFrom);
  for (int i = 0; i < 4; ++i) sparse[kBatchCrcOffset + size_t(i)] = uint8_t(c >> (24 - 8 * i));
  ASSERT_TRUE(validate_batch(sparse).ok());
  std::promise<AppendResult> bad2;
  s->append_batch(sparse, [&](const AppendResult& res) { bad2.set_value(res); });
  EXPECT_EQ(bad2.get_future().get().status.code, Errc::CorruptBatch);

  std::promise<AppendResult> good;
  s->append_batch(batch, [&](const AppendResult& res) { good.set_value(res); });
  AppendResult res = good.get_future().get();
  ASSERT_TRUE(res.status.ok()) << res.status.message;
  EXPECT_EQ(res.base_offset, 2);
  EXPECT_EQ(res.last_offset, 2);
  std::vector<Record> recs;
  ASSERT_TRUE(s->read_records(2, 1 << 20, recs).ok());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].value, "kafka");
  EXPECT_EQ(recs[0].timestamp_ms, 1234);
  EXPECT_EQ(s->latest_offset(), 3);
}

// append_batch copies: the caller may reuse its buffer (a connection's request buffer) as
// soon as the call returns, before the append completes.
TEST_P(StreamContract, AppendBatchCopiesTheCallersBytes) {
  auto s = make();
  std::vector<std::future<AppendResult>> done;
  std::vector<uint8_t> buf;
  for (int i = 0; i < 200; ++i) {
    AppendRecord r;
    const std::string v = "value-" + std::to_string(i);
    r.value = v;
    buf.clear();
    encode_batch(std::span(&r, 1), 1000 + i, buf);
    auto p = std::make_shared<std::promise<AppendResult>>();
    done.push_back(p->get_future());
    s->append_batch(buf, [p](const AppendResult& res) { p->set_value(res); });
    std::fill(buf.begin(), buf.end(), uint8_t(0xEE));  // reused at once
  }
  for (size_t i = 0; i < done.size(); ++i) {
    AppendResult res = done[i].get();
    ASSERT_TRUE(res.status.ok()) << res.status.message;
    EXPECT_EQ(res.base_offset, int64_t(i));
  }
  std::vector<Record> recs = read_all(*s, 0);
  ASSERT_EQ(recs.size(), 200u);
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(recs[i].value, "value-" + std::to_string(i));
    EXPECT_EQ(recs[i].offset, int64_t(i));
  }
}

TEST_P(StreamContract, EmptyAppendIsRejected) {
  auto s = make();
  AppendResult r = s->append_sync({});
  EXPECT_EQ(r.status.code, Errc::InvalidArgument);
  EXPECT_EQ(s->latest_offset(), 0);
}

TEST_P(StreamContract, OffsetForTimestamp) {
  auto s = make(one_batch_segments());
  append_values(*s, 2, 100);  // offsets 0-1
  append_values(*s, 2, 200);  // 2-3
  append_values(*s, 2, 150);  // 4-5 (out of order timestamps are allowed)
  append_values(*s, 2, 300);  // 6-7
  EXPECT_EQ(s->offset_for_timestamp(0), 0);
  EXPECT_EQ(s->offset_for_timestamp(100), 0);
  EXPECT_EQ(s->offset_for_timestamp(101), 2);
  EXPECT_EQ(s->offset_for_timestamp(150), 2);
  EXPECT_EQ(s->offset_for_timestamp(201), 6);
  EXPECT_EQ(s->offset_for_timestamp(300), 6);
  EXPECT_EQ(s->offset_for_timestamp(301), std::nullopt);
}

TEST_P(StreamContract, TruncateRemovesTheTailAtBatchGranularity) {
  auto s = make(one_batch_segments());
  for (int i = 0; i < 5; ++i) append_values(*s, 2, 0, "a");  // 0-9
  ASSERT_TRUE(s->truncate(10).ok());                         // at the end: nothing to do
  EXPECT_EQ(s->latest_offset(), 10);
  ASSERT_TRUE(s->truncate(5).ok());  // inside batch 4-5: the whole batch goes
  EXPECT_EQ(s->latest_offset(), 4);
  EXPECT_EQ(append_values(*s, 1, 0, "b"), 4);
  std::vector<Record> all = read_all(*s, 0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4].value, "b0");
  ASSERT_TRUE(s->truncate(0).ok());
  EXPECT_EQ(s->latest_offset(), 0);
  EXPECT_EQ(s->earliest_offset(), 0);
  EXPECT_EQ(append_values(*s, 1), 0);
  EXPECT_EQ(s->truncate(-1).code, Errc::InvalidArgument);
}

TEST_P(StreamContract, DeleteBeforeMovesTheStart) {
  auto s = make(one_batch_segments());
  for (int i = 0; i < 5; ++i) append_values(*s, 2);  // 0-9
  ASSERT_TRUE(s->delete_before(3).ok());
  EXPECT_EQ(s->earliest_offset(), 3);
  EXPECT_EQ(s->read(2, 100).status.code, Errc::OffsetOutOfRange);
  ReadResult r = s->read(3, 1);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(batches_of(r.bytes).at(0).base_offset, 2);  // the batch holding 3
  ASSERT_TRUE(s->delete_before(1).ok());                // never moves back
  EXPECT_EQ(s->earliest_offset(), 3);
  EXPECT_EQ(s->delete_before(11).code, Errc::OffsetOutOfRange);
  ASSERT_TRUE(s->delete_before(10).ok());
  EXPECT_EQ(s->earliest_offset(), 10);
  EXPECT_EQ(append_values(*s, 1), 10);
  EXPECT_EQ(read_all(*s, 10).size(), 1u);
}

TEST_P(StreamContract, RetentionBySizeKeepsNewestWholeBatches) {
  auto s = make(one_batch_segments());
  for (int i = 0; i < 5; ++i) append_values(*s, 2);
  const size_t batch = batches_of(s->read(0, 1).bytes).at(0).total_size();
  s->set_retention(-1, int64_t(2 * batch));
  s->enforce_retention(0);
  EXPECT_EQ(s->earliest_offset(), 6);  // batches 6-7, 8-9 remain
  s->set_retention(-1, 0);
  s->enforce_retention(0);
  EXPECT_EQ(s->earliest_offset(), 8);  // the newest (active) batch is never deleted
  EXPECT_EQ(read_all(*s, 8).size(), 2u);
}

TEST_P(StreamContract, RetentionByTimeUsesBatchTimestamps) {
  auto s = make(one_batch_segments());
  const int64_t hour = 3600 * 1000, now = 100 * hour;
  append_values(*s, 1, now - 10 * hour);
  append_values(*s, 1, now - 9 * hour);
  append_values(*s, 1, now - 1 * hour);
  append_values(*s, 1, now - 2 * hour);
  s->set_retention(5 * hour, -1);
  s->enforce_retention(now);
  EXPECT_EQ(s->earliest_offset(), 2);
  s->set_retention(0, -1);
  s->enforce_retention(now);
  EXPECT_EQ(s->earliest_offset(), 3);  // active never deleted
}

TEST_P(StreamContract, ConcurrentReadersOnlySeeWholeBatches) {
  auto s = make();
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  auto reader = [&] {
    while (!done.load() || reads.load() < 10) {
      ReadResult r = s->read(0, 4096);
      if (!r.status.ok()) continue;
      int64_t expect = 0;
      for (const BatchHeader& h : batches_of(r.bytes)) {
        EXPECT_EQ(h.base_offset, expect);
        expect = h.last_offset() + 1;
      }
      EXPECT_EQ(expect, r.next_offset);
      EXPECT_LE(r.next_offset, r.high_watermark);
      reads.fetch_add(1);
    }
  };
  std::thread r1(reader), r2(reader);
  for (int i = 0; i < 300; ++i) append_values(*s, 1 + i % 3);
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(s->latest_offset(), 600);
}

TEST_P(StreamContract, ClosedEngineRejectsAppends) {
  auto s = make();
  append_values(*s, 1);
  engine_->close();
  EXPECT_EQ(s->append_sync(std::vector<AppendRecord>(1)).status.code, Errc::Closed);
  EXPECT_EQ(engine_->get_or_create(sid("other")), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamContract,
                         ::testing::Values(Backend::Memory, Backend::Journal),
                         [](const auto& info) {
                           return info.param == Backend::Memory ? "Memory" : "Journal";
                         });

TEST(MemoryStream, BoundedByMaxMemoryBytes) {
  auto engine = open_engine("", Backend::Memory);
  StreamConfig cfg;
  cfg.max_memory_bytes = 1000;
  auto s = engine->get_or_create(sid(), &cfg);
  for (int i = 0; i < 100; ++i) append_values(*s, 1);
  const size_t batch = batches_of(s->read(99, 1).bytes).at(0).total_size();
  ReadResult all = s->read(s->earliest_offset(), 1 << 20);
  EXPECT_LE(all.bytes.size(), 1000u);
  EXPECT_GT(all.bytes.size(), 1000u - batch);  // only what had to go was dropped
  EXPECT_EQ(all.next_offset, 100);
  EXPECT_GT(s->earliest_offset(), 0);
  EXPECT_EQ(s->read(0, 100).status.code, Errc::OffsetOutOfRange);
}

}  // namespace
}  // namespace unimq::storage::test
