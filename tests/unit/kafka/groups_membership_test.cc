#include <gtest/gtest.h>

#include "groups_test_util.h"

namespace unimq::kafka::groups {
namespace {

using testing::JoinSlot;
using testing::SyncSlot;

using GroupsMembershipTest = testing::CoordinatorTest;

TEST_F(GroupsMembershipTest, SingleMemberJoinsSyncsAndHeartbeats) {
  std::string id = member_id_for("g");
  EXPECT_EQ(id.rfind("client-", 0), 0u) << id;
  JoinSlot join;
  coord.join(testing::join_request("g", id), join.callback());
  ASSERT_TRUE(join.result);
  EXPECT_EQ(join.result->error, err::kNone);
  EXPECT_EQ(join.result->generation_id, 1);
  EXPECT_EQ(join.result->leader, id);
  EXPECT_EQ(join.result->protocol_name, "range");
  ASSERT_EQ(join.result->members.size(), 1u);
  EXPECT_EQ(join.result->members[0].metadata, (Bytes{1, 2, 3}));

  SyncSlot sync;
  coord.sync(testing::sync_request("g", 1, id, {{id, {9, 9}}}), sync.callback());
  ASSERT_TRUE(sync.result);
  EXPECT_EQ(sync.result->error, err::kNone);
  EXPECT_EQ(sync.result->assignment, (Bytes{9, 9}));
  EXPECT_EQ(coord.heartbeat({"g", 1, id, std::nullopt}), err::kNone);
  EXPECT_EQ(coord.describe("g").state, GroupState::Stable);
}

TEST_F(GroupsMembershipTest, TwoMembersRebalanceLeaderGetsAllMetadataFollowerWaitsForSync) {
  std::string a = stable_alone("g");

  // A second member arrives: its join is held until the first rejoins.
  std::string b = member_id_for("g");
  JoinSlot jb;
  coord.join(testing::join_request("g", b, "range", {7}), jb.callback());
  EXPECT_FALSE(jb.result);
  EXPECT_EQ(coord.heartbeat({"g", 1, a, std::nullopt}), err::kRebalanceInProgress);
  JoinSlot ja2;
  coord.join(testing::join_request("g", a), ja2.callback());
  ASSERT_TRUE(ja2.result);
  ASSERT_TRUE(jb.result);
  EXPECT_EQ(ja2.result->generation_id, 2);
  EXPECT_EQ(jb.result->generation_id, 2);
  EXPECT_EQ(ja2.result->leader, a);
  EXPECT_EQ(jb.result->leader, a);
  EXPECT_EQ(ja2.result->members.size(), 2u);
  EXPECT_TRUE(jb.result->members.empty());

  // The follower's SyncGroup waits for the leader's assignment.
  SyncSlot sb;
  coord.sync(testing::sync_request("g", 2, b), sb.callback());
  EXPECT_FALSE(sb.result);
  EXPECT_EQ(coord.heartbeat({"g", 2, b, std::nullopt}), err::kNone);
  SyncSlot sa2;
  coord.sync(testing::sync_request("g", 2, a, {{a, {1}}, {b, {2}}}), sa2.callback());
  ASSERT_TRUE(sa2.result);
  ASSERT_TRUE(sb.result);
  EXPECT_EQ(sa2.result->assignment, (Bytes{1}));
  EXPECT_EQ(sb.result->assignment, (Bytes{2}));
  GroupDescription d = coord.describe("g");
  EXPECT_EQ(d.state, GroupState::Stable);
  ASSERT_EQ(d.members.size(), 2u);
}

TEST_F(GroupsMembershipTest, LeaveTriggersRebalanceAndRemainingMemberBecomesLeader) {
  const auto [a, b] = stable_pair("g");  // generation 2, a leads

  LeaveResult left = coord.leave("g", {{a, std::nullopt}});
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0].error, err::kNone);
  EXPECT_EQ(coord.heartbeat({"g", 2, b, std::nullopt}), err::kRebalanceInProgress);
  JoinSlot jb2;
  coord.join(testing::join_request("g", b), jb2.callback());
  ASSERT_TRUE(jb2.result);
  EXPECT_EQ(jb2.result->generation_id, 3);
  EXPECT_EQ(jb2.result->leader, b);
  EXPECT_EQ(jb2.result->members.size(), 1u);
  EXPECT_EQ(coord.heartbeat({"g", 3, a, std::nullopt}), err::kUnknownMemberId);

  // The last member leaving empties the group.
  coord.leave("g", {{b, std::nullopt}});
  EXPECT_EQ(coord.describe("g").state, GroupState::Empty);
}

TEST_F(GroupsMembershipTest, SessionTimeoutRemovesMemberAndRebalances) {
  const auto [a, b] = stable_pair("g");  // generation 2

  // b keeps heartbeating, a goes silent past its 10 s session timeout.
  for (int i = 0; i < 4; ++i) {
    clock.advance(3000);
    EXPECT_EQ(coord.heartbeat({"g", 2, b, std::nullopt}), err::kNone);
    coord.tick();
  }
  EXPECT_EQ(coord.heartbeat({"g", 2, b, std::nullopt}), err::kRebalanceInProgress);
  GroupDescription d = coord.describe("g");
  EXPECT_EQ(d.state, GroupState::PreparingRebalance);
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, b);
  JoinSlot jb2;
  coord.join(testing::join_request("g", b), jb2.callback());
  ASSERT_TRUE(jb2.result);
  EXPECT_EQ(jb2.result->generation_id, 3);
  EXPECT_EQ(jb2.result->leader, b);
}

TEST_F(GroupsMembershipTest, RebalanceTimeoutDropsMembersThatDoNotRejoin) {
  std::string a = stable_alone("g");
  std::string b = member_id_for("g");
  JoinSlot jb;
  coord.join(testing::join_request("g", b), jb.callback());
  EXPECT_FALSE(jb.result);
  // a heartbeats (so its session lives) but never rejoins; the 30 s rebalance timeout ends it.
  for (int i = 0; i < 11; ++i) {
    clock.advance(3000);
    coord.heartbeat({"g", 1, a, std::nullopt});
    coord.tick();
  }
  ASSERT_TRUE(jb.result);
  EXPECT_EQ(jb.result->error, err::kNone);
  EXPECT_EQ(jb.result->leader, b);
  EXPECT_EQ(jb.result->members.size(), 1u);
  EXPECT_EQ(coord.heartbeat({"g", 2, a, std::nullopt}), err::kUnknownMemberId);
}

TEST_F(GroupsMembershipTest, IllegalGenerationAndUnknownMember) {
  std::string a = join_alone("g");  // generation 1
  SyncSlot bad_gen;
  coord.sync(testing::sync_request("g", 7, a), bad_gen.callback());
  ASSERT_TRUE(bad_gen.result);
  EXPECT_EQ(bad_gen.result->error, err::kIllegalGeneration);
  SyncSlot ok;
  coord.sync(testing::sync_request("g", 1, a, {{a, {}}}), ok.callback());
  EXPECT_EQ(coord.heartbeat({"g", 0, a, std::nullopt}), err::kIllegalGeneration);
  EXPECT_EQ(coord.heartbeat({"g", 1, "nobody", std::nullopt}), err::kUnknownMemberId);
  EXPECT_EQ(coord.heartbeat({"other", 1, a, std::nullopt}), err::kUnknownMemberId);
  JoinSlot unknown;
  coord.join(testing::join_request("g", "nobody"), unknown.callback());
  ASSERT_TRUE(unknown.result);
  EXPECT_EQ(unknown.result->error, err::kUnknownMemberId);
  JoinSlot unknown_group;
  coord.join(testing::join_request("fresh", "nobody"), unknown_group.callback());
  EXPECT_EQ(unknown_group.result->error, err::kUnknownMemberId);
  LeaveResult left = coord.leave("g", {{"nobody", std::nullopt}});
  EXPECT_EQ(left.members.at(0).error, err::kUnknownMemberId);
}

TEST_F(GroupsMembershipTest, ProtocolChoiceFollowsLeaderPreferenceAndRejectsDisjoint) {
  JoinRequest ra = testing::join_request("g");
  ra.protocols = {{"cooperative-sticky", {1}}, {"range", {2}}};
  JoinSlot ja;
  coord.join(ra, ja.callback());
  ASSERT_TRUE(ja.result);
  std::string a = ja.result->member_id;
  JoinRequest rb = testing::join_request("g");
  rb.protocols = {{"range", {3}}, {"roundrobin", {4}}};
  JoinSlot jb;
  coord.join(rb, jb.callback());
  ra.member_id = a;
  coord.join(ra, ja.callback());
  ASSERT_TRUE(jb.result);
  EXPECT_EQ(jb.result->protocol_name, "range");
  EXPECT_EQ(ja.result->members.at(0).metadata.size(), 1u);

  JoinRequest rc = testing::join_request("g");
  rc.protocols = {{"sticky", {}}};
  JoinSlot jc;
  coord.join(rc, jc.callback());
  ASSERT_TRUE(jc.result);
  EXPECT_EQ(jc.result->error, err::kInconsistentGroupProtocol);
  JoinRequest other_type = testing::join_request("g");
  other_type.protocol_type = "connect";
  JoinSlot jd;
  coord.join(other_type, jd.callback());
  EXPECT_EQ(jd.result->error, err::kInconsistentGroupProtocol);
}

TEST_F(GroupsMembershipTest, CooperativeStickyDoubleRejoinCompletes) {
  // Gen 1: a alone owns everything. Gen 2: b joins, a rejoins with its owned partitions in the
  // metadata. Then a (having revoked) rejoins again with new metadata: gen 3, both rejoin.
  std::string a = stable_alone("g", {0, 1}, "cooperative-sticky", {1});
  std::string b = member_id_for("g", "cooperative-sticky");
  JoinSlot ja, jb;
  coord.join(testing::join_request("g", b, "cooperative-sticky", {0}), jb.callback());
  coord.join(testing::join_request("g", a, "cooperative-sticky", {1}), ja.callback());
  ASSERT_EQ(jb.result->generation_id, 2);
  SyncSlot sa, sb;
  coord.sync(testing::sync_request("g", 2, a, {{a, {0}}, {b, {}}}), sa.callback());
  coord.sync(testing::sync_request("g", 2, b), sb.callback());
  ASSERT_TRUE(sb.result);
  // a revoked partition 1 and rejoins with new metadata; b learns via heartbeat and rejoins.
  JoinSlot ja3, jb3;
  coord.join(testing::join_request("g", a, "cooperative-sticky", {2}), ja3.callback());
  EXPECT_FALSE(ja3.result);
  EXPECT_EQ(coord.heartbeat({"g", 2, b, std::nullopt}), err::kRebalanceInProgress);
  coord.join(testing::join_request("g", b, "cooperative-sticky", {0}), jb3.callback());
  ASSERT_TRUE(ja3.result);
  ASSERT_TRUE(jb3.result);
  EXPECT_EQ(ja3.result->generation_id, 3);
  SyncSlot sa3, sb3;
  coord.sync(testing::sync_request("g", 3, b), sb3.callback());
  coord.sync(testing::sync_request("g", 3, a, {{a, {0}}, {b, {1}}}), sa3.callback());
  ASSERT_TRUE(sb3.result);
  EXPECT_EQ(sb3.result->assignment, (Bytes{1}));
  EXPECT_EQ(coord.describe("g").state, GroupState::Stable);
}

TEST_F(GroupsMembershipTest, InitialRebalanceDelayGathersMembers) {
  GroupCoordinator delayed{*kv, testing::options_with(clock, 3000)};
  JoinSlot ja, jb;
  delayed.join(testing::join_request("g"), ja.callback());
  clock.advance(1000);
  delayed.join(testing::join_request("g"), jb.callback());
  delayed.tick();
  EXPECT_FALSE(ja.result);
  clock.advance(3000);
  delayed.tick();
  ASSERT_TRUE(ja.result);
  ASSERT_TRUE(jb.result);
  EXPECT_EQ(ja.result->generation_id, 1);
  EXPECT_EQ(jb.result->generation_id, 1);
}

TEST_F(GroupsMembershipTest, StaticMemberRejoinReplacesOldIdAndLeaveByInstanceId) {
  JoinRequest r = testing::join_request("g");
  r.group_instance_id = "instance-1";
  r.require_known_member_id = true;  // static members get their id at once
  JoinSlot j1;
  coord.join(r, j1.callback());
  ASSERT_TRUE(j1.result);
  EXPECT_EQ(j1.result->error, err::kNone);
  std::string old_id = j1.result->member_id;
  JoinSlot j2;
  coord.join(r, j2.callback());
  ASSERT_TRUE(j2.result);
  EXPECT_NE(j2.result->member_id, old_id);
  EXPECT_EQ(coord.heartbeat({"g", j2.result->generation_id, old_id, "instance-1"}),
            err::kUnknownMemberId);
  LeaveResult left = coord.leave("g", {{"", std::string("instance-1")}});
  EXPECT_EQ(left.members.at(0).error, err::kNone);
  EXPECT_EQ(coord.describe("g").members.size(), 0u);
}

}  // namespace
}  // namespace unimq::kafka::groups
