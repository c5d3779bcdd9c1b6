// A net::Connection without a socket, for driving a protocol handler directly (unit tests and
// the session fuzzers): what the handler sends is collected in `out`, close() only marks it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/connection.h"

namespace unimq::test {

class FakeConnection : public net::Connection {
 public:
  explicit FakeConnection(net::EventLoop& loop) : loop_(loop) {}
  void set_handler(std::unique_ptr<net::ConnectionHandler> h) override { handler_ = std::move(h); }
  net::ConnectionHandler* handler() override { return handler_.get(); }
  void send(std::span<const uint8_t> b) override { out.insert(out.end(), b.begin(), b.end()); }
  void send_shared(const uint8_t* d, size_t n, net::PayloadOwner) override {
    out.insert(out.end(), d, d + n);
  }
  size_t queued_bytes() const override { return 0; }
  bool congested() const override { return false; }
  void pause_reading() override { paused = true; }
  void resume_reading() override { paused = false; }
  void close() override { open = false; }
  void abort() override { open = false; }
  bool is_open() const override { return open; }
  void rehome(net::EventLoop&, std::function<void()>) override {}
  net::EventLoop& loop() override { return loop_; }
  const std::string& peer() const override { return peer_; }
  bool is_websocket() const override { return false; }
  uint64_t id() const override { return 1; }

  std::vector<uint8_t> out;
  bool open = true;
  bool paused = false;

 private:
  net::EventLoop& loop_;
  std::unique_ptr<net::ConnectionHandler> handler_;
  std::string peer_ = "127.0.0.1:5555";
};

}  // namespace unimq::test
