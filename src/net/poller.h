// Private to net/: the readiness source of a loop's client connections. Every connection's fd
// sits in one epoll set of the loop (edge-triggered, registered once), and only that epoll fd
// is watched by the io_context. An idle connection thus costs the kernel's epoll entry and
// nothing in the process: no asio descriptor state, no pending operation per socket.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <asio/io_context.hpp>
#include <asio/posix/basic_stream_descriptor.hpp>
#include <memory>
#include <vector>

namespace unimq::net {

class TcpConnection;

class Poller {
 public:
  explicit Poller(asio::io_context& io);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Watches `fd` for input, output space and hang-up (edge-triggered): events go to
  // conn->on_poll_events(). Returns 0 or an errno.
  int add(int fd, TcpConnection* conn);
  // Stops watching `fd` (before it is closed or handed to another loop).
  void remove(int fd);
  // Drops the registry's reference to a connection that was just removed: kept until the
  // current batch of events is dispatched, since a later event of the batch may point at it
  // (and is then skipped).
  void retire(std::shared_ptr<TcpConnection> conn);

 private:
  using Descriptor = asio::posix::basic_stream_descriptor<asio::io_context::executor_type>;
  void arm();
  void drain();  // dispatches ready events; called when the epoll fd is readable
  bool retired(const TcpConnection* c) const;

  asio::io_context& io_;
  int epfd_ = -1;
  Descriptor watch_;  // the epoll fd, as seen by the io_context
  bool armed_ = false;
  bool dispatching_ = false;
  bool drain_posted_ = false;
  std::vector<std::shared_ptr<TcpConnection>> retired_;
  std::array<epoll_event, 128> events_{};
};

}  // namespace unimq::net
