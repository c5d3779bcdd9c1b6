#include "core/shared_strategy.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/subscription_index.h"

namespace unimq::core {
namespace {

TEST(SharedStrategy, ParseAndName) {
  EXPECT_EQ(parse_shared_strategy("round_robin"), SharedStrategy::RoundRobin);
  EXPECT_EQ(parse_shared_strategy("random"), SharedStrategy::Random);
  EXPECT_EQ(parse_shared_strategy("sticky"), SharedStrategy::Sticky);
  EXPECT_EQ(parse_shared_strategy("hash_clientid"), SharedStrategy::HashClientId);
  EXPECT_EQ(parse_shared_strategy("hash"), SharedStrategy::HashClientId);
  EXPECT_FALSE(parse_shared_strategy(""));
  EXPECT_FALSE(parse_shared_strategy("RoundRobin"));
  EXPECT_FALSE(parse_shared_strategy("round_robinx"));
  for (auto s : {SharedStrategy::RoundRobin, SharedStrategy::Random, SharedStrategy::Sticky,
                 SharedStrategy::HashClientId}) {
    EXPECT_EQ(parse_shared_strategy(shared_strategy_name(s)), s);
  }
}

TEST(SharedPicker, RoundRobinCycles) {
  SharedPicker p(SharedStrategy::RoundRobin, 0);
  std::vector<size_t> got;
  for (int i = 0; i < 7; ++i) got.push_back(p.pick(3, "c"));
  EXPECT_EQ(got, (std::vector<size_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(SharedPicker, RoundRobinAfterRemovalDoesNotSkip) {
  SharedPicker p(SharedStrategy::RoundRobin, 0);
  // Members A B C D; picks A, B; next is C (index 2).
  EXPECT_EQ(p.pick(4, ""), 0u);
  EXPECT_EQ(p.pick(4, ""), 1u);
  p.on_member_removed(0, 3);  // A leaves: B C D, C is now index 1
  EXPECT_EQ(p.pick(3, ""), 1u);
  EXPECT_EQ(p.pick(3, ""), 2u);
  EXPECT_EQ(p.pick(3, ""), 0u);
}

TEST(SharedPicker, StickyStaysThenMoves) {
  SharedPicker p(SharedStrategy::Sticky, 42);
  const size_t first = p.pick(4, "a");
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p.pick(4, std::to_string(i)), first);
  // Removing another member shifts indices but keeps the same member.
  const size_t removed = first == 0 ? 3 : 0;
  p.on_member_removed(removed, 3);
  const size_t now = first > removed ? first - 1 : first;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(p.pick(3, ""), now);
  // Removing the sticky member itself forces a new choice, which then sticks.
  p.on_member_removed(now, 2);
  const size_t next = p.pick(2, "");
  ASSERT_LT(next, 2u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(p.pick(2, ""), next);
}

TEST(SharedPicker, HashIsStablePerClient) {
  SharedPicker p(SharedStrategy::HashClientId, 1);
  SharedPicker q(SharedStrategy::HashClientId, 999);  // the seed plays no part
  std::set<size_t> used;
  for (int c = 0; c < 100; ++c) {
    const std::string id = "client-" + std::to_string(c);
    const size_t m = p.pick(5, id);
    ASSERT_LT(m, 5u);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(p.pick(5, id), m);
    EXPECT_EQ(q.pick(5, id), m);
    used.insert(m);
  }
  EXPECT_EQ(used.size(), 5u);  // different clients spread over the members
}

TEST(SharedPicker, RandomCoversAllMembers) {
  SharedPicker p(SharedStrategy::Random, 7);
  std::vector<int> hits(6);
  for (int i = 0; i < 6000; ++i) {
    const size_t m = p.pick(6, "c");
    ASSERT_LT(m, 6u);
    ++hits[m];
  }
  for (int h : hits) {
    EXPECT_GT(h, 700);  // ~1000 expected each; catches a stuck or biased generator
    EXPECT_LT(h, 1300);
  }
}

// Through the index: one member per group per message, Match.shared set.
class GroupFixture {
 public:
  explicit GroupFixture(SharedStrategy s) : idx(s, 123) {}
  std::vector<Match> publish(std::string_view topic, std::string_view client = "pub") {
    std::vector<Match> out;
    idx.match(topic, MatchContext{client}, out);
    return out;
  }
  SubscriptionIndex idx;
};

TEST(SharedGroups, RoundRobinDistributionIsExact) {
  GroupFixture f(SharedStrategy::RoundRobin);
  for (uint64_t s = 1; s <= 3; ++s) f.idx.add("jobs/+", "workers", {s, 0}, {});
  f.idx.add("jobs/+", "", {9, 0}, {});  // plain subscriber alongside the group
  std::map<uint64_t, int> count;
  for (int i = 0; i < 30; ++i) {
    auto m = f.publish("jobs/x");
    ASSERT_EQ(m.size(), 2u);
    int shared = 0;
    for (const auto& x : m) {
      if (x.shared) {
        ++shared;
        ++count[x.subscriber.session_id];
      } else {
        EXPECT_EQ(x.subscriber.session_id, 9u);
      }
    }
    EXPECT_EQ(shared, 1);
  }
  EXPECT_EQ(count, (std::map<uint64_t, int>{{1, 10}, {2, 10}, {3, 10}}));
}

TEST(SharedGroups, GroupsAreIndependentPerNameAndFilter) {
  GroupFixture f(SharedStrategy::RoundRobin);
  f.idx.add("a/b", "g1", {1, 0}, {});
  f.idx.add("a/b", "g2", {2, 0}, {});
  f.idx.add("a/+", "g1", {3, 0}, {});  // same group name, other filter: separate group
  auto m = f.publish("a/b");
  ASSERT_EQ(m.size(), 3u);
  for (const auto& x : m) EXPECT_TRUE(x.shared);
}

TEST(SharedGroups, StickyMovesAfterMemberLeaves) {
  GroupFixture f(SharedStrategy::Sticky);
  for (uint64_t s = 1; s <= 4; ++s) f.idx.add("t", "g", {s, 0}, {});
  auto m = f.publish("t");
  ASSERT_EQ(m.size(), 1u);
  const uint64_t first = m[0].subscriber.session_id;
  for (int i = 0; i < 20; ++i) EXPECT_EQ(f.publish("t")[0].subscriber.session_id, first);
  ASSERT_TRUE(f.idx.remove("t", "g", {first, 0}));
  const uint64_t second = f.publish("t")[0].subscriber.session_id;
  EXPECT_NE(second, first);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(f.publish("t")[0].subscriber.session_id, second);
  // Removing a different member keeps the sticky choice.
  uint64_t other = 1;
  while (other == first || other == second) ++other;
  ASSERT_TRUE(f.idx.remove("t", "g", {other, 0}));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(f.publish("t")[0].subscriber.session_id, second);
  // The whole session leaving also moves the choice.
  EXPECT_EQ(f.idx.remove_all(second), 1u);
  auto last = f.publish("t");
  ASSERT_EQ(last.size(), 1u);
  EXPECT_NE(last[0].subscriber.session_id, second);
}

TEST(SharedGroups, HashSendsSamePublisherToSameMember) {
  GroupFixture f(SharedStrategy::HashClientId);
  for (uint64_t s = 1; s <= 4; ++s) f.idx.add("t/#", "g", {s, 0}, {});
  std::set<uint64_t> used;
  for (int c = 0; c < 40; ++c) {
    const std::string client = "dev" + std::to_string(c);
    const uint64_t member = f.publish("t/x", client)[0].subscriber.session_id;
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(f.publish("t/y" + std::to_string(i), client)[0].subscriber.session_id, member);
    }
    used.insert(member);
  }
  EXPECT_GT(used.size(), 1u);
}

TEST(SharedGroups, RandomReachesEveryMember) {
  GroupFixture f(SharedStrategy::Random);
  for (uint64_t s = 1; s <= 5; ++s) f.idx.add("t", "g", {s, 0}, {});
  std::map<uint64_t, int> count;
  for (int i = 0; i < 1000; ++i) ++count[f.publish("t")[0].subscriber.session_id];
  EXPECT_EQ(count.size(), 5u);
  for (const auto& [s, n] : count) EXPECT_GT(n, 100) << s;
}

TEST(SharedGroups, EmptyGroupIsRemoved) {
  GroupFixture f(SharedStrategy::RoundRobin);
  f.idx.add("t", "g", {1, 0}, {});
  f.idx.add("t", "g", {2, 0}, {});
  EXPECT_TRUE(f.idx.remove("t", "g", {1, 0}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.publish("t")[0].subscriber.session_id, 2u);
  EXPECT_TRUE(f.idx.remove("t", "g", {2, 0}));
  EXPECT_TRUE(f.publish("t").empty());
  EXPECT_EQ(f.idx.size(), 0u);
}

TEST(SharedGroups, ShareKeyIsTheSameOnEveryReplica) {
  SubscriptionIndex a(SharedStrategy::RoundRobin, 1), b(SharedStrategy::Sticky, 2);
  a.add("x/+", "g", {1, 0}, {});
  b.add("x/+", "g", {2, 1}, {});
  b.add("x/#", "g", {3, 1}, {});
  std::vector<Match> ma, mb;
  a.match("x/y", MatchContext{"p"}, ma);
  b.match("x/y", MatchContext{"p"}, mb);
  ASSERT_EQ(ma.size(), 1u);
  ASSERT_EQ(mb.size(), 2u);
  EXPECT_EQ(ma[0].share_key, share_group_key("x/+", "g"));
  EXPECT_NE(ma[0].share_key, 0u);
  EXPECT_NE(share_group_key("x/+", "g"), share_group_key("x/#", "g"));
  EXPECT_NE(share_group_key("x/+", "g"), share_group_key("x/+", "h"));
  std::set<uint64_t> keys{mb[0].share_key, mb[1].share_key};
  EXPECT_TRUE(keys.count(ma[0].share_key));
  EXPECT_EQ(keys.size(), 2u);
}

TEST(SharedGroups, PickSharedSkipsTheGoneMember) {
  for (auto strategy : {SharedStrategy::RoundRobin, SharedStrategy::Random, SharedStrategy::Sticky,
                        SharedStrategy::HashClientId}) {
    GroupFixture f(strategy);
    for (uint64_t s = 1; s <= 3; ++s) f.idx.add("t/+", "g", {s, static_cast<uint32_t>(s % 2)}, {1});
    f.idx.add("t/+", "other", {7, 0}, {});
    const uint64_t key = share_group_key("t/+", "g");
    for (int i = 0; i < 50; ++i) {
      Match m;
      ASSERT_TRUE(f.idx.pick_shared("t/a", key, 2, MatchContext{"p"}, m));
      EXPECT_NE(m.subscriber.session_id, 2u);
      EXPECT_NE(m.subscriber.session_id, 7u);
      EXPECT_EQ(m.subscriber.shard, m.subscriber.session_id % 2);
      EXPECT_TRUE(m.shared);
      EXPECT_EQ(m.share_key, key);
      EXPECT_EQ(m.options.qos, 1);
    }
  }
}

TEST(SharedGroups, PickSharedFailsWithoutAnotherMember) {
  GroupFixture f(SharedStrategy::Sticky);
  f.idx.add("t", "g", {1, 0}, {});
  Match m;
  EXPECT_FALSE(f.idx.pick_shared("t", share_group_key("t", "g"), 1, MatchContext{"p"}, m));
  EXPECT_FALSE(f.idx.pick_shared("t", share_group_key("t", "h"), 9, MatchContext{"p"}, m));
  EXPECT_FALSE(f.idx.pick_shared("u", share_group_key("t", "g"), 9, MatchContext{"p"}, m));
  EXPECT_TRUE(f.idx.pick_shared("t", share_group_key("t", "g"), 9, MatchContext{"p"}, m));
  EXPECT_EQ(m.subscriber.session_id, 1u);
}

}  // namespace
}  // namespace unimq::core
