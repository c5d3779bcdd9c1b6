// Driving a protocol handler on a running event loop from a test or fuzzer thread.
#pragma once

#include <cstdint>
#include <future>
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

}  // namespace unimq::test
