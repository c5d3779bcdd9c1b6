// Committed-offset retention (kafka.offsets_retention_minutes) on the coordinator's fake clock.
#include <gtest/gtest.h>

#include <algorithm>

#include "groups_test_util.h"
#include "protocol/kafka/groups/offset_store.h"

namespace unimq::kafka::groups {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kDay = 24 * 60 * kMinute;
constexpr int64_t kRetention = 7 * kDay;  // the default, offsets.retention.minutes = 10080

class GroupsRetention : public testing::CoordinatorTest {
 protected:
  // Member `id` of `group` (generation `gen`) commits `offset` for t/`partition`.
  void member_commit(const std::string& group, const std::string& id, int32_t gen,
                     int32_t partition, int64_t offset) {
    OffsetCommitRequest r;
    r.group_id = group;
    r.member_id = id;
    r.generation_id = gen;
    r.offsets.push_back({{"t", partition}, {offset, -1, "", 0}});
    ASSERT_EQ(coord.commit_offsets(r).at(0).error, err::kNone);
  }
  void simple_commit(GroupCoordinator& c, const std::string& group, int32_t partition) {
    OffsetCommitRequest r;
    r.group_id = group;
    r.offsets.push_back({{"t", partition}, {100 + partition, -1, "", 0}});
    ASSERT_EQ(c.commit_offsets(r).at(0).error, err::kNone);
  }
  static int64_t committed(GroupCoordinator& c, const std::string& group, int32_t partition) {
    return c.fetch_offsets(group, std::vector<TopicPartition>{{"t", partition}})
        .partitions.at(0)
        .committed.offset;
  }
  static bool listed(GroupCoordinator& c, const std::string& group) {
    auto all = c.list_groups();
    return std::any_of(all.begin(), all.end(),
                       [&](const GroupListing& l) { return l.group_id == group; });
  }
  bool in_kv(const std::string& group, int32_t partition) {
    return kv->get(OffsetStore::key(group, {"t", partition})).has_value();
  }
  void keep_alive(const std::string& group, const std::string& id, int32_t gen) {
    HeartbeatRequest hb;
    hb.group_id = group;
    hb.member_id = id;
    hb.generation_id = gen;
    ASSERT_EQ(coord.heartbeat(hb), err::kNone);
  }
};

// (Its subscription does not parse as the consumer protocol's: no topic counts as dropped.)
TEST_F(GroupsRetention, OffsetsOfAGroupWithMembersDoNotExpire) {
  const std::string id = stable_alone("g");
  member_commit("g", id, 1, 0, 42);
  clock.advance(30 * kDay);
  keep_alive("g", id, 1);
  coord.tick();
  EXPECT_EQ(committed(coord, "g", 0), 42) << "the group has a live member";
  EXPECT_TRUE(in_kv("g", 0));
}

// A ConsumerProtocolSubscription v0 for `topics` (no user data).
Bytes subscription(const std::vector<std::string>& topics) {
  Bytes b = {0, 0, 0, 0, 0, uint8_t(topics.size())};
  for (const std::string& t : topics) {
    b.push_back(0);
    b.push_back(uint8_t(t.size()));
    b.insert(b.end(), t.begin(), t.end());
  }
  for (int i = 0; i < 4; ++i) b.push_back(0xff);  // user_data: null
  return b;
}

// Kafka expires the offsets of topics a stable consumer group no longer subscribes to,
// retention after their commit; those of its subscribed topics stay.
TEST_F(GroupsRetention, AConsumerGroupLosesOffsetsOfTopicsItNoLongerSubscribesTo) {
  const std::string id = stable_alone("g", {1}, "range", subscription({"t"}));
  member_commit("g", id, 1, 0, 42);
  OffsetCommitRequest old;
  old.group_id = "g";
  old.member_id = id;
  old.generation_id = 1;
  old.offsets.push_back({{"dropped", 0}, {9, -1, "", 0}});
  ASSERT_EQ(coord.commit_offsets(old).at(0).error, err::kNone);
  clock.advance(kRetention);
  keep_alive("g", id, 1);
  coord.tick();
  EXPECT_EQ(committed(coord, "g", 0), 42);
  auto f = coord.fetch_offsets("g", std::vector<TopicPartition>{{"dropped", 0}});
  EXPECT_EQ(f.partitions.at(0).committed.offset, -1);
  EXPECT_FALSE(kv->get(OffsetStore::key("g", {"dropped", 0})).has_value());
}

TEST_F(GroupsRetention, OffsetsOfAnEmptyGroupExpireRetentionAfterItBecameEmpty) {
  const std::string id = stable_alone("g");
  member_commit("g", id, 1, 0, 42);
  member_commit("g", id, 1, 1, 7);
  clock.advance(5 * kDay);  // long-lived member: its commits are old by the time it leaves
  keep_alive("g", id, 1);
  coord.leave("g", {{id, std::nullopt}});  // Empty from now
  clock.advance(kRetention - kMinute);
  coord.tick();
  EXPECT_EQ(committed(coord, "g", 0), 42) << "retention counts from when the group became Empty";
  EXPECT_TRUE(listed(coord, "g"));
  clock.advance(10 * kMinute);  // the next check
  coord.tick();
  EXPECT_EQ(committed(coord, "g", 0), -1);
  EXPECT_EQ(committed(coord, "g", 1), -1);
  EXPECT_FALSE(in_kv("g", 0));
  EXPECT_FALSE(in_kv("g", 1));
  EXPECT_FALSE(listed(coord, "g")) << "an Empty group with no offsets disappears";
  EXPECT_EQ(coord.describe("g").state, GroupState::Dead);
}

TEST_F(GroupsRetention, StandaloneCommitsExpireRetentionAfterEachCommit) {
  simple_commit(coord, "s", 0);
  clock.advance(3 * kDay);
  simple_commit(coord, "s", 1);
  clock.advance(4 * kDay + kMinute);
  coord.tick();
  EXPECT_EQ(committed(coord, "s", 0), -1);
  EXPECT_EQ(committed(coord, "s", 1), 101);
  EXPECT_FALSE(in_kv("s", 0));
  EXPECT_TRUE(listed(coord, "s"));
  clock.advance(3 * kDay);
  coord.tick();
  EXPECT_EQ(committed(coord, "s", 1), -1);
  EXPECT_FALSE(listed(coord, "s"));
}

TEST_F(GroupsRetention, ChecksRunEveryRetentionCheckInterval) {
  simple_commit(coord, "s", 0);
  coord.tick();  // the first tick checks
  clock.advance(kRetention);
  coord.tick();
  EXPECT_EQ(committed(coord, "s", 0), -1);
  simple_commit(coord, "s", 2);
  clock.advance(kRetention - 5 * kMinute);
  coord.tick();  // checks; nothing due
  clock.advance(6 * kMinute);
  coord.tick();  // due, but the last check was only 6 minutes ago
  EXPECT_EQ(committed(coord, "s", 2), 102);
  clock.advance(4 * kMinute);
  coord.tick();
  EXPECT_EQ(committed(coord, "s", 2), -1);
}

// When the group became Empty is kept in the KV store: a restart neither resets nor loses it,
// and expired offsets stay deleted.
TEST_F(GroupsRetention, EmptySinceAndExpirySurviveARestart) {
  const std::string id = stable_alone("g");
  member_commit("g", id, 1, 0, 42);
  coord.leave("g", {{id, std::nullopt}});
  clock.advance(5 * kDay);
  {
    GroupCoordinator restarted{*kv, testing::options_with(clock)};
    ASSERT_TRUE(restarted.load().ok());
    restarted.tick();
    EXPECT_EQ(committed(restarted, "g", 0), 42);
    clock.advance(2 * kDay + kMinute);
    restarted.tick();
    EXPECT_EQ(committed(restarted, "g", 0), -1) << "Empty since before the restart";
  }
  GroupCoordinator again{*kv, testing::options_with(clock)};
  ASSERT_TRUE(again.load().ok());
  EXPECT_EQ(committed(again, "g", 0), -1);
  EXPECT_FALSE(listed(again, "g"));
  EXPECT_FALSE(kv->get("kafka/groups/g").has_value()) << "the group's record went with it";
}

// A group that still had members at the restart lost them with it: Empty since the load.
TEST_F(GroupsRetention, AGroupActiveAtRestartCountsAsEmptySinceTheLoad) {
  const std::string id = stable_alone("g");
  member_commit("g", id, 1, 0, 42);
  clock.advance(30 * kDay);  // an old commit, but the group was in use until the restart
  GroupCoordinator restarted{*kv, testing::options_with(clock)};
  ASSERT_TRUE(restarted.load().ok());
  clock.advance(kRetention - kMinute);
  restarted.tick();
  EXPECT_EQ(committed(restarted, "g", 0), 42);
  clock.advance(10 * kMinute);  // the next check
  restarted.tick();
  EXPECT_EQ(committed(restarted, "g", 0), -1);
}

}  // namespace
}  // namespace unimq::kafka::groups
