// PartitionLog on a real (memory-backed) stream: validation, idempotent dedup, sequence gaps,
// stale epochs, producer state rebuilt from stored batches, and waking long-polling fetches.
#include "protocol/kafka/log/partition_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "metrics/registry.h"
#include "net/blocking_pool.h"
#include "storage/kv_store.h"
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

// With the broker's environment: a loader thread, snapshots in a KV store, the gauge.
class PartitionLogEnvTest : public PartitionLogTest {
 protected:
  void SetUp() override {
    PartitionLogTest::SetUp();
    ASSERT_TRUE(storage::open_kv_store(storage::KvBackend::Memory, "", kv_).ok());
    env_.kv = kv_.get();
    env_.loader = &pool_;
    env_.producers = &gauge_;
  }
  std::shared_ptr<PartitionLog> open_log(const std::string& key = "snap") {
    return std::make_shared<PartitionLog>(engine_->find({"kafka", "t", 0}), key, &env_);
  }
  // Appends plain (non-idempotent) batches of 10000 records until the log has grown by n.
  void append_plain(const std::shared_ptr<PartitionLog>& log, int64_t n) {
    for (int64_t done = 0; done < n; done += 10000)
      ASSERT_EQ(produce(log, batch(10000)).error, ErrorCode::kNone);
  }

  void wait_for_loader() {
    std::promise<void> done;
    pool_.submit([&done] { done.set_value(); });
    done.get_future().wait();
  }

  std::unique_ptr<storage::KvStore> kv_;
  net::BlockingPool pool_{1, "test-load"};
  metrics::Gauge gauge_;
  PartitionLogEnv env_;
};

TEST_F(PartitionLogEnvTest, SnapshotRemembersAProducerBeyondTheReplayWindow) {
  auto log = open_log();
  ASSERT_EQ(produce(log, batch(2, 11, 0, 0)).base_offset, 0);
  append_plain(log, PartitionLog::kMaxReplayOffsets + 10000);
  log->save_snapshot();  // as at shutdown
  EXPECT_TRUE(kv_->get("snap").has_value());
  // After a restart the retry of the producer's last batch is still a duplicate...
  const int64_t end = log_->stream().latest_offset();
  const auto dup = produce(open_log(), batch(2, 11, 0, 0));
  EXPECT_EQ(dup.error, ErrorCode::kNone);
  EXPECT_EQ(dup.base_offset, 0);
  EXPECT_EQ(log_->stream().latest_offset(), end);
  // ...which a replay of the tail alone cannot tell: without the snapshot it is stored again.
  EXPECT_EQ(produce(open_log("no-snapshot"), batch(2, 11, 0, 0)).base_offset, end);
}

TEST_F(PartitionLogEnvTest, PeriodicSnapshotsBoundTheReplayAfterACrash) {
  auto log = open_log();
  ASSERT_EQ(produce(log, batch(2, 12, 0, 0)).base_offset, 0);
  EXPECT_FALSE(kv_->get("snap").has_value());
  // Any appends move the snapshot along, every kSnapshotEveryOffsets.
  append_plain(log, PartitionLog::kSnapshotEveryOffsets);
  wait_for_loader();
  ASSERT_TRUE(kv_->get("snap").has_value());
  append_plain(log, PartitionLog::kMaxReplayOffsets + 10000);
  wait_for_loader();
  // No save at the end (kill -9): the last snapshot plus the replay still know producer 12.
  const auto dup = produce(open_log(), batch(2, 12, 0, 0));
  EXPECT_EQ(dup.error, ErrorCode::kNone);
  EXPECT_EQ(dup.base_offset, 0);
}

TEST_F(PartitionLogEnvTest, BatchesArrivingDuringTheLoadWaitAndAppendInOrder) {
  auto log = open_log();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  pool_.submit([released] { released.wait(); });  // the loader thread is busy
  std::vector<std::future<ProduceOutcome>> outs;
  std::vector<std::shared_ptr<std::promise<ProduceOutcome>>> ps;
  for (int i = 0; i < 3; ++i) {
    auto p = std::make_shared<std::promise<ProduceOutcome>>();
    outs.push_back(p->get_future());
    log->produce(batch(2, 14, 0, i * 2), [p](const ProduceOutcome& o) { p->set_value(o); });
  }
  ASSERT_EQ(produce(log, batch(1)).base_offset, 0);  // plain batches do not wait
  EXPECT_EQ(outs[0].wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.set_value();
  EXPECT_EQ(outs[0].get().base_offset, 1);
  EXPECT_EQ(outs[1].get().base_offset, 3);
  EXPECT_EQ(outs[2].get().base_offset, 5);
  EXPECT_EQ(produce(log, batch(2, 14, 0, 2)).base_offset, 3);  // known now: a duplicate
}

TEST_F(PartitionLogEnvTest, ASnapshotPastTheEndOfTheLogIsCutBack) {
  auto log = open_log();
  ASSERT_EQ(produce(log, batch(2, 15, 0, 0)).base_offset, 0);
  ASSERT_EQ(produce(log, batch(2, 15, 0, 2)).base_offset, 2);
  log->save_snapshot();
  // The log loses its tail (as a torn tail cut by recovery): the batch at 2 is gone.
  log_->stream().truncate(2);
  auto again = open_log();
  EXPECT_EQ(produce(again, batch(2, 15, 0, 0)).base_offset, 0);  // still a duplicate
  EXPECT_EQ(produce(again, batch(2, 15, 0, 2)).base_offset, 2);  // stored again, not lost
}

TEST_F(PartitionLogEnvTest, IdleProducersExpireAndTheGaugeCountsThem) {
  env_.producer_id_expiration_ms = 200;
  auto log = open_log();
  ASSERT_EQ(produce(log, batch(1, 16, 0, 0)).error, ErrorCode::kNone);
  ASSERT_EQ(produce(log, batch(1, 17, 0, 0)).error, ErrorCode::kNone);
  EXPECT_EQ(gauge_.value(), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  ASSERT_EQ(produce(log, batch(1, 18, 0, 0)).error, ErrorCode::kNone);
  EXPECT_EQ(gauge_.value(), 1);  // 16 and 17 expired
  // An expired producer is new again: its next sequence is accepted, not out of order.
  EXPECT_EQ(produce(log, batch(1, 16, 0, 5)).error, ErrorCode::kNone);
  EXPECT_EQ(gauge_.value(), 2);
  log.reset();
  EXPECT_EQ(gauge_.value(), 0);
}

TEST_F(PartitionLogEnvTest, DroppingTheSnapshotForgetsTheProducers) {
  auto log = open_log();
  ASSERT_EQ(produce(log, batch(1, 19, 0, 0)).error, ErrorCode::kNone);
  log->save_snapshot();
  ASSERT_TRUE(kv_->get("snap").has_value());
  log->drop_snapshot();
  EXPECT_FALSE(kv_->get("snap").has_value());
  EXPECT_EQ(gauge_.value(), 0);
  log->save_snapshot();  // a dropped log writes no more snapshots
  EXPECT_FALSE(kv_->get("snap").has_value());
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
