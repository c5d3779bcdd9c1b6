#include "protocol/kafka/groups/group_ticker.h"

#include <future>

#include "net/event_loop.h"
#include "net/timer.h"
#include "protocol/kafka/groups/group_coordinator.h"

namespace unimq::kafka::groups {

GroupTicker::State::State(net::EventLoop& l, GroupCoordinator& c) : loop(l), coordinator(c) {}
GroupTicker::State::~State() = default;

GroupTicker::GroupTicker(net::EventLoop& loop, GroupCoordinator& coordinator)
    : state_(std::make_shared<State>(loop, coordinator)) {}

GroupTicker::~GroupTicker() { stop(); }

void GroupTicker::start() {
  if (state_->running.exchange(true)) return;
  state_->loop.post([state = state_] {
    if (!state->running) return;
    if (!state->timer) state->timer = std::make_unique<net::Timer>(state->loop);
    arm(state);
  });
}

void GroupTicker::arm(const std::shared_ptr<State>& state) {
  state->timer->arm(kInterval, [state] {
    if (!state->running) return;
    state->coordinator.tick();
    arm(state);
  });
}

void GroupTicker::stop() {
  if (!state_->running.exchange(false)) return;
  if (state_->loop.in_loop()) {
    state_->timer.reset();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> cancelled = done->get_future();
  state_->loop.post([state = state_, done] {
    state->timer.reset();
    done->set_value();
  });
  // If the loop has already stopped, its timers are gone with it: do not wait forever.
  cancelled.wait_for(std::chrono::seconds(2));
}

}  // namespace unimq::kafka::groups
