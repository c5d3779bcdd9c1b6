// net::BlockingPool: tasks run on the pool's own threads, several at once, and stop() drops
// what is still queued instead of running it.
#include "net/blocking_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace unimq::net {
namespace {

TEST(BlockingPool, RunsTasksOnItsThreadsConcurrently) {
  BlockingPool pool(2, "test-pool");
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::atomic<int> off_caller{0};
  const auto caller = std::this_thread::get_id();
  // Each task waits for the other: they finish only if both run at the same time.
  for (int i = 0; i < 2; ++i) {
    pool.submit([&] {
      if (std::this_thread::get_id() != caller) off_caller++;
      std::unique_lock l(mu);
      ++arrived;
      cv.notify_all();
      cv.wait_for(l, std::chrono::seconds(10), [&] { return arrived == 2; });
    });
  }
  std::unique_lock l(mu);
  ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(10), [&] { return arrived == 2; }));
  l.unlock();
  pool.stop();
  EXPECT_EQ(off_caller.load(), 2);
}

TEST(BlockingPool, StopDropsQueuedTasksAndIsIdempotent) {
  auto alive = std::make_shared<int>(0);
  std::atomic<bool> started{false}, release{false};
  std::atomic<int> ran{0};
  {
    BlockingPool pool(1, "test-pool");
    pool.submit([&] {
      started = true;
      while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      ran++;
    });
    for (int i = 0; i < 5; ++i) pool.submit([&ran, alive] { ran++; });
    EXPECT_EQ(alive.use_count(), 6);
    while (!started.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::thread stopper([&] { pool.stop(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    release = true;  // the running task finishes; the queued ones must not start
    stopper.join();
    pool.stop();
    EXPECT_EQ(ran.load(), 1);
    pool.submit([&ran] { ran++; });  // after stop: dropped
  }
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(alive.use_count(), 1);  // the dropped tasks were destroyed with the pool
}

}  // namespace
}  // namespace unimq::net
