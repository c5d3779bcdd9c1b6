#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "groups_test_util.h"

namespace unimq::kafka::groups {
namespace {

using testing::SyncSlot;

// The fixture's coordinator starts empty; the restart tests open their own coordinators.
using GroupsOffsets = testing::CoordinatorTest;

OffsetCommitRequest simple_commit(const std::string& group, const std::string& topic,
                                  int32_t partition, int64_t offset) {
  OffsetCommitRequest r;
  r.group_id = group;
  r.offsets.push_back({{topic, partition}, {offset, 5, "meta", 0}});
  return r;
}

TEST_F(GroupsOffsets, SimpleCommitThenFetch) {
  auto errors = coord.commit_offsets(simple_commit("g", "t", 0, 42));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].error, err::kNone);
  OffsetFetchResult f = coord.fetch_offsets("g", std::vector<TopicPartition>{{"t", 0}, {"t", 1}});
  ASSERT_EQ(f.partitions.size(), 2u);
  EXPECT_EQ(f.partitions[0].committed.offset, 42);
  EXPECT_EQ(f.partitions[0].committed.leader_epoch, 5);
  EXPECT_EQ(f.partitions[0].committed.metadata, "meta");
  EXPECT_EQ(f.partitions[1].committed.offset, -1);
  EXPECT_EQ(coord.fetch_offsets("g", std::nullopt).partitions.size(), 1u);
  EXPECT_EQ(coord.fetch_offsets("nope", std::nullopt).partitions.size(), 0u);
  // The simple-commit group is listed as Empty.
  auto groups = coord.list_groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].state, GroupState::Empty);
}

TEST_F(GroupsOffsets, MemberCommitsAreCheckedAgainstGeneration) {
  std::string id = join_alone("g");
  // CompletingRebalance: commits wait for the assignment.
  OffsetCommitRequest r = simple_commit("g", "t", 0, 10);
  r.member_id = id;
  r.generation_id = 1;
  EXPECT_EQ(coord.commit_offsets(r)[0].error, err::kRebalanceInProgress);
  SyncSlot s;
  coord.sync(testing::sync_request("g", 1, id, {{id, {}}}), s.callback());
  EXPECT_EQ(coord.commit_offsets(r)[0].error, err::kNone);
  r.generation_id = 0;
  EXPECT_EQ(coord.commit_offsets(r)[0].error, err::kIllegalGeneration);
  r.generation_id = 1;
  r.member_id = "stranger";
  EXPECT_EQ(coord.commit_offsets(r)[0].error, err::kUnknownMemberId);
  // A simple commit into a group with members is refused too.
  EXPECT_EQ(coord.commit_offsets(simple_commit("g", "t", 0, 99))[0].error, err::kUnknownMemberId);
  // Unknown group with a generation: illegal generation.
  OffsetCommitRequest stale = simple_commit("gone", "t", 0, 1);
  stale.generation_id = 3;
  stale.member_id = "x";
  EXPECT_EQ(coord.commit_offsets(stale)[0].error, err::kIllegalGeneration);
  EXPECT_EQ(coord.fetch_offsets("g", std::nullopt).partitions.at(0).committed.offset, 10);
}

TEST_F(GroupsOffsets, OffsetsSurviveCoordinatorRestart) {
  {
    GroupCoordinator first{*kv, testing::options_with(clock)};
    ASSERT_TRUE(first.load().ok());
    first.commit_offsets(simple_commit("team/a", "orders", 3, 1234));
    first.commit_offsets(simple_commit("b", "orders", 0, 7));
  }
  GroupCoordinator restarted{*kv, testing::options_with(clock)};
  ASSERT_TRUE(restarted.load().ok());
  OffsetFetchResult f = restarted.fetch_offsets("team/a", std::nullopt);
  ASSERT_EQ(f.partitions.size(), 1u);
  EXPECT_EQ(f.partitions[0].tp.topic, "orders");
  EXPECT_EQ(f.partitions[0].tp.partition, 3);
  EXPECT_EQ(f.partitions[0].committed.offset, 1234);
  EXPECT_EQ(f.partitions[0].committed.metadata, "meta");
  EXPECT_EQ(f.partitions[0].committed.commit_timestamp_ms, clock.now);
  EXPECT_EQ(restarted.list_groups().size(), 2u);
}

TEST_F(GroupsOffsets, OffsetsSurviveRestartOnRocksDb) {
  std::string dir =
      (std::filesystem::temp_directory_path() / ("unimq-groups-test-" + std::to_string(::getpid())))
          .string();
  {
    std::unique_ptr<storage::KvStore> rocks;
    ASSERT_TRUE(storage::open_kv_store(storage::KvBackend::RocksDb, dir, rocks).ok());
    GroupCoordinator first{*rocks, testing::options_with(clock)};
    first.commit_offsets(simple_commit("g", "t", 1, 55));
  }
  {
    std::unique_ptr<storage::KvStore> rocks;
    ASSERT_TRUE(storage::open_kv_store(storage::KvBackend::RocksDb, dir, rocks).ok());
    GroupCoordinator restarted{*rocks, testing::options_with(clock)};
    ASSERT_TRUE(restarted.load().ok());
    auto f = restarted.fetch_offsets("g", std::vector<TopicPartition>{{"t", 1}});
    EXPECT_EQ(f.partitions.at(0).committed.offset, 55);
  }
  std::filesystem::remove_all(dir);
}

TEST_F(GroupsOffsets, DeleteGroupsRefusesNonEmptyAndRemovesOffsets) {
  coord.commit_offsets(simple_commit("idle", "t", 0, 1));
  join_alone("busy");
  auto results = coord.delete_groups({"idle", "busy", "missing"});
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].error, err::kNone);
  EXPECT_EQ(results[1].error, err::kNonEmptyGroup);
  EXPECT_EQ(results[2].error, err::kGroupIdNotFound);
  EXPECT_EQ(coord.fetch_offsets("idle", std::nullopt).partitions.size(), 0u);
  GroupCoordinator restarted{*kv, testing::options_with(clock)};
  ASSERT_TRUE(restarted.load().ok());
  EXPECT_EQ(restarted.fetch_offsets("idle", std::nullopt).partitions.size(), 0u);
}

TEST_F(GroupsOffsets, DescribeReportsMembersAndAssignments) {
  stable_alone("g", {4, 2});
  GroupDescription d = coord.describe("g");
  EXPECT_EQ(d.state, GroupState::Stable);
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol_name, "range");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].client_id, "client");
  EXPECT_EQ(d.members[0].metadata, (Bytes{1, 2, 3}));
  EXPECT_EQ(d.members[0].assignment, (Bytes{4, 2}));
  EXPECT_EQ(coord.describe("unknown").state, GroupState::Dead);
  EXPECT_STREQ(state_name(GroupState::CompletingRebalance), "CompletingRebalance");
}

}  // namespace
}  // namespace unimq::kafka::groups
