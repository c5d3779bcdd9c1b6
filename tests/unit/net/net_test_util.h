// Shared helpers for the net tests: a blocking POSIX client and a probe-driven handler.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/connection.h"
#include "net/event_loop.h"
#include "net/listener.h"

namespace unimq::net::testing {

using namespace std::chrono_literals;

// Runs fn on the loop's thread and waits for it.
template <class F>
void run_on(EventLoop& loop, F&& fn) {
  std::promise<void> done;
  loop.post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

// Polls pred every few ms until it holds or the timeout passes.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

inline std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A client WebSocket frame: `first_byte` is FIN/RSV/opcode; masked unless told otherwise.
inline std::vector<uint8_t> masked(uint8_t first_byte, std::string_view payload, bool mask = true) {
  std::vector<uint8_t> f{first_byte};
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  uint8_t m = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    f.push_back(m | static_cast<uint8_t>(payload.size()));
  } else if (payload.size() <= 0xffff) {
    f.push_back(m | 126);
    f.push_back(static_cast<uint8_t>(payload.size() >> 8));
    f.push_back(static_cast<uint8_t>(payload.size()));
  } else {
    f.push_back(m | 127);
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<uint8_t>(payload.size() >> (8 * i)));
  }
  if (mask) f.insert(f.end(), key, key + 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    f.push_back(static_cast<uint8_t>(payload[i]) ^ (mask ? key[i % 4] : 0));
  }
  return f;
}

// A plain blocking loopback client.
class Client {
 public:
  explicit Client(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until n bytes, EOF/error, or the timeout; returns what arrived.
  std::string recv_exact(size_t n, int timeout_ms = 5000) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (out.size() < n) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (left <= 0 || !readable(left)) break;
      char buf[65536];
      size_t want = std::min(sizeof(buf), n - out.size());
      ssize_t r = ::recv(fd_, buf, want, 0);
      if (r <= 0) {
        eof_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(r));
    }
    return out;
  }
  // Whatever arrives within wait_ms.
  std::string recv_some(int wait_ms) {
    if (!readable(wait_ms)) return {};
    char buf[65536];
    ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
    if (r <= 0) {
      eof_ = true;
      return {};
    }
    return std::string(buf, static_cast<size_t>(r));
  }
  // Reads everything until EOF (or error); `ok` tells whether EOF came before the timeout.
  std::string read_to_eof(bool* ok = nullptr, int timeout_ms = 10000) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool done = false;
    while (!done) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (left <= 0 || !readable(left)) break;
      char buf[65536];
      ssize_t r = ::recv(fd_, buf, sizeof(buf), 0);
      if (r <= 0) {
        done = true;
      } else {
        out.append(buf, static_cast<size_t>(r));
      }
    }
    if (ok != nullptr) *ok = done;
    return out;
  }
  bool eof() const { return eof_; }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  bool readable(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
};

// What a TestHandler reports back; its behaviour is set by the test through the hooks.
struct Probe {
  std::atomic<Connection*> conn{nullptr};
  std::atomic<int> data_calls{0};
  std::atomic<int> drained{0};
  std::atomic<int> closed{0};
  std::atomic<int> destroyed{0};
  // Default: echo everything.
  std::function<size_t(Connection&, std::span<const uint8_t>)> on_data;
  std::function<void(Connection&)> on_drain;
  std::function<void(Connection&)> on_closed;
};

class TestHandler : public ConnectionHandler {
 public:
  TestHandler(Connection& c, std::shared_ptr<Probe> p) : conn_(c), probe_(std::move(p)) {}
  ~TestHandler() override { ++probe_->destroyed; }
  size_t on_data(std::span<const uint8_t> data) override {
    ++probe_->data_calls;
    if (probe_->on_data) return probe_->on_data(conn_, data);
    conn_.send(data);
    return data.size();
  }
  void on_drain() override {
    ++probe_->drained;
    if (probe_->on_drain) probe_->on_drain(conn_);
  }
  void on_closed() override {
    ++probe_->closed;
    if (probe_->on_closed) probe_->on_closed(conn_);
  }

 private:
  Connection& conn_;
  std::shared_ptr<Probe> probe_;
};

// A group of loops plus a listener whose connections report to `probe`.
class NetFixture : public ::testing::Test {
 protected:
  explicit NetFixture(size_t loops = 2) : group_(loops) {}
  void SetUp() override { group_.start(); }
  void TearDown() override {
    listener_.reset();
    group_.stop();
    group_.join();
  }
  uint16_t listen(ListenerOptions opts = {}) {
    opts.host = "127.0.0.1";
    listener_ = std::make_unique<Listener>(group_, opts, [this](Connection& c) {
      probe_->conn = &c;
      return std::make_unique<TestHandler>(c, probe_);
    });
    listener_->start();
    return listener_->port();
  }
  Connection& conn() {
    EXPECT_TRUE(wait_until([&] { return probe_->conn.load() != nullptr; }));
    return *probe_->conn.load();
  }
  // Runs fn on the connection's current loop.
  template <class F>
  void on_conn(F&& fn) {
    Connection& c = conn();
    run_on(c.loop(), [&] { fn(c); });
  }

  EventLoopGroup group_;
  std::unique_ptr<Listener> listener_;
  std::shared_ptr<Probe> probe_ = std::make_shared<Probe>();
};

}  // namespace unimq::net::testing
