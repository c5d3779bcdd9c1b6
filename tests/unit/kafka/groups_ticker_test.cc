#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "groups_test_util.h"
#include "net/event_loop.h"
#include "protocol/kafka/groups/group_ticker.h"

namespace unimq::kafka::groups {
namespace {

// The ticker ends a held rebalance on a real loop once the (fake) clock passes its deadline.
TEST(GroupsTicker, TickExpiresRebalanceOnTheLoop) {
  std::atomic<int64_t> now{1000000};
  auto kv = testing::memory_kv();
  CoordinatorOptions o;
  o.clock = [&now] { return now.load(); };
  GroupCoordinator coord{*kv, o};
  JoinRequest a = testing::join_request("g");
  std::optional<JoinResult> first;
  coord.join(a, [&](const JoinResult& r) { first = r; });
  ASSERT_TRUE(first);
  std::atomic<bool> second_done{false};
  coord.join(testing::join_request("g"), [&](const JoinResult&) { second_done = true; });
  EXPECT_FALSE(second_done);  // waits for the first member to rejoin

  net::EventLoopGroup loops(1);
  loops.start();
  {
    GroupTicker ticker(loops.loop(0), coord);
    ticker.start();
    now += 60000;  // past the rebalance timeout
    for (int i = 0; i < 200 && !second_done; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(second_done);
    ticker.stop();
  }
  loops.stop();
  loops.join();
}

}  // namespace
}  // namespace unimq::kafka::groups
