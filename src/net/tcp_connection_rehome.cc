// Moving a connection to another loop: wait until no operation is in flight (cancelling the
// pending read), detach the fd from the old io_context, and adopt it on the target's. The
// TcpConnection object itself (buffers, handler, output queue) simply changes owner thread.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <asio/post.hpp>

#include "net/event_loop_impl.h"
#include "net/tcp_connection.h"

namespace unimq::net {

namespace {
// Out of line: inlined, GCC flags asio's move of a closed socket for copying its (unused,
// uninitialised) reactor data.
[[gnu::noinline]] TcpConnection::Socket closed_socket(asio::io_context& io) {
  return TcpConnection::Socket(io);
}
}  // namespace

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
  if (reading_ || writing_) {
    // Their completions (aborted, or done with data) call continue_rehome().
    asio::error_code ec;
    socket_.cancel(ec);
    return;
  }
  // Not inline: rehome() may be called from inside a handler callback.
  asio::post(io_of(*loop_), [self, e = epoch_.load()] {
    if (self->epoch_.load() == e) self->continue_rehome();
  });
}

void TcpConnection::continue_rehome() {
  if (!rehoming_ || reading_ || writing_ || in_handler_ > 0 || state_ == State::kClosed) return;
  asio::error_code ec;
  int fd = socket_.release(ec);
  if (ec) {
    rehoming_ = false;
    fail("rehome", ec);
    return;
  }
  auto self = shared_from_this();
  if (registered_) {
    registered_ = false;
    loop_->internals().connections.erase(id_);
  }
  // From here on the old loop must not touch us: stale posted tasks see a new epoch.
  epoch_.fetch_add(1);
  flush_posted_ = false;
  EventLoop* target = rehome_->target;
  socket_ = closed_socket(io_of(*target));
  spdlog::debug("net: conn {} {} moving from loop {} to loop {}", id_, peer_, loop_->index(),
                target->index());
  target->post([self, fd] { self->adopt(fd); });
}

void TcpConnection::adopt(int fd) {
  loop_ = rehome_->target;
  std::function<void()> cb = std::move(rehome_->on_moved);
  rehome_.reset();
  rehoming_ = false;
  loop_->internals().connections.emplace(id_, shared_from_this());
  registered_ = true;
  asio::error_code ec;
  socket_.assign(v6_ ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), fd, ec);
  if (!ec) socket_.non_blocking(true, ec);  // a new socket object: reads must not block
  if (ec) {
    asio::error_code ignored;
    if (socket_.is_open()) {
      socket_.close(ignored);
    } else {
      ::close(fd);
    }
    fail("rehome assign", ec);
    return;
  }
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
