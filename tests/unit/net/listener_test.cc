#include "net/listener.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <vector>

#include "net_test_util.h"

namespace unimq::net::testing {
namespace {

class ListenerTest : public NetFixture {};

TEST_F(ListenerTest, EphemeralPortIsSharedByAllLoops) {
  std::mutex mu;
  std::set<int> loops_seen;
  ListenerOptions opts;
  opts.host = "127.0.0.1";
  listener_ = std::make_unique<Listener>(group_, opts, [&](Connection& c) {
    {
      std::lock_guard l(mu);
      loops_seen.insert(EventLoopGroup::current_index());
    }
    EXPECT_TRUE(c.loop().in_loop());
    return std::make_unique<TestHandler>(c, probe_);
  });
  listener_->start();
  uint16_t port = listener_->port();
  ASSERT_NE(port, 0);
  // The kernel spreads connections over the acceptors; with enough of them both loops get some.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 64; ++i) {
    clients.push_back(std::make_unique<Client>(port));
    ASSERT_TRUE(clients.back()->connected());
    clients.back()->send("ping");
    EXPECT_EQ(clients.back()->recv_exact(4), "ping");
  }
  std::lock_guard l(mu);
  EXPECT_EQ(loops_seen.size(), 2u);
}

TEST_F(ListenerTest, PortInUseFailsWithClearMessage) {
  // A socket bound without SO_REUSEPORT blocks the port for us.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t port = ntohs(addr.sin_port);

  ListenerOptions opts;
  opts.host = "127.0.0.1";
  opts.port = port;
  Listener l(group_, opts, [](Connection&) { return nullptr; });
  try {
    l.start();
    FAIL() << "expected start() to throw";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use");
  }
  ::close(fd);
}

TEST_F(ListenerTest, BadHostFails) {
  ListenerOptions opts;
  opts.host = "no-such-host.invalid";
  Listener l(group_, opts, [](Connection&) { return nullptr; });
  EXPECT_THROW(l.start(), std::runtime_error);
}

TEST_F(ListenerTest, StopStopsAccepting) {
  uint16_t port = listen();
  {
    Client c(port);
    c.send("a");
    EXPECT_EQ(c.recv_exact(1), "a");
  }
  listener_->stop();
  std::this_thread::sleep_for(50ms);  // stop() is posted to the loops
  Client c(port);
  EXPECT_FALSE(c.connected());
}

}  // namespace
}  // namespace unimq::net::testing
