// Helpers for the consumer-group coordinator tests: a fake clock and captured answers.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

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

}  // namespace unimq::kafka::groups::testing
