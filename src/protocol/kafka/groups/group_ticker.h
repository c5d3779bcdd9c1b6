// Drives GroupCoordinator::tick() (session and rebalance timeouts) from a timer on one event
// loop. Create and start on any thread; stop() before the loop or the coordinator goes.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

namespace unimq::net {
class EventLoop;
class Timer;
}  // namespace unimq::net

namespace unimq::kafka::groups {

class GroupCoordinator;

class GroupTicker {
 public:
  static constexpr std::chrono::milliseconds kInterval{100};

  GroupTicker(net::EventLoop& loop, GroupCoordinator& coordinator);
  ~GroupTicker();
  GroupTicker(const GroupTicker&) = delete;
  GroupTicker& operator=(const GroupTicker&) = delete;

  void start();
  // Cancels the timer (waits for the loop to do so when called from another thread).
  void stop();

 private:
  // Shared with the loop's callbacks, so a late callback never touches a destroyed ticker.
  struct State {
    State(net::EventLoop& l, GroupCoordinator& c);  // (not an aggregate: clang 14 fuzz build)
    ~State();
    net::EventLoop& loop;
    GroupCoordinator& coordinator;
    std::atomic<bool> running{false};
    std::unique_ptr<net::Timer> timer;  // created, armed and destroyed on `loop` only
  };
  static void arm(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
};

}  // namespace unimq::kafka::groups
