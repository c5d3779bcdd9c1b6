#include "net/timer.h"

#include <asio/steady_timer.hpp>
#include <cstdint>

#include "net/event_loop_impl.h"

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
