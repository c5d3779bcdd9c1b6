// One-shot timer bound to an EventLoop; callbacks run on that loop. Not thread-safe: use it
// only from its loop. Destroying or re-arming cancels the pending callback (it is not called).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace unimq::net {

class EventLoop;

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

}  // namespace unimq::net
