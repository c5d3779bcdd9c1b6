#include "net/timer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "net/event_loop.h"

namespace unimq::net {
namespace {

using namespace std::chrono_literals;

// Runs fn on the loop and waits for it.
template <class F>
void run_on(EventLoop& loop, F fn) {
  std::promise<void> done;
  loop.post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

class TimerTest : public ::testing::Test {
 protected:
  void SetUp() override { group_.start(); }
  void TearDown() override {
    group_.stop();
    group_.join();
  }
  EventLoopGroup group_{1};
};

TEST_F(TimerTest, Fires) {
  EventLoop& loop = group_.loop(0);
  std::promise<bool> fired;
  std::unique_ptr<Timer> t;
  run_on(loop, [&] {
    t = std::make_unique<Timer>(loop);
    t->arm(10ms, [&] { fired.set_value(loop.in_loop()); });
    EXPECT_TRUE(t->armed());
  });
  auto f = fired.get_future();
  ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
  EXPECT_TRUE(f.get());
  run_on(loop, [&] {
    EXPECT_FALSE(t->armed());
    t.reset();
  });
}

TEST_F(TimerTest, CancelPreventsCallback) {
  EventLoop& loop = group_.loop(0);
  std::atomic<int> calls{0};
  std::unique_ptr<Timer> t;
  run_on(loop, [&] {
    t = std::make_unique<Timer>(loop);
    t->arm(20ms, [&] { ++calls; });
    t->cancel();
    EXPECT_FALSE(t->armed());
  });
  std::this_thread::sleep_for(80ms);
  EXPECT_EQ(calls.load(), 0);
  run_on(loop, [&] { t.reset(); });
}

TEST_F(TimerTest, RearmReplacesPreviousCallback) {
  EventLoop& loop = group_.loop(0);
  std::atomic<int> first{0}, second{0};
  std::unique_ptr<Timer> t;
  run_on(loop, [&] {
    t = std::make_unique<Timer>(loop);
    t->arm(10ms, [&] { ++first; });
    t->arm(30ms, [&] { ++second; });
  });
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (second.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(first.load(), 0);
  EXPECT_EQ(second.load(), 1);
  run_on(loop, [&] { t.reset(); });
}

TEST_F(TimerTest, RearmFromOwnCallback) {
  EventLoop& loop = group_.loop(0);
  std::atomic<int> calls{0};
  std::promise<void> done;
  std::unique_ptr<Timer> t;
  std::function<void()> tick = [&] {
    if (++calls == 3) {
      done.set_value();
    } else {
      t->arm(5ms, tick);
    }
  };
  run_on(loop, [&] {
    t = std::make_unique<Timer>(loop);
    t->arm(5ms, tick);
  });
  ASSERT_EQ(done.get_future().wait_for(2s), std::future_status::ready);
  run_on(loop, [&] { t.reset(); });
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(TimerTest, DestroyWhilePending) {
  EventLoop& loop = group_.loop(0);
  std::atomic<int> calls{0};
  run_on(loop, [&] {
    Timer t(loop);
    t.arm(10ms, [&] { ++calls; });
  });  // destroyed with the wait pending
  run_on(loop, [&] {
    auto t = std::make_unique<Timer>(loop);
    t->arm(0ms, [&] { ++calls; });
    t.reset();  // expiry may already be queued: still must not call back
  });
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(calls.load(), 0);
}

TEST(EventLoopGroupTest, CurrentIndexAndInLoop) {
  EventLoopGroup group(2);
  EXPECT_EQ(EventLoopGroup::current_index(), -1);
  group.start();
  for (size_t i = 0; i < 2; ++i) {
    std::promise<std::pair<int, bool>> p;
    group.loop(i).post([&] {
      p.set_value({EventLoopGroup::current_index(), group.loop(i).in_loop()});
    });
    auto [idx, in] = p.get_future().get();
    EXPECT_EQ(idx, static_cast<int>(i));
    EXPECT_TRUE(in);
    EXPECT_FALSE(group.loop(i).in_loop());
  }
  group.stop();
  group.join();
}

}  // namespace
}  // namespace unimq::net
