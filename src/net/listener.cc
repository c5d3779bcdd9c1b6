#include "net/listener.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "net/event_loop.h"
#include "net/event_loop_impl.h"
#include "net/tcp_connection.h"

namespace unimq::net {

namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

struct Shared {
  ListenerOptions opts;
  std::shared_ptr<const HandlerFactory> factory;
};

// One acceptor per loop, all bound to the same port; the kernel load-balances between them.
class Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  Acceptor(EventLoop& loop, std::shared_ptr<const Shared> shared)
      : loop_(loop), acceptor_(io_of(loop)), backoff_(io_of(loop)), shared_(std::move(shared)) {}

  asio::error_code open(const asio::ip::tcp::endpoint& ep) {
    asio::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (ec) return ec;
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return ec;
    acceptor_.set_option(ReusePort(true), ec);
    if (ec) return ec;
    acceptor_.bind(ep, ec);
    if (ec) return ec;
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return ec;
    acceptor_.non_blocking(true, ec);  // accept4 until EAGAIN
    return ec;
  }
  uint16_t local_port() {
    asio::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }
  // Accepts what is pending. The wait is armed first: the io_context's reactor is
  // edge-triggered, so a connection arriving after the last accept4 must find it pending.
  void accept() {
    if (stopped_) return;
    if (!armed_) {
      armed_ = true;
      acceptor_.async_wait(asio::socket_base::wait_read,
                           [self = shared_from_this()](const asio::error_code& ec) {
                             self->armed_ = false;
                             if (ec != asio::error::operation_aborted) self->accept();
                           });
    }
    for (int i = 0; i < kAcceptBatch; ++i) {
      int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (!on_accept_error(errno)) return;
        continue;
      }
      on_accept(fd);
      if (stopped_) return;
    }
    // More may be pending: let the loop's other work run first.
    asio::post(io_of(loop_), [self = shared_from_this()] { self->accept(); });
  }
  void stop() {
    stopped_ = true;
    asio::error_code ec;
    acceptor_.close(ec);
    backoff_.cancel();
  }

 private:
  static constexpr int kAcceptBatch = 64;

  // Returns true to try accept4 again at once.
  bool on_accept_error(int e) {
    if (e == EAGAIN || e == EWOULDBLOCK) return false;  // all accepted; the wait is armed
    if (e == EINTR || e == ECONNABORTED || e == EPROTO) return true;
    asio::error_code ec(e, asio::system_category());
    if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
      // Out of fds/memory: the pending connection stays queued, so retrying at once would
      // spin. Back off and let closing connections free resources.
      spdlog::warn("net: accept on loop {}: {}; retrying in 100ms", loop_.index(), ec.message());
      backoff_.expires_after(std::chrono::milliseconds(100));
      backoff_.async_wait([self = shared_from_this()](const asio::error_code& err) {
        if (!err) self->accept();
      });
      return false;
    }
    spdlog::debug("net: accept on loop {}: {}", loop_.index(), ec.message());
    return false;
  }

  void on_accept(int fd) {
    int one = 1;  // we batch writes ourselves
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const ListenerOptions& o = shared_->opts;
    auto conn = std::make_shared<TcpConnection>(loop_, fd, o.limits,
                                                o.transport == Transport::WebSocket ? &o : nullptr);
    conn->start(shared_->factory);
  }

  EventLoop& loop_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  std::shared_ptr<const Shared> shared_;
  bool stopped_ = false;
  bool armed_ = false;
};

}  // namespace

struct Listener::Impl {
  EventLoopGroup& loops;
  std::shared_ptr<Shared> shared;
  std::mutex mu;  // start/stop may come from any thread
  std::vector<std::shared_ptr<Acceptor>> acceptors;
  uint16_t port = 0;
};

Listener::Listener(EventLoopGroup& loops, ListenerOptions opts, HandlerFactory factory)
    : impl_(new Impl{loops, std::make_shared<Shared>(), {}, {}, 0}) {
  impl_->shared->opts = std::move(opts);
  impl_->shared->factory = std::make_shared<const HandlerFactory>(std::move(factory));
}

Listener::~Listener() { stop(); }

void Listener::start() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->acceptors.empty()) return;
  const ListenerOptions& o = impl_->shared->opts;
  auto fail = [&](const std::string& reason) {
    for (auto& a : impl_->acceptors) a->stop();
    impl_->acceptors.clear();
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", o.host, o.port, reason));
  };
  if (impl_->loops.size() == 0) fail("no event loops");

  asio::error_code ec;
  asio::ip::address addr = asio::ip::make_address(o.host, ec);
  if (ec) {  // not a literal address: resolve the name (once, at startup)
    asio::ip::tcp::resolver resolver(io_of(impl_->loops.loop(0)));
    auto results = resolver.resolve(o.host, "", ec);
    if (ec || results.empty()) fail(ec ? ec.message() : "host not found");
    addr = results.begin()->endpoint().address();
  }
  asio::ip::tcp::endpoint ep(addr, o.port);
  for (size_t i = 0; i < impl_->loops.size(); ++i) {
    auto acc = std::make_shared<Acceptor>(impl_->loops.loop(i), impl_->shared);
    impl_->acceptors.push_back(acc);
    if (asio::error_code e = acc->open(ep)) fail(e.message());
    if (i == 0 && ep.port() == 0) ep.port(acc->local_port());  // the others share this port
  }
  impl_->port = ep.port();
  for (size_t i = 0; i < impl_->acceptors.size(); ++i) {
    impl_->loops.loop(i).post([acc = impl_->acceptors[i]] { acc->accept(); });
  }
  spdlog::info("net: listening on {}:{} ({}, {} loops)", o.host, impl_->port,
               o.transport == Transport::WebSocket ? "websocket" : "tcp", impl_->loops.size());
}

void Listener::stop() {
  std::lock_guard lock(impl_->mu);
  for (size_t i = 0; i < impl_->acceptors.size(); ++i) {
    impl_->loops.loop(i).post([acc = impl_->acceptors[i]] { acc->stop(); });
  }
  impl_->acceptors.clear();
}

uint16_t Listener::port() const { return impl_->port; }

}  // namespace unimq::net
