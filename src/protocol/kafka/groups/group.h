// One consumer group's membership state (the classic protocol). Pure data plus small queries;
// the state transitions live in GroupCoordinator, which owns every Group under its lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/kafka/groups/group_types.h"

namespace unimq::kafka::groups {

using JoinCallback = std::function<void(const JoinResult&)>;
using SyncCallback = std::function<void(const SyncResult&)>;

struct Member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<ProtocolMetadata> protocols;
  Bytes assignment;
  int64_t session_deadline_ms = 0;  // removed when reached (unless awaiting join/sync)
  JoinCallback awaiting_join;       // set while its JoinGroup is held
  SyncCallback awaiting_sync;       // set while its SyncGroup waits for the leader

  const Bytes* metadata_for(const std::string& protocol) const;
  bool supports(const std::string& protocol) const { return metadata_for(protocol) != nullptr; }
  bool same_protocols(const std::vector<ProtocolMetadata>& other) const;
};

struct Group {
  std::string group_id;
  GroupState state = GroupState::Empty;
  int32_t generation_id = 0;
  std::string protocol_type;
  std::string protocol_name;  // chosen at the end of each join phase
  std::string leader_id;
  std::map<std::string, Member> members;              // by member id
  std::map<std::string, std::string> static_members;  // group.instance.id -> member id
  std::map<std::string, int64_t> pending_members;     // ids handed out, not yet joined
  int64_t rebalance_deadline_ms = 0;   // PreparingRebalance: stop waiting for rejoins
  int64_t initial_delay_until_ms = 0;  // new group: wait this long for more members
  int64_t sync_deadline_ms = 0;        // CompletingRebalance: leader must sync by then
  // Offset retention (group_retention.cc): when the group last became Empty after having
  // members (Kafka's state timestamp); 0 while it has members or never had any (a standalone
  // committer's offsets expire by their own commit times).
  int64_t empty_since_ms = 0;
  bool had_members = false;  // ever had members (since its record was written or loaded)

  bool all_members_joined() const;
  int32_t max_rebalance_timeout_ms() const;
  // First protocol in the leader's preference that every member supports ("" if none).
  std::string select_protocol() const;
  // Whether a member with these protocols could (re)join: same type and a protocol that every
  // other member supports. `self` (a rejoining member) is not compared with itself.
  bool accepts(const std::string& protocol_type, const std::vector<ProtocolMetadata>& p,
               const std::string& self) const;
};

}  // namespace unimq::kafka::groups
