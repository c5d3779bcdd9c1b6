// One-shot timer bound to an EventLoop; callbacks run on that loop. Not thread-safe: use it
// only from its loop. Destroying or re-arming cancels the pending callback (it is not called).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace unimq::net {

class EventLoop;
class TimerWheel;

class Timer {
 public:
  explicit Timer(EventLoop& loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void arm(std::chrono::milliseconds after, std::function<void()> fn);
  void cancel();
  bool armed() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// A one-shot timer for coarse deadlines (keep-alives, timeouts) that a connection can own for
// free: it allocates nothing and all CoarseTimers of a loop share one ticking asio timer, where
// a Timer costs ~300 bytes of heap. It fires up to kTick late, never early. Same rules as
// Timer: use it only on the loop it is armed on; destroying or re-arming cancels the pending
// callback. Destroy it before its loop (or it is simply disarmed when the loop goes).
class CoarseTimer {
 public:
  static constexpr std::chrono::milliseconds kTick{100};

  CoarseTimer() = default;
  ~CoarseTimer() { cancel(); }
  CoarseTimer(const CoarseTimer&) = delete;
  CoarseTimer& operator=(const CoarseTimer&) = delete;

  // Call on `loop`'s thread; `fn` runs there.
  void arm(EventLoop& loop, std::chrono::milliseconds after, std::function<void()> fn);
  void cancel();
  bool armed() const { return wheel_ != nullptr; }

 private:
  friend class TimerWheel;
  // Intrusive link in one slot of the loop's wheel (see timer.cc).
  CoarseTimer* prev_ = nullptr;
  CoarseTimer* next_ = nullptr;
  TimerWheel* wheel_ = nullptr;  // non-null while armed
  uint64_t due_ = 0;             // tick
  std::function<void()> fn_;
};

}  // namespace unimq::net
