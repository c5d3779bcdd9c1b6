// PartitionLog on a real (memory-backed) stream: validation, idempotent dedup, sequence gaps,
// stale epochs, producer state rebuilt from stored batches, and waking long-polling fetches.
#include "protocol/kafka/log/partition_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>

#include "storage/record_batch.h"
#include "storage/storage_engine.h"

namespace unimq::kafka {
namespace {

void put_be(std::vector<uint8_t>& b, size_t at, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) b[at + i] = uint8_t(v >> (8 * (n - 1 - i)));
}

// One uncompressed batch of `count` records with producer fields set and the CRC fixed up.
std::vector<uint8_t> batch(int count, int64_t pid = -1, int16_t epoch = -1, int32_t seq = -1) {
  std::vector<std::string> values;
  for (int i = 0; i < count; ++i) values.push_back("v" + std::to_string(i));
  std::vector<storage::AppendRecord> recs(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) recs[size_t(i)].value = values[size_t(i)];
  std::vector<uint8_t> b;
  storage::encode_batch(recs, 1000, b);
  put_be(b, 43, uint64_t(pid), 8);
  put_be(b, 51, uint64_t(uint16_t(epoch)), 2);
  put_be(b, 53, uint64_t(uint32_t(seq)), 4);
  const uint32_t crc = storage::crc32c(b.data() + storage::kBatchCrcCoveredFrom,
                                       b.size() - storage::kBatchCrcCoveredFrom);
  put_be(b, storage::kBatchCrcOffset, crc, 4);
  return b;
}

class PartitionLogTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kafka_partition_log_test_" + std::to_string(::getpid()));
    storage::EngineOptions eo;
    eo.data_dir = dir_.string();
    eo.default_backend = storage::Backend::Memory;
    ASSERT_TRUE(storage::StorageEngine::open(eo, engine_).ok());
    log_ = std::make_shared<PartitionLog>(engine_->get_or_create({"kafka", "t", 0}));
  }
  void TearDown() override {
    log_.reset();
    engine_->close();
    std::filesystem::remove_all(dir_);
  }
  ProduceOutcome produce(std::shared_ptr<PartitionLog> log, const std::vector<uint8_t>& b) {
    std::promise<ProduceOutcome> p;
    log->produce(b, [&p](const ProduceOutcome& o) { p.set_value(o); });
    return p.get_future().get();
  }
  ProduceOutcome produce(const std::vector<uint8_t>& b) { return produce(log_, b); }

  std::filesystem::path dir_;
  std::unique_ptr<storage::StorageEngine> engine_;
  std::shared_ptr<PartitionLog> log_;
};

TEST_F(PartitionLogTest, PlainBatchesAppendAtIncreasingOffsets) {
  EXPECT_EQ(produce(batch(3)).base_offset, 0);
  EXPECT_EQ(produce(batch(2)).base_offset, 3);
  EXPECT_EQ(log_->stream().latest_offset(), 5);
}

TEST_F(PartitionLogTest, CorruptBatchIsRejectedAndNeverStored) {
  auto b = batch(2);
  b.back() ^= 0xff;  // breaks the CRC
  EXPECT_EQ(produce(b).error, ErrorCode::kCorruptMessage);
  EXPECT_EQ(log_->stream().latest_offset(), 0);
}

TEST_F(PartitionLogTest, IdempotentDuplicateAnswersTheOriginalOffsetWithoutStoring) {
  EXPECT_EQ(produce(batch(2, 7, 0, 0)).base_offset, 0);
  EXPECT_EQ(produce(batch(3, 7, 0, 2)).base_offset, 2);
  const auto dup = produce(batch(3, 7, 0, 2));
  EXPECT_EQ(dup.error, ErrorCode::kNone);
  EXPECT_EQ(dup.base_offset, 2);
  EXPECT_EQ(log_->stream().latest_offset(), 5);
  EXPECT_EQ(produce(batch(1, 7, 0, 9)).error, ErrorCode::kOutOfOrderSequenceNumber);
  EXPECT_EQ(produce(batch(1, 7, 1, 0)).base_offset, 5);  // new epoch from 0
  EXPECT_EQ(produce(batch(1, 7, 0, 5)).error, ErrorCode::kInvalidProducerEpoch);
  EXPECT_EQ(log_->stream().latest_offset(), 6);
}

TEST_F(PartitionLogTest, ProducerStateIsRebuiltFromTheStoredTail) {
  EXPECT_EQ(produce(batch(2, 9, 3, 0)).base_offset, 0);
  EXPECT_EQ(produce(batch(2, 9, 3, 2)).base_offset, 2);
  // A fresh PartitionLog over the same stream (as after a restart) knows the producer.
  auto again = std::make_shared<PartitionLog>(engine_->find({"kafka", "t", 0}));
  const auto dup = produce(again, batch(2, 9, 3, 2));
  EXPECT_EQ(dup.error, ErrorCode::kNone);
  EXPECT_EQ(dup.base_offset, 2);
  EXPECT_EQ(produce(again, batch(1, 9, 3, 7)).error, ErrorCode::kOutOfOrderSequenceNumber);
  EXPECT_EQ(produce(again, batch(1, 9, 3, 4)).base_offset, 4);
}

TEST_F(PartitionLogTest, AppendsWakeWaitersOnceAndRemovedWaitersStayQuiet) {
  std::atomic<int> woke{0}, removed{0};
  log_->add_waiter([&] { ++woke; });
  const uint64_t t = log_->add_waiter([&] { ++removed; });
  log_->remove_waiter(t);
  produce(batch(1));
  produce(batch(1));
  EXPECT_EQ(woke.load(), 1);
  EXPECT_EQ(removed.load(), 0);
}

}  // namespace
}  // namespace unimq::kafka
