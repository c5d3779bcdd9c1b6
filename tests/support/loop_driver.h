// Driving a protocol handler on a running event loop from a test or fuzzer thread.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <span>

#include "net/connection.h"
#include "net/event_loop.h"
#include "support/fake_connection.h"

namespace unimq::test {

// Runs fn on `loop` and waits for it, and for what it posted to the loop meanwhile.
template <typename Fn>
void run_on_loop(net::EventLoop& loop, Fn fn) {
  std::promise<void> done;
  loop.post([&] {
    fn();
    loop.post([&] { done.set_value(); });
  });
  done.get_future().wait();
}

// Offers `bytes` to the handler as a socket would: what it leaves is offered again, until it
// takes everything, takes nothing more, or the connection closes.
inline void feed(net::ConnectionHandler& handler, const FakeConnection& conn,
                 std::span<const uint8_t> bytes) {
  while (!bytes.empty() && conn.open) {
    const size_t used = handler.on_data(bytes);
    if (used == 0) break;
    bytes = bytes.subspan(used);
  }
}

// One client connection's life on `loop`: a handler made by make_handler(conn) is fed `bytes`;
// after one more loop turn (for what that posted: answers of appends, deliveries, confirms)
// the client hangs up, and the handler is closed and destroyed.
template <typename MakeHandler>
void serve_connection(net::EventLoop& loop, std::span<const uint8_t> bytes,
                      MakeHandler make_handler) {
  std::unique_ptr<FakeConnection> conn;
  std::unique_ptr<net::ConnectionHandler> handler;
  run_on_loop(loop, [&] {
    conn = std::make_unique<FakeConnection>(loop);
    handler = make_handler(*conn);
    feed(*handler, *conn, bytes);
  });
  run_on_loop(loop, [] {});
  run_on_loop(loop, [&] {
    handler->on_closed();
    handler.reset();
    conn.reset();
  });
}

}  // namespace unimq::test
