#include "net/timer.h"

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <cstdint>

#include "net/event_loop_impl.h"
#include "net/poller.h"

namespace unimq::net {

// Shared with the pending wait (weakly) so destroying the Timer while a wait is pending is
// safe: the completion finds the Impl gone, or a newer generation, and does nothing.
struct Timer::Impl {
  explicit Impl(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::function<void()> fn;
  uint64_t generation = 0;
  bool armed = false;
};

Timer::Timer(EventLoop& loop) : impl_(std::make_shared<Impl>(io_of(loop))) {}

Timer::~Timer() { cancel(); }

void Timer::arm(std::chrono::milliseconds after, std::function<void()> fn) {
  Impl& im = *impl_;
  uint64_t gen = ++im.generation;
  im.fn = std::move(fn);
  im.armed = true;
  im.timer.expires_after(after);  // cancels a previous wait (its completion sees a stale gen)
  std::weak_ptr<Impl> weak = impl_;
  im.timer.async_wait([weak, gen](const asio::error_code& ec) {
    std::shared_ptr<Impl> s = weak.lock();
    if (!s || ec || s->generation != gen) return;
    s->armed = false;
    // Move out first: fn may re-arm (replacing s->fn) or destroy the Timer; s keeps Impl alive.
    std::function<void()> f = std::move(s->fn);
    s->fn = nullptr;
    f();
  });
}

void Timer::cancel() {
  if (!impl_) return;
  ++impl_->generation;
  impl_->armed = false;
  impl_->fn = nullptr;
  impl_->timer.cancel();
}

bool Timer::armed() const { return impl_->armed; }

}  // namespace unimq::net

namespace unimq::net {

// A hashed timing wheel: kSlots lists of CoarseTimers by due tick modulo kSlots (timers due
// more than one revolution ahead wait in their slot for later turns). One asio timer ticks
// every kTick while anything is armed and visits the slots that came due.
class TimerWheel {
 public:
  explicit TimerWheel(asio::io_context& io) : timer_(io) {
    for (CoarseTimer& s : slots_) s.prev_ = s.next_ = &s;
  }
  ~TimerWheel() {
    // Disarm what is left so its owners' destructors do not touch us.
    for (CoarseTimer& s : slots_) {
      while (s.next_ != &s) unlink(s.next_);
    }
  }

  static uint64_t tick_of(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(t.time_since_epoch() / CoarseTimer::kTick);
  }

  void add(CoarseTimer* t, uint64_t due) {
    if (!ticking_) {
      ticking_ = true;
      last_ = tick_of(std::chrono::steady_clock::now());
      schedule();
    }
    t->due_ = due;
    t->wheel_ = this;
    // Ticks up to last_ are visited already: anything due by then goes to the next one.
    link(t, slots_[std::max(due, last_ + 1) % kSlots]);
  }

  void unlink(CoarseTimer* t) {
    t->prev_->next_ = t->next_;
    t->next_->prev_ = t->prev_;
    t->prev_ = t->next_ = nullptr;
    t->wheel_ = nullptr;
    --count_;
  }

 private:
  static constexpr size_t kSlots = 256;

  void schedule() {
    auto at =
        std::chrono::milliseconds(static_cast<int64_t>(last_ + 1) * CoarseTimer::kTick.count());
    timer_.expires_at(std::chrono::steady_clock::time_point(at));
    timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec) on_tick();  // aborted: the wheel is being destroyed
    });
  }

  void on_tick() {
    uint64_t now = tick_of(std::chrono::steady_clock::now());
    // Visit every slot that came due since the last tick (all of them after a long stall).
    uint64_t from = now - last_ >= kSlots ? now - kSlots + 1 : last_ + 1;
    last_ = now;
    for (uint64_t tick = from; tick <= now; ++tick) fire_slot(slots_[tick % kSlots], now);
    if (count_ == 0) {
      ticking_ = false;
      return;
    }
    schedule();
  }

  void fire_slot(CoarseTimer& head, uint64_t now) {
    // Move the slot's list aside: callbacks may arm, cancel or destroy any timer, and a timer
    // re-armed into this very slot must wait for its own tick.
    if (head.next_ == &head) return;
    CoarseTimer pending;
    pending.next_ = head.next_;
    pending.prev_ = head.prev_;
    pending.next_->prev_ = &pending;
    pending.prev_->next_ = &pending;
    head.prev_ = head.next_ = &head;
    while (pending.next_ != &pending) {
      CoarseTimer* t = pending.next_;
      // Unlinked from `pending`; either fired or put back into its slot.
      t->prev_->next_ = t->next_;
      t->next_->prev_ = t->prev_;
      --count_;
      if (t->due_ > now) {  // a later turn of the wheel
        link(t, head);
        continue;
      }
      t->prev_ = t->next_ = nullptr;
      t->wheel_ = nullptr;
      CoarseTimer::Callback fn = t->fn_.take();
      fn.run_once();  // may destroy t
    }
  }

  void link(CoarseTimer* t, CoarseTimer& head) {
    t->prev_ = head.prev_;
    t->next_ = &head;
    head.prev_->next_ = t;
    head.prev_ = t;
    ++count_;
  }

  asio::steady_timer timer_;
  CoarseTimer slots_[kSlots];  // list heads (never armed themselves)
  size_t count_ = 0;
  uint64_t last_ = 0;  // last tick visited
  bool ticking_ = false;
};

EventLoop::Impl::Impl() = default;
EventLoop::Impl::~Impl() = default;

void CoarseTimer::schedule(EventLoop& loop, std::chrono::milliseconds after) {
  EventLoop::Impl& im = loop.internals();
  if (!im.wheel) im.wheel = std::make_unique<TimerWheel>(im.io);
  if (after.count() < 0) after = std::chrono::milliseconds(0);
  // The first tick boundary at or after the deadline: never early.
  auto deadline = std::chrono::steady_clock::now() + after;
  uint64_t due = TimerWheel::tick_of(deadline);
  auto start = std::chrono::milliseconds(static_cast<int64_t>(due) * kTick.count());
  if (std::chrono::steady_clock::time_point(start) < deadline) ++due;
  im.wheel->add(this, due);
}

void CoarseTimer::cancel() {
  if (wheel_ == nullptr) return;
  wheel_->unlink(this);
  fn_.reset();
}

}  // namespace unimq::net
