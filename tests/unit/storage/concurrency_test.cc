// Concurrency: backpressure, background retention, and every Stream method racing appends.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "storage/journal/format.h"
#include "storage/journal/journal_stream.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

using journal::JournalStream;

// The writer is held inside the first callback; the appending thread must stop once 64 MiB
// are pending, and go on when the writer does.
TEST(Concurrency, BackpressureBlocksAppendersAtTheQueueBound) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config(FsyncPolicy::Never);
  cfg.segment_bytes = 256 << 20;
  auto s = engine->get_or_create(sid(), &cfg);
  auto& j = dynamic_cast<JournalStream&>(*s);
  const std::string big(4 << 20, 'b');
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> returned{0}, completed{0};
  std::thread appender([&] {
    for (int i = 0; i < 20; ++i) {
      AppendRecord rec;
      rec.value = big;
      s->append(std::span(&rec, 1), [&, i](const AppendResult& r) {
        EXPECT_TRUE(r.status.ok());
        if (i == 0) released.wait();  // hold the writer
        completed.fetch_add(1);
      });
      returned.fetch_add(1);
    }
  });
  // About kMaxPendingBytes / 4 MiB batches fit (the first is in flight and still counted).
  const int fit = int(journal::kMaxPendingBytes / big.size());
  for (int i = 0; i < 10000 && returned.load() < fit - 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // room to overshoot if broken
  EXPECT_GE(returned.load(), fit - 1);
  EXPECT_LE(returned.load(), fit);
  EXPECT_LE(j.pending_bytes(), journal::kMaxPendingBytes);
  EXPECT_EQ(completed.load(), 0);
  release.set_value();
  appender.join();
  for (int i = 0; i < 100000 && completed.load() < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(completed.load(), 20);
  EXPECT_EQ(s->latest_offset(), 20);
  // The writer releases the bytes after the callbacks (and page-cache recycling).
  for (int i = 0; i < 100000 && j.pending_bytes() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(j.pending_bytes(), 0u);
}

TEST(Concurrency, EngineRetentionThreadDeletesOldSegments) {
  TempDir dir;
  EngineOptions opts;
  opts.data_dir = dir.path();
  opts.retention_check_ms = 5;
  std::unique_ptr<StorageEngine> engine;
  ASSERT_TRUE(StorageEngine::open(opts, engine).ok());
  StreamConfig cfg = small_config();
  cfg.segment_bytes = 1;
  cfg.retention_ms = 1000;
  auto s = engine->get_or_create(sid(), &cfg);
  for (int i = 0; i < 5; ++i) append_values(*s, 1, 1000);  // timestamps in 1970
  append_values(*s, 1);                                    // now
  for (int i = 0; i < 100000 && s->earliest_offset() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(s->earliest_offset(), 5);
  EXPECT_EQ(dynamic_cast<JournalStream&>(*s).segment_bases(), (std::vector<int64_t>{5}));
}

// Appends race reads, zero-copy ranges, timestamp lookups, retention, delete_before and
// truncate. Every read must be whole, valid, contiguous batches or a clean error.
TEST(Concurrency, EveryOperationRacesAppends) {
  const size_t read_ahead_held = journal::read_ahead_bytes();
  for (Backend backend : {Backend::Journal, Backend::Memory}) {
    TempDir dir;
    auto engine = open_engine(dir.path(), backend);
    StreamConfig cfg = small_config(FsyncPolicy::Interval);
    cfg.fsync_interval_ms = 1;
    cfg.segment_bytes = 2048;
    cfg.index_interval_bytes = 128;
    auto s = engine->get_or_create(sid(), &cfg);
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 400; ++i) {
          AppendResult r = s->append_sync(std::vector<AppendRecord>(1 + i % 3));
          EXPECT_TRUE(r.status.ok()) << r.status.message;
        }
      });
    }
    threads.emplace_back([&] {  // readers
      while (!stop.load()) {
        int64_t from = s->earliest_offset();
        ReadResult r = s->read(from, 3000);
        if (!r.status.ok()) {
          EXPECT_EQ(r.status.code, Errc::OffsetOutOfRange) << r.status.message;
          continue;
        }
        int64_t prev = -1;
        for (const BatchHeader& h : batches_of(r.bytes)) {
          if (prev >= 0) {
            EXPECT_EQ(h.base_offset, prev);
          }
          prev = h.last_offset() + 1;
        }
        if (SharedReadResult sr = s->read_shared(from, 3000); sr.status.ok()) {
          prev = -1;
          for (const BatchHeader& h : batches_of({sr.bytes.begin(), sr.bytes.end()})) {
            if (prev >= 0) {
              EXPECT_EQ(h.base_offset, prev);
            }
            prev = h.last_offset() + 1;
          }
          if (!sr.bytes.empty()) {
            EXPECT_EQ(prev, sr.next_offset);
          }
          s->read_ahead(sr.next_offset, 3000);  // taken (or dropped) by a later read
        }
        s->offset_for_timestamp(0);
      }
    });
    threads.emplace_back([&] {  // housekeeping
      int round = 0;
      while (!stop.load()) {
        s->set_retention(-1, 8000);
        s->enforce_retention(0);
        const int64_t latest = s->latest_offset();
        if (++round % 50 == 0) {
          EXPECT_TRUE(s->truncate(latest - latest / 10).ok());
        } else {
          Status st = s->delete_before(latest / 2);
          EXPECT_TRUE(st.ok() || st.code == Errc::OffsetOutOfRange) << st.message;
        }
        EXPECT_TRUE(s->flush().ok());
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
    for (int t = 0; t < 3; ++t) threads[size_t(t)].join();
    stop = true;
    for (size_t t = 3; t < threads.size(); ++t) threads[t].join();
    // Still consistent afterwards: a full read from the start is contiguous.
    int64_t from = s->earliest_offset();
    std::vector<Record> all = read_all(*s, from);
    for (size_t i = 1; i < all.size(); ++i) ASSERT_EQ(all[i].offset, all[i - 1].offset + 1);
    if (!all.empty()) {
      EXPECT_EQ(all.back().offset + 1, s->latest_offset());
    }
  }
  // Every read-ahead taken, dropped or freed with its stream: its bytes are given back.
  EXPECT_EQ(journal::read_ahead_bytes(), read_ahead_held);
}

}  // namespace
}  // namespace unimq::storage::test
