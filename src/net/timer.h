// One-shot timer bound to an EventLoop; callbacks run on that loop. Not thread-safe: use it
// only from its loop. Destroying or re-arming cancels the pending callback (it is not called).
#pragma once

#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

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

  // Call on `loop`'s thread; `fn` runs there. A callable of up to 8 trivially copyable bytes
  // (e.g. a lambda capturing `this`) is kept inline; a larger one is allocated.
  template <typename F>
  void arm(EventLoop& loop, std::chrono::milliseconds after, F&& fn) {
    cancel();
    fn_.set(std::forward<F>(fn));
    schedule(loop, after);
  }
  void cancel();
  bool armed() const { return wheel_ != nullptr; }

 private:
  friend class TimerWheel;
  // A void() callable in 16 bytes instead of std::function's 32: every MQTT connection owns a
  // CoarseTimer. Trivially relocatable (the bytes are the callable, or a pointer to it).
  class Callback {
   public:
    template <typename F>
    void set(F&& f) {
      using D = std::decay_t<F>;
      reset();
      if constexpr (sizeof(D) <= sizeof(storage_) && alignof(D) <= alignof(void*) &&
                    std::is_trivially_copyable_v<D>) {
        ::new (static_cast<void*>(storage_)) D(std::forward<F>(f));
        ops_ = [](void* s, bool destroy) {
          if (!destroy) (*std::launder(static_cast<D*>(s)))();
        };
      } else {
        D* p = new D(std::forward<F>(f));
        std::memcpy(storage_, &p, sizeof(p));
        ops_ = [](void* s, bool destroy) {
          D* d;
          std::memcpy(&d, s, sizeof(d));
          if (destroy) {
            delete d;
          } else {
            (*d)();
          }
        };
      }
    }
    // Moves the callable out (this becomes empty), so it may re-arm its own timer when run.
    Callback take() {
      Callback c = *this;
      ops_ = nullptr;
      return c;
    }
    void run_once() {  // calls it, then destroys it
      if (ops_ == nullptr) return;
      ops_(storage_, false);
      reset();
    }
    void reset() {
      if (ops_ != nullptr) ops_(storage_, true);
      ops_ = nullptr;
    }

   private:
    void (*ops_)(void*, bool) = nullptr;  // call, or destroy
    alignas(void*) unsigned char storage_[sizeof(void*)];
  };
  void schedule(EventLoop& loop, std::chrono::milliseconds after);

  // Intrusive link in one slot of the loop's wheel (see timer.cc).
  CoarseTimer* prev_ = nullptr;
  CoarseTimer* next_ = nullptr;
  TimerWheel* wheel_ = nullptr;  // non-null while armed
  uint64_t due_ = 0;             // tick
  Callback fn_;
};

}  // namespace unimq::net
