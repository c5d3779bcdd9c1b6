// Helpers for the consumer-group coordinator tests: a fake clock, captured answers, and a
// fixture with the join/sync sequences most tests start from.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/kafka/groups/group_coordinator.h"
#include "storage/kv_store.h"

namespace unimq::kafka::groups::testing {

struct FakeClock {
  int64_t now = 1000000;
  void advance(int64_t ms) { now += ms; }
};

inline std::unique_ptr<storage::KvStore> memory_kv() {
  std::unique_ptr<storage::KvStore> kv;
  EXPECT_TRUE(storage::open_kv_store(storage::KvBackend::Memory, "", kv).ok());
  return kv;
}

inline CoordinatorOptions options_with(FakeClock& clock, int32_t initial_delay_ms = 0) {
  CoordinatorOptions o;
  o.initial_rebalance_delay_ms = initial_delay_ms;
  o.clock = [&clock] { return clock.now; };
  return o;
}

inline JoinRequest join_request(const std::string& group, const std::string& member_id = {},
                                const std::string& protocol = "range",
                                std::vector<uint8_t> metadata = {1, 2, 3}) {
  JoinRequest r;
  r.group_id = group;
  r.member_id = member_id;
  r.client_id = "client";
  r.client_host = "/127.0.0.1";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 30000;
  r.protocol_type = "consumer";
  r.protocols = {{protocol, std::move(metadata)}};
  return r;
}

// Captures a held or immediate JoinGroup answer.
struct JoinSlot {
  std::optional<JoinResult> result;
  JoinCallback callback() {
    return [this](const JoinResult& r) { result = r; };
  }
};

struct SyncSlot {
  std::optional<SyncResult> result;
  SyncCallback callback() {
    return [this](const SyncResult& r) { result = r; };
  }
};

inline SyncRequest sync_request(const std::string& group, int32_t generation,
                                const std::string& member_id,
                                std::vector<SyncAssignment> assignments = {}) {
  SyncRequest r;
  r.group_id = group;
  r.generation_id = generation;
  r.member_id = member_id;
  r.assignments = std::move(assignments);
  return r;
}

// A coordinator on an in-memory KV store and a fake clock. The setup helpers check each step
// with EXPECT_* and return the member ids; every join they make is answered before they
// return, so no held callback outlives its slot.
class CoordinatorTest : public ::testing::Test {
 protected:
  FakeClock clock;
  std::unique_ptr<storage::KvStore> kv = memory_kv();
  GroupCoordinator coord{*kv, options_with(clock)};

  // The first step of the v4+ two-step join: a new member is told MEMBER_ID_REQUIRED with the
  // id it must join with.
  std::string member_id_for(const std::string& group, const std::string& protocol = "range") {
    JoinSlot s;
    JoinRequest r = join_request(group, "", protocol);
    r.require_known_member_id = true;
    coord.join(r, s.callback());
    EXPECT_TRUE(s.result);
    if (!s.result) return {};
    EXPECT_EQ(s.result->error, err::kMemberIdRequired);
    return s.result->member_id;
  }

  // A new member joins an empty `group`: generation 1 with it as leader, awaiting its sync
  // (CompletingRebalance).
  std::string join_alone(const std::string& group, const std::string& protocol = "range",
                         Bytes metadata = {1, 2, 3}) {
    const std::string id = member_id_for(group, protocol);
    JoinSlot join;
    coord.join(join_request(group, id, protocol, std::move(metadata)), join.callback());
    EXPECT_TRUE(join.result);
    if (join.result) {
      EXPECT_EQ(join.result->error, err::kNone);
      EXPECT_EQ(join.result->generation_id, 1);
    }
    return id;
  }

  // join_alone, then the leader syncs `assignment` for itself: Stable at generation 1.
  std::string stable_alone(const std::string& group, Bytes assignment = {1},
                           const std::string& protocol = "range", Bytes metadata = {1, 2, 3}) {
    const std::string id = join_alone(group, protocol, std::move(metadata));
    SyncSlot sync;
    coord.sync(sync_request(group, 1, id, {{id, std::move(assignment)}}), sync.callback());
    EXPECT_TRUE(sync.result);
    if (sync.result) {
      EXPECT_EQ(sync.result->error, err::kNone);
    }
    return id;
  }

  struct Pair {
    std::string leader, follower;
  };
  // `leader` joins alone (generation 1), `follower` joins and the leader rejoins: generation 2.
  // The follower's sync waits for the leader's, which assigns {1} to itself and {2} to the
  // follower: Stable at generation 2.
  Pair stable_pair(const std::string& group) {
    const std::string a = join_alone(group);
    const std::string b = member_id_for(group);
    JoinSlot ja, jb;
    coord.join(join_request(group, b), jb.callback());
    coord.join(join_request(group, a), ja.callback());
    EXPECT_TRUE(ja.result && jb.result);
    for (const JoinSlot* s : {&ja, &jb}) {
      if (s->result) {
        EXPECT_EQ(s->result->generation_id, 2);
      }
    }
    SyncSlot sa, sb;
    coord.sync(sync_request(group, 2, b), sb.callback());
    coord.sync(sync_request(group, 2, a, {{a, {1}}, {b, {2}}}), sa.callback());
    EXPECT_TRUE(sa.result && sb.result);
    return {a, b};
  }
};

}  // namespace unimq::kafka::groups::testing
