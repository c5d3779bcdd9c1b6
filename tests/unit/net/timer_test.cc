#include "net/timer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

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

bool wait_until_true(const std::function<bool()>& pred,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
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

TEST_F(TimerTest, CoarseTimerFiresLateButNeverEarly) {
  EventLoop& loop = group_.loop(0);
  std::promise<std::pair<std::chrono::milliseconds, bool>> fired;
  CoarseTimer t;
  auto start = std::chrono::steady_clock::now();
  run_on(loop, [&] {
    t.arm(loop, 250ms, [&] {
      auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      fired.set_value({waited, loop.in_loop()});
    });
    EXPECT_TRUE(t.armed());
  });
  auto f = fired.get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  auto [waited, in_loop] = f.get();
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 250ms + CoarseTimer::kTick + 500ms);  // generous: shared CI machines
  EXPECT_TRUE(in_loop);
  run_on(loop, [&] { EXPECT_FALSE(t.armed()); });
}

TEST_F(TimerTest, CoarseTimersFireInDeadlineOrderAndCancelWorks) {
  EventLoop& loop = group_.loop(0);
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::unique_ptr<CoarseTimer>> timers;
  run_on(loop, [&] {
    for (int i = 0; i < 6; ++i) {
      timers.push_back(std::make_unique<CoarseTimer>());
      // 5, 4, ..., 0 ticks apart, armed in reverse order.
      timers.back()->arm(loop, CoarseTimer::kTick * (5 - i) + 10ms, [&, i] {
        std::lock_guard l(mu);
        order.push_back(i);
      });
    }
    timers[2]->cancel();                                       // cancelled
    timers[3].reset();                                         // destroyed while armed
    timers[4]->arm(loop, CoarseTimer::kTick * 6 + 10ms, [&] {  // re-armed: only the new one
      std::lock_guard l(mu);
      order.push_back(40);
    });
  });
  ASSERT_TRUE(wait_until_true([&] {
    std::lock_guard l(mu);
    return order.size() == 4;
  }));
  std::this_thread::sleep_for(CoarseTimer::kTick * 2);
  run_on(loop, [&] { timers.clear(); });
  std::lock_guard l(mu);
  EXPECT_EQ(order, (std::vector<int>{5, 1, 0, 40}));
}

TEST_F(TimerTest, CoarseTimerCallbackMayRearmOrDestroyTimers) {
  EventLoop& loop = group_.loop(0);
  std::atomic<int> a_calls{0};
  std::atomic<bool> b_called{false};
  auto a = std::make_unique<CoarseTimer>();
  auto b = std::make_unique<CoarseTimer>();
  std::function<void()> again = [&] {
    if (++a_calls < 3) a->arm(loop, 0ms, again);
  };
  run_on(loop, [&] {
    a->arm(loop, 0ms, again);
    CoarseTimer* killer = new CoarseTimer;
    killer->arm(loop, 0ms, [&, killer] {
      b.reset();      // due in the same tick, after us: destroyed before it fires
      delete killer;  // a timer destroyed from inside its own callback
    });
    b->arm(loop, 0ms, [&] { b_called = true; });
  });
  ASSERT_TRUE(wait_until_true([&] { return a_calls.load() == 3; }));
  std::this_thread::sleep_for(CoarseTimer::kTick * 2);
  run_on(loop, [&] { a.reset(); });
  EXPECT_FALSE(b_called.load());
}

TEST(CoarseTimerLifetimeTest, LoopDestroyedBeforeArmedTimer) {
  CoarseTimer t;
  {
    EventLoopGroup group(1);
    group.start();
    std::promise<void> armed;
    group.loop(0).post([&] {
      t.arm(group.loop(0), 1h, [] {});
      armed.set_value();
    });
    armed.get_future().wait();
    group.stop();
    group.join();
  }
  EXPECT_FALSE(t.armed());  // disarmed by the loop going away; destroying it is safe
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
