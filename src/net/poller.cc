#include "net/poller.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "net/event_loop_impl.h"
#include "net/tcp_connection.h"

namespace unimq::net {

Poller& poller_of(EventLoop& loop) {
  EventLoop::Impl& im = loop.internals();
  if (!im.poller) im.poller = std::make_unique<Poller>(im.io);
  return *im.poller;
}

Poller::Poller(asio::io_context& io) : io_(io), watch_(io.get_executor()) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  watch_.assign(epfd_);  // owns it from now on
}

Poller::~Poller() = default;

int Poller::add(int fd, TcpConnection* conn) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = conn;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return errno;
  arm();
  return 0;
}

void Poller::remove(int fd) {
  epoll_event ev{};
  if (::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) != 0) {
    spdlog::debug("net: epoll_ctl DEL fd {}: {}", fd, std::strerror(errno));
  }
}

void Poller::retire(std::shared_ptr<TcpConnection> conn) {
  if (dispatching_) retired_.push_back(std::move(conn));
}

bool Poller::retired(const TcpConnection* c) const {
  return std::any_of(retired_.begin(), retired_.end(),
                     [c](const std::shared_ptr<TcpConnection>& r) { return r.get() == c; });
}

void Poller::arm() {
  if (armed_) return;
  armed_ = true;
  watch_.async_wait(asio::posix::descriptor_base::wait_read, [this](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // the poller is going away
    armed_ = false;
    drain();
  });
}

void Poller::drain() {
  drain_posted_ = false;
  // Armed before reading the set: the io_context's reactor is edge-triggered, so an event
  // that arrives after this point must find a wait pending to complete.
  arm();
  int n = ::epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()), 0);
  if (n <= 0) return;
  dispatching_ = true;
  for (int i = 0; i < n; ++i) {
    auto* conn = static_cast<TcpConnection*>(events_[i].data.ptr);
    if (!retired_.empty() && retired(conn)) continue;  // closed or moved earlier in the batch
    conn->on_poll_events(events_[i].events);
  }
  dispatching_ = false;
  if (!retired_.empty()) {
    std::vector<std::shared_ptr<TcpConnection>> done;
    done.swap(retired_);
    done.clear();                               // may destroy connections
    if (retired_.empty()) done.swap(retired_);  // keep the capacity
  }
  if (n == static_cast<int>(events_.size()) && !drain_posted_) {
    // Maybe more ready: let other work of the loop run first, then continue.
    drain_posted_ = true;
    asio::post(io_, [this] { drain(); });
  }
}

}  // namespace unimq::net
