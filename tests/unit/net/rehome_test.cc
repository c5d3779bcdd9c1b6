#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "net_test_util.h"

namespace unimq::net::testing {
namespace {

class RehomeTest : public NetFixture {
 protected:
  EventLoop& other_loop(Connection& c) {
    return group_.loop((c.loop().index() + 1) % group_.size());
  }
};

// Streams sequence numbers through an echo handler that hops between the two loops every
// few thousand numbers; the echo must come back complete and in order.
TEST_F(RehomeTest, MidStreamMovesLoseNothing) {
  constexpr uint32_t kCount = 300000;
  constexpr uint32_t kHopEvery = 5000;
  std::atomic<int> moves{0};
  std::atomic<int> bad_moves{0};
  std::atomic<int> wrong_thread{0};
  uint32_t units = 0;  // touched only by the connection's current loop
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    if (!c.loop().in_loop()) ++wrong_thread;
    size_t whole = d.size() / 4 * 4;
    c.send(d.first(whole));
    uint32_t before = units;
    units += static_cast<uint32_t>(whole / 4);
    if (before / kHopEvery != units / kHopEvery) {
      EventLoop& target = other_loop(c);
      c.pause_reading();
      c.rehome(target, [&c, &target, &moves, &bad_moves] {
        if (!target.in_loop() || &c.loop() != &target ||
            EventLoopGroup::current_index() != static_cast<int>(target.index())) {
          ++bad_moves;
        }
        ++moves;
        c.send(bytes_of(""));  // sending right after the move is fine
        c.resume_reading();
      });
    }
    return whole;
  };
  ListenerOptions opts;
  opts.limits.read_buffer = 4096;  // small reads: a hop every couple of reads
  Client c(listen(opts));
  ASSERT_TRUE(c.connected());
  std::thread writer([&] {
    std::vector<uint32_t> seq(kCount);
    for (uint32_t i = 0; i < kCount; ++i) seq[i] = i;
    std::string_view all(reinterpret_cast<const char*>(seq.data()), seq.size() * 4);
    // Odd-sized writes so units straddle reads (exercises the unconsumed tail).
    for (size_t pos = 0; pos < all.size(); pos += 1021) c.send(all.substr(pos, 1021));
  });
  std::string got = c.recv_exact(size_t{kCount} * 4, 30000);
  writer.join();
  ASSERT_EQ(got.size(), size_t{kCount} * 4);
  for (uint32_t i = 0; i < kCount; ++i) {
    uint32_t v;
    std::memcpy(&v, got.data() + size_t{i} * 4, 4);
    ASSERT_EQ(v, i) << "at " << i;
  }
  EXPECT_GE(moves.load(), static_cast<int>(kCount / kHopEvery) / 2);
  EXPECT_EQ(bad_moves.load(), 0);
  EXPECT_EQ(wrong_thread.load(), 0);
}

// A move while a large write is still in flight (the client is not reading yet) carries the
// rest of the output along; what is sent after the move follows it.
TEST_F(RehomeTest, MoveWithOutputInFlight) {
  constexpr size_t kSize = 8u << 20;
  std::atomic<int> moved_to{-1};
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    std::vector<uint8_t> big(kSize);
    for (size_t i = 0; i < kSize; ++i) big[i] = static_cast<uint8_t>(i * 7);
    c.send(big);
    c.pause_reading();
    EventLoop& target = other_loop(c);
    c.rehome(target, [&c, &moved_to] {
      moved_to = EventLoopGroup::current_index();
      c.send(bytes_of("tail"));
      c.resume_reading();
    });
    return d.size();
  };
  Client c(listen(), 16 << 10);
  int home = -1;
  c.send("go");
  ASSERT_TRUE(wait_until([&] { return moved_to.load() != -1; }));
  std::this_thread::sleep_for(20ms);
  home = static_cast<int>(conn().loop().index());
  EXPECT_EQ(moved_to.load(), home);
  std::string got = c.recv_exact(kSize + 4, 20000);
  ASSERT_EQ(got.size(), kSize + 4);
  for (size_t i = 0; i < kSize; ++i) ASSERT_EQ(static_cast<uint8_t>(got[i]), uint8_t(i * 7)) << i;
  EXPECT_EQ(got.substr(kSize), "tail");
  // Still a working connection on its new loop.
  probe_->on_data = nullptr;
  c.send("echo");
  EXPECT_EQ(c.recv_exact(4), "echo");
}

TEST_F(RehomeTest, WebSocketConnectionMovesWithItsDecoderState) {
  std::atomic<bool> moved{false};
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    c.send(d);
    if (!moved.load()) {
      c.pause_reading();
      c.rehome(other_loop(c), [&c, &moved] {
        moved = true;
        c.resume_reading();
      });
    }
    return d.size();
  };
  ListenerOptions opts;
  opts.transport = Transport::WebSocket;
  Client c(listen(opts));
  c.send(
      "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string http;
  while (http.find("\r\n\r\n") == std::string::npos) http += c.recv_exact(1);
  auto first = masked(0x02, "one-");  // a fragmented message split across the move
  c.send(std::string_view(reinterpret_cast<const char*>(first.data()), first.size()));
  std::string f1 = c.recv_exact(6);
  EXPECT_EQ(f1, std::string("\x82\x04one-", 6));
  ASSERT_TRUE(wait_until([&] { return moved.load(); }));
  auto second = masked(0x80, "two");
  c.send(std::string_view(reinterpret_cast<const char*>(second.data()), second.size()));
  EXPECT_EQ(c.recv_exact(5), std::string("\x82\x03two", 5));
}

}  // namespace
}  // namespace unimq::net::testing
