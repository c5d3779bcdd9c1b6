#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "net/connection.h"
#include "net/tcp_connection.h"
#include "net_test_util.h"

namespace unimq::net::testing {
namespace {

class TcpConnectionTest : public NetFixture {};

TEST_F(TcpConnectionTest, EchoesBytes) {
  Client c(listen());
  ASSERT_TRUE(c.connected());
  c.send("hello, world");
  EXPECT_EQ(c.recv_exact(12), "hello, world");
  Connection& conn = this->conn();
  EXPECT_FALSE(conn.is_websocket());
  EXPECT_NE(conn.id(), 0u);
  EXPECT_EQ(conn.peer().rfind("127.0.0.1:", 0), 0u) << conn.peer();
}

TEST_F(TcpConnectionTest, PartialConsumptionReoffersTheRest) {
  std::mutex mu;
  std::vector<std::string> offered;
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    {
      std::lock_guard l(mu);
      offered.emplace_back(reinterpret_cast<const char*>(d.data()), d.size());
    }
    size_t whole = d.size() / 4 * 4;  // only complete 4-byte units
    c.send(d.first(whole));
    return whole;
  };
  Client c(listen());
  c.send("abcdef");
  EXPECT_EQ(c.recv_exact(4), "abcd");
  c.send("gh");
  EXPECT_EQ(c.recv_exact(4), "efgh");
  std::lock_guard l(mu);
  ASSERT_GE(offered.size(), 2u);
  EXPECT_EQ(offered.front(), "abcdef");
  EXPECT_EQ(offered.back(), "efgh");
}

TEST_F(TcpConnectionTest, ManySmallSendsAreCoalescedInOrder) {
  std::atomic<size_t> queued_after{0};
  constexpr int kCount = 5000;
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    for (int i = 0; i < kCount; ++i) {
      char buf[16];
      int n = std::snprintf(buf, sizeof(buf), "m%05d;", i);
      c.send({reinterpret_cast<const uint8_t*>(buf), static_cast<size_t>(n)});
    }
    // Nothing is written before the turn ends: the whole batch goes out in one flush.
    queued_after = c.queued_bytes();
    return d.size();
  };
  Client c(listen());
  c.send("go");
  std::string got = c.recv_exact(kCount * 7);
  ASSERT_EQ(got.size(), size_t{kCount} * 7);
  EXPECT_EQ(queued_after.load(), size_t{kCount} * 7);
  for (int i = 0; i < kCount; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "m%05d;", i);
    ASSERT_EQ(got.compare(static_cast<size_t>(i) * 7, 7, buf), 0) << i;
  }
}

TEST_F(TcpConnectionTest, SendSharedKeepsOwnerAliveUntilWritten) {
  std::weak_ptr<const void> weak;
  std::atomic<bool> alive_after_send{false};
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    // Interleave copied and shared payloads (more than 64 of them: several writevs).
    for (int i = 0; i < 100; ++i) {
      auto payload = std::make_shared<std::string>("<shared-" + std::to_string(i % 10) + ">");
      if (i == 0) weak = payload;
      c.send_shared(reinterpret_cast<const uint8_t*>(payload->data()), payload->size(), payload);
      c.send(bytes_of("|"));
    }
    alive_after_send = !weak.expired();
    return d.size();
  };
  Client c(listen());
  c.send("go");
  std::string expect;
  for (int i = 0; i < 100; ++i) expect += "<shared-" + std::to_string(i % 10) + ">|";
  EXPECT_EQ(c.recv_exact(expect.size()), expect);
  EXPECT_TRUE(alive_after_send.load());
  EXPECT_TRUE(wait_until([&] {
    bool expired = false;
    run_on(conn().loop(), [&] { expired = weak.expired(); });
    return expired;
  }));
}

TEST_F(TcpConnectionTest, BackpressureCongestsThenDrains) {
  ListenerOptions opts;
  opts.limits.high_watermark = 1 << 20;
  opts.limits.low_watermark = 256 << 10;
  constexpr size_t kTotal = 24u << 20;
  std::atomic<bool> congested_seen{false};
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    std::vector<uint8_t> chunk(64 << 10);
    for (size_t sent = 0; sent < kTotal; sent += chunk.size()) {
      std::memset(chunk.data(), 'a' + static_cast<int>((sent >> 16) % 26), chunk.size());
      c.send(chunk);
    }
    congested_seen = c.congested();
    return d.size();
  };
  Client c(listen(opts), 16 << 10);
  c.send("go");
  ASSERT_TRUE(wait_until([&] { return congested_seen.load(); }));
  std::this_thread::sleep_for(200ms);  // the client does not read: still congested
  bool still = false;
  on_conn([&](Connection& conn) { still = conn.congested(); });
  EXPECT_TRUE(still);
  EXPECT_EQ(probe_->drained.load(), 0);
  std::string got = c.recv_exact(kTotal, 20000);
  ASSERT_EQ(got.size(), kTotal);
  for (size_t off = 0; off < kTotal; off += 64 << 10) {
    ASSERT_EQ(got[off], 'a' + static_cast<int>((off >> 16) % 26)) << off;
  }
  EXPECT_TRUE(wait_until([&] { return probe_->drained.load() == 1; }));
  on_conn([&](Connection& conn) {
    EXPECT_FALSE(conn.congested());
    EXPECT_EQ(conn.queued_bytes(), 0u);
  });
}

TEST_F(TcpConnectionTest, CloseFlushesPendingOutputBeforeFin) {
  constexpr size_t kSize = 3u << 20;
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    std::vector<uint8_t> big(kSize, 'z');
    c.send(big);
    c.close();
    c.send(bytes_of("dropped"));  // after close(): ignored
    c.close();                    // idempotent
    EXPECT_FALSE(c.is_open());
    return d.size();
  };
  Client c(listen());
  c.send("bye");
  bool eof = false;
  std::string got = c.read_to_eof(&eof);
  EXPECT_TRUE(eof);
  EXPECT_EQ(got.size(), kSize);
  EXPECT_EQ(got.find_first_not_of('z'), std::string::npos);
  EXPECT_TRUE(wait_until([&] { return probe_->destroyed.load() == 1; }));
  EXPECT_EQ(probe_->closed.load(), 1);
}

TEST_F(TcpConnectionTest, AbortClosesAtOnce) {
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    c.send(bytes_of("never mind"));
    c.abort();
    c.abort();
    EXPECT_EQ(probe_->closed.load(), 0);  // not from inside on_data: after it returns
    return d.size();
  };
  Client c(listen());
  c.send("x");
  bool eof = false;
  std::string got = c.read_to_eof(&eof, 5000);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(got.empty()) << got;
  EXPECT_TRUE(wait_until([&] { return probe_->destroyed.load() == 1; }));
  EXPECT_EQ(probe_->closed.load(), 1);
}

TEST_F(TcpConnectionTest, PeerDisconnectCallsOnClosedOnce) {
  std::atomic<int> sends_after_close{0};
  probe_->on_closed = [&](Connection& c) {
    c.send(bytes_of("late"));  // reentrant calls from on_closed are harmless
    c.close();
    c.abort();
    ++sends_after_close;
  };
  {
    Client c(listen());
    c.send("hi");
    EXPECT_EQ(c.recv_exact(2), "hi");
  }
  EXPECT_TRUE(wait_until([&] { return probe_->destroyed.load() == 1; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(probe_->closed.load(), 1);
  EXPECT_EQ(sends_after_close.load(), 1);
}

TEST_F(TcpConnectionTest, PauseAndResume) {
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    size_t whole = d.size() / 4 * 4;
    c.send(d.first(whole));
    return whole;
  };
  Client c(listen());
  c.send("ab");  // incomplete unit: stays buffered
  ASSERT_TRUE(wait_until([&] { return probe_->data_calls.load() == 1; }));
  on_conn([](Connection& conn) { conn.pause_reading(); });
  c.send("cd");
  EXPECT_EQ(c.recv_some(150), "");  // paused: not delivered
  EXPECT_EQ(probe_->data_calls.load(), 1);
  on_conn([](Connection& conn) { conn.resume_reading(); });
  EXPECT_EQ(c.recv_exact(4), "abcd");
  // Resuming re-offers buffered input even when no new bytes arrive.
  c.send("ef");
  ASSERT_TRUE(wait_until([&] { return probe_->data_calls.load() == 3; }));
  on_conn([](Connection& conn) {
    conn.pause_reading();
    conn.resume_reading();
  });
  EXPECT_TRUE(wait_until([&] { return probe_->data_calls.load() == 4; }));
}

// Length-prefixed records of very different sizes, sent in one burst: records end mid-read,
// some are far larger than a read (assembled in the connection's own buffer), and the handler
// consumes only whole records. Every record must arrive intact and in order.
TEST_F(TcpConnectionTest, RecordsSplitAcrossReadsArriveIntact) {
  std::mutex mu;
  std::string got;
  probe_->on_data = [&](Connection&, std::span<const uint8_t> d) {
    size_t used = 0;
    while (d.size() - used >= 4) {
      uint32_t len;
      std::memcpy(&len, d.data() + used, 4);
      if (d.size() - used - 4 < len) break;
      std::lock_guard l(mu);
      got.append(reinterpret_cast<const char*>(d.data()) + used + 4, len);
      used += 4 + len;
    }
    return used;
  };
  ListenerOptions opts;
  opts.limits.read_buffer = 4096;
  Client c(listen(opts));
  std::string wire, want;
  const size_t sizes[] = {1, 3000, 5, 2047, 100000, 7, 4093, 2, 65536, 1, 9000, 33};
  char next = 'a';
  for (int round = 0; round < 3; ++round) {
    for (size_t n : sizes) {
      std::string rec(n, next);
      next = next == 'z' ? 'a' : static_cast<char>(next + 1);
      uint32_t len = static_cast<uint32_t>(n);
      wire.append(reinterpret_cast<const char*>(&len), 4);
      wire += rec;
      want += rec;
    }
  }
  ASSERT_TRUE(c.send(wire));
  EXPECT_TRUE(wait_until([&] {
    std::lock_guard l(mu);
    return got.size() >= want.size();
  }));
  std::lock_guard l(mu);
  EXPECT_TRUE(got == want) << got.size() << " of " << want.size() << " bytes";
}

TEST_F(TcpConnectionTest, HandlerFactoryReturningNullClosesConnection) {
  ListenerOptions opts;
  opts.host = "127.0.0.1";
  listener_ = std::make_unique<Listener>(group_, opts, [](Connection&) { return nullptr; });
  listener_->start();
  Client c(listener_->port());
  bool eof = false;
  c.read_to_eof(&eof, 5000);
  EXPECT_TRUE(eof);
}

TEST_F(TcpConnectionTest, HalfCloseStillGetsQueuedOutput) {
  Client c(listen());
  c.send("request");
  c.shutdown_write();  // EOF right behind the data
  bool eof = false;
  EXPECT_EQ(c.read_to_eof(&eof), "request");
  EXPECT_TRUE(eof);
  EXPECT_TRUE(wait_until([&] { return probe_->closed.load() == 1; }));
}

// One per connected client: idle-connection memory (bench idle_conns) depends on it staying
// small. With its shared_ptr control block it fits malloc's 176-byte size class.
TEST(TcpConnectionFootprint, StaysSmall) { EXPECT_LE(sizeof(TcpConnection), 152u); }

// Readiness is edge-triggered and one readiness reads at most one buffer: bytes already
// buffered beyond it, and the EOF right behind them, are reported once only. All must still
// be delivered, and the connection closed.
TEST_F(TcpConnectionTest, BufferedBurstLargerThanReadsArrivesWithItsEof) {
  std::atomic<size_t> total{0};
  probe_->on_data = [&](Connection&, std::span<const uint8_t> d) {
    total += d.size();
    return d.size();
  };
  ListenerOptions opts;
  opts.limits.read_buffer = 4096;
  Client c(listen(opts));
  const std::string burst(256 * 1024, 'x');
  ASSERT_TRUE(c.send(burst));
  c.shutdown_write();
  EXPECT_TRUE(wait_until([&] { return probe_->closed.load() == 1; }));
  EXPECT_EQ(total.load(), burst.size());
}

// A handler that replaces itself from inside on_data (e.g. protocol sniffing): the old one
// survives until its callback returns, the new one gets the rest of the input.
TEST_F(TcpConnectionTest, HandlerSwapFromInsideOnData) {
  struct Upper : ConnectionHandler {
    size_t on_data(std::span<const uint8_t> d) override {
      std::string s(d.begin(), d.end());
      for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      conn->send(bytes_of(s));
      return d.size();
    }
    void on_closed() override {}
    Connection* conn = nullptr;
  };
  probe_->on_data = [&](Connection& c, std::span<const uint8_t> d) {
    auto next = std::make_unique<Upper>();
    next->conn = &c;
    c.set_handler(std::move(next));  // destroys nothing yet: we are still running
    c.send(d.first(1));
    return size_t{1};  // the rest goes to the new handler
  };
  Client c(listen());
  c.send("abc");
  EXPECT_EQ(c.recv_exact(3), "aBC");
  EXPECT_TRUE(wait_until([&] { return probe_->destroyed.load() == 1; }));
  EXPECT_EQ(probe_->closed.load(), 0);  // the replaced handler is not told about the close
}

}  // namespace
}  // namespace unimq::net::testing
