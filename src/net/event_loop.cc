#include "net/event_loop.h"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "net/event_loop_impl.h"
#include "net/tcp_connection.h"

namespace unimq::net {

namespace {
thread_local int t_current_index = -1;
}  // namespace

EventLoop::EventLoop(uint32_t index) : index_(index), impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() {
  // Drop connections first (their sockets need the io_context), then the context itself.
  impl_->connections.clear();
}

void EventLoop::post(std::function<void()> fn) {
  asio::post(impl_->io, [fn = std::move(fn)] {
    FlushScope scope;  // e.g. a delivery from another shard: write it before polling again
    fn();
  });
}

bool EventLoop::in_loop() const { return impl_->io.get_executor().running_in_this_thread(); }

void* EventLoop::native() { return &impl_->io; }

// No restart() here: a stop() that races ahead of run() (a group stopped right after start())
// must still make run() return.
void EventLoop::run() { impl_->io.run(); }

void EventLoop::stop() { impl_->io.stop(); }

EventLoopGroup::EventLoopGroup(size_t n) {
  loops_.reserve(n);
  for (size_t i = 0; i < n; ++i) loops_.push_back(std::make_unique<EventLoop>(i));
}

EventLoopGroup::~EventLoopGroup() {
  stop();
  join();
  // A connection moved between loops can still be referenced by a stale task queued on its
  // old loop; close every socket while all io_contexts are alive so no socket outlives the
  // service it was registered with, whichever loop is destroyed first.
  for (auto& loop : loops_) {
    for (auto& conn : loop->internals().connections) conn->close_for_exit();
  }
}

int EventLoopGroup::current_index() { return t_current_index; }

void EventLoopGroup::start() {
  if (!threads_.empty()) return;
  threads_.reserve(loops_.size());
  for (auto& loop : loops_) {
    EventLoop* l = loop.get();
    threads_.emplace_back([l] {
      t_current_index = static_cast<int>(l->index());
      try {
        l->run();
      } catch (const std::exception& e) {
        // A handler threw: the shard is dead; make it loud rather than silently hang.
        spdlog::critical("net: event loop {} died: {}", l->index(), e.what());
        throw;
      }
      t_current_index = -1;
    });
  }
}

void EventLoopGroup::stop() {
  for (auto& loop : loops_) loop->stop();
}

void EventLoopGroup::join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace unimq::net
