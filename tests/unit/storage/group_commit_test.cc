// The journal write path: group commit under concurrency, fsync policies, disk-full
// handling, callback threading.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "storage/journal/journal_stream.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

using journal::JournalStream;

JournalStream& js(const std::shared_ptr<Stream>& s) { return dynamic_cast<JournalStream&>(*s); }

// Counts callbacks and lets a test wait for all of them.
struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  size_t count = 0;
  void hit() {
    std::lock_guard lock(mu);
    ++count;
    cv.notify_all();
  }
  void wait_for(size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return count >= n; });
  }
};

TEST(GroupCommit, ThirtyTwoThreadsShareFsyncsAndKeepOrder) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config(FsyncPolicy::Always);
  cfg.segment_bytes = 64 << 10;  // several rolls along the way
  auto s = engine->get_or_create(sid(), &cfg);
  constexpr int kThreads = 32, kPerThread = 60;
  constexpr size_t kTotal = size_t(kThreads) * kPerThread;

  std::mutex mu;
  std::vector<AppendResult> in_callback_order;
  std::vector<std::vector<int64_t>> per_thread(kThreads);
  Latch latch;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string value = std::to_string(t) + ":" + std::to_string(i);
        AppendRecord rec;
        rec.value = value;
        s->append(std::span(&rec, 1), [&, t](const AppendResult& r) {
          {
            std::lock_guard lock(mu);
            in_callback_order.push_back(r);
            per_thread[size_t(t)].push_back(r.base_offset);
          }
          latch.hit();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  latch.wait_for(kTotal);

  ASSERT_EQ(in_callback_order.size(), kTotal);
  for (size_t i = 0; i < kTotal; ++i) {
    ASSERT_TRUE(in_callback_order[i].status.ok()) << in_callback_order[i].status.message;
    // Callbacks in offset order, offsets unique and contiguous.
    ASSERT_EQ(in_callback_order[i].base_offset, int64_t(i));
  }
  for (const auto& offsets : per_thread) {
    EXPECT_TRUE(std::is_sorted(offsets.begin(), offsets.end()));  // queue order per thread
  }
  const uint64_t fsyncs = js(s).fsync_count();
  EXPECT_GE(fsyncs, 1u);
  EXPECT_LE(fsyncs, kTotal / 4) << "group commit should share fdatasyncs";
  std::cout << "appends=" << kTotal << " fdatasyncs=" << fsyncs
            << " segments=" << js(s).segment_bases().size() << "\n";

  // Every record is where its callback said it is.
  std::vector<Record> all = read_all(*s, 0);
  ASSERT_EQ(all.size(), kTotal);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      EXPECT_EQ(all[size_t(per_thread[size_t(t)][size_t(i)])].value,
                std::to_string(t) + ":" + std::to_string(i));
    }
  }
}

TEST(GroupCommit, ManyStreamsInParallelKeepPerStreamOrder) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config(FsyncPolicy::Always);
  constexpr int kStreams = 6, kAppends = 200;
  std::vector<std::shared_ptr<Stream>> streams;
  for (int i = 0; i < kStreams; ++i) streams.push_back(engine->get_or_create(sid("s", i), &cfg));
  std::mutex mu;
  std::vector<std::vector<int64_t>> seen(kStreams);
  Latch latch;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAppends; ++i) {
        for (int k = 0; k < kStreams; ++k) {
          AppendRecord rec;
          rec.value = "x";
          streams[size_t(k)]->append(std::span(&rec, 1), [&, k](const AppendResult& r) {
            {
              std::lock_guard lock(mu);
              seen[size_t(k)].push_back(r.base_offset);
            }
            latch.hit();
          });
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  latch.wait_for(size_t(4 * kAppends * kStreams));
  for (int k = 0; k < kStreams; ++k) {
    ASSERT_EQ(seen[size_t(k)].size(), size_t(4 * kAppends));
    for (size_t i = 0; i < seen[size_t(k)].size(); ++i) ASSERT_EQ(seen[size_t(k)][i], int64_t(i));
  }
}

TEST(GroupCommit, IntervalPolicyCompletesAndFlushesInTheBackground) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config(FsyncPolicy::Interval);
  cfg.fsync_interval_ms = 5;
  auto s = engine->get_or_create(sid(), &cfg);
  for (int i = 0; i < 50; ++i) append_values(*s, 2);
  EXPECT_EQ(s->latest_offset(), 100);
  // The flusher gets to it eventually (no bound on when: no timing assertion).
  for (int i = 0; i < 10000 && js(s).fsync_count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(js(s).fsync_count(), 1u);
}

TEST(GroupCommit, NeverPolicyDoesNotSyncUntilAsked) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config(FsyncPolicy::Never);
  auto s = engine->get_or_create(sid(), &cfg);
  for (int i = 0; i < 50; ++i) append_values(*s, 1);
  EXPECT_EQ(s->latest_offset(), 50);
  EXPECT_EQ(js(s).fsync_count(), 0u);
  ASSERT_TRUE(s->flush().ok());
  EXPECT_EQ(js(s).fsync_count(), 1u);
  ASSERT_TRUE(s->flush().ok());  // nothing new: no second sync
  EXPECT_EQ(js(s).fsync_count(), 1u);
}

// ENOSPC mid-write: the appends in that write fail with DiskFull, the partial bytes are cut
// off, reads keep working and the next append reuses the offsets.
TEST(GroupCommit, DiskFullFailsTheAppendAndTheStreamRecovers) {
  for (FsyncPolicy p : {FsyncPolicy::Never, FsyncPolicy::Always}) {
    TempDir dir;
    auto engine = open_engine(dir.path());
    StreamConfig cfg = small_config(p);
    auto s = engine->get_or_create(sid(), &cfg);
    append_values(*s, 3, 0, "a");
    const std::string log = dir.path() + "/journal/kafka/orders-0/00000000000000000000.log";
    const auto size = std::filesystem::file_size(log);
    js(s).inject_write_error(ENOSPC);
    std::vector<AppendRecord> recs(2);
    AppendResult r = s->append_sync(recs);
    EXPECT_EQ(r.status.code, Errc::DiskFull);
    EXPECT_NE(r.status.message.find("No space left"), std::string::npos) << r.status.message;
    // Cut back to the last whole batch (a direct write's zero padding goes with it).
    EXPECT_LE(std::filesystem::file_size(log), size);
    EXPECT_GT(std::filesystem::file_size(log) + 4096, size);
    EXPECT_EQ(s->latest_offset(), 3);
    EXPECT_EQ(read_all(*s, 0).size(), 3u);
    EXPECT_EQ(append_values(*s, 2, 0, "b"), 3);
    engine.reset();
    auto again = open_engine(dir.path());
    auto s2 = again->get_or_create(sid());
    std::vector<Record> all = read_all(*s2, 0);
    ASSERT_EQ(all.size(), 5u);
    EXPECT_EQ(all[3].value, "b0");
  }
}

TEST(GroupCommit, CallbacksRunOnStorageThreadsAndMayAppend) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  const auto caller = std::this_thread::get_id();
  std::promise<AppendResult> second;
  std::thread::id cb_thread;
  AppendRecord rec;
  rec.value = "first";
  s->append(std::span(&rec, 1), [&](const AppendResult&) {
    cb_thread = std::this_thread::get_id();
    AppendRecord again;
    again.value = "second";  // re-entrant append from inside a callback
    s->append(std::span(&again, 1), [&](const AppendResult& r) { second.set_value(r); });
  });
  AppendResult r = second.get_future().get();
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.base_offset, 1);
  EXPECT_NE(cb_thread, caller);
}

TEST(GroupCommit, CloseWritesEverythingQueued) {
  TempDir dir;
  std::atomic<int> ok{0};
  {
    auto engine = open_engine(dir.path());
    StreamConfig cfg = small_config(FsyncPolicy::Always);
    auto s = engine->get_or_create(sid(), &cfg);
    for (int i = 0; i < 500; ++i) {
      AppendRecord rec;
      rec.value = "x";
      s->append(std::span(&rec, 1), [&](const AppendResult& r) { ok += r.status.ok(); });
    }
    engine->close();
    EXPECT_EQ(ok.load(), 500);
  }
  auto engine = open_engine(dir.path());
  EXPECT_EQ(engine->get_or_create(sid())->latest_offset(), 500);
}

}  // namespace
}  // namespace unimq::storage::test
