// Moving a connection to another loop: once no handler callback is on the stack, take the fd
// out of the old loop's Poller and registry, and register it with the target's. The
// TcpConnection object itself (fd, buffers, handler, output queue) simply changes owner
// thread; a batch half written continues there.
#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "net/event_loop_impl.h"
#include "net/tcp_connection.h"

namespace unimq::net {

void TcpConnection::rehome(EventLoop& target, std::function<void()> on_moved) {
  if (state_ == State::kClosed || rehoming_) {
    spdlog::warn("net: conn {} {} cannot rehome (closed or already moving)", id_, peer_);
    return;
  }
  paused_ = true;  // precondition; enforce it rather than lose input
  auto self = shared_from_this();
  if (&target == loop_) {
    asio::post(io_of(*loop_), [self, cb = std::move(on_moved)] {
      if (cb) cb();
    });
    return;
  }
  rehoming_ = true;
  rehome_ = std::make_unique<Rehome>();
  rehome_->target = &target;
  rehome_->on_moved = std::move(on_moved);
  // Not inline: rehome() may be called from inside a handler callback.
  asio::post(io_of(*loop_), [self, e = epoch_.load()] {
    if (self->epoch_.load() == e) self->continue_rehome();
  });
}

void TcpConnection::continue_rehome() {
  if (!rehoming_ || in_handler_ > 0 || state_ == State::kClosed) return;
  auto self = shared_from_this();
  unregister();
  // From here on the old loop must not touch us: stale posted tasks see a new epoch.
  epoch_.fetch_add(1);
  flush_posted_ = false;
  read_posted_ = false;
  writing_ = false;  // a blocked batch is carried over: adopt() flushes it
  write_blocked_ = false;
  EventLoop* target = rehome_->target;
  spdlog::debug("net: conn {} {} moving from loop {} to loop {}", id_, peer_, loop_->index(),
                target->index());
  target->post([self] { self->adopt(); });
}

void TcpConnection::adopt() {
  loop_ = rehome_->target;
  std::function<void()> cb = std::move(rehome_->on_moved);
  rehome_.reset();
  rehoming_ = false;
  if (!register_fd()) return;
  if (cb) {
    ++in_handler_;
    cb();
    end_callback();
  }
  if (state_ == State::kClosed) return;
  if ((out_ && out_->pending.remaining() > 0) || has_output() || state_ == State::kClosing) {
    schedule_flush();
  }
  if (!paused_) {  // resumed while in transit
    paused_ = true;
    resume_reading();
  }
}

}  // namespace unimq::net
