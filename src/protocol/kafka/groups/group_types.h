// Requests and results of the classic consumer-group protocol as the coordinator sees them:
// plain structs, independent of the wire codec (handlers convert from/to the generated
// messages). Bytes (subscription metadata, assignments) are relayed opaquely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace unimq::kafka::groups {

using Bytes = std::vector<uint8_t>;

// Kafka error codes the coordinator answers with (values from the Kafka protocol).
namespace err {
constexpr int16_t kNone = 0;
constexpr int16_t kUnknownTopicOrPartition = 3;
constexpr int16_t kCoordinatorNotAvailable = 15;
constexpr int16_t kIllegalGeneration = 22;
constexpr int16_t kInconsistentGroupProtocol = 23;
constexpr int16_t kInvalidGroupId = 24;
constexpr int16_t kUnknownMemberId = 25;
constexpr int16_t kInvalidSessionTimeout = 26;
constexpr int16_t kRebalanceInProgress = 27;
constexpr int16_t kKafkaStorageError = 56;
constexpr int16_t kNonEmptyGroup = 68;
constexpr int16_t kGroupIdNotFound = 69;
constexpr int16_t kMemberIdRequired = 79;
constexpr int16_t kFencedInstanceId = 82;
}  // namespace err

enum class GroupState { Empty, PreparingRebalance, CompletingRebalance, Stable, Dead };
// Kafka's names ("Empty", "PreparingRebalance", ...), as DescribeGroups/ListGroups report them.
const char* state_name(GroupState s);

struct ProtocolMetadata {
  std::string name;  // assignor, e.g. "range", "cooperative-sticky"
  Bytes metadata;
};

struct JoinRequest {
  std::string group_id;
  std::string member_id;  // empty on first join
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 10000;
  int32_t rebalance_timeout_ms = -1;  // -1 (JoinGroup v0) = session timeout
  std::string protocol_type;          // "consumer", "connect", ...
  std::vector<ProtocolMetadata> protocols;
  bool require_known_member_id = false;  // JoinGroup v4+
};

struct JoinMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  Bytes metadata;
};

struct JoinResult {
  int16_t error = err::kNone;
  int32_t generation_id = -1;
  std::string protocol_type;
  std::string protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinMember> members;  // only for the leader
};

struct SyncAssignment {
  std::string member_id;
  Bytes assignment;
};

struct SyncRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::vector<SyncAssignment> assignments;   // from the leader only
};

struct SyncResult {
  int16_t error = err::kNone;
  std::string protocol_type;
  std::string protocol_name;
  Bytes assignment;
};

struct HeartbeatRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct LeaveMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct LeaveMemberResult {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int16_t error = err::kNone;
};

struct LeaveResult {
  int16_t error = err::kNone;  // group-level
  std::vector<LeaveMemberResult> members;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = 0;
};

struct OffsetCommitEntry {
  TopicPartition tp;
  CommittedOffset committed;
};

struct OffsetCommitRequest {
  std::string group_id;
  int32_t generation_id = -1;  // -1: simple commit from a consumer outside group management
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<OffsetCommitEntry> offsets;
};

struct PartitionError {
  TopicPartition tp;
  int16_t error = err::kNone;
};

struct OffsetFetchEntry {
  TopicPartition tp;
  CommittedOffset committed;  // offset -1 when nothing is committed
  int16_t error = err::kNone;
};

struct OffsetFetchResult {
  int16_t error = err::kNone;  // group-level
  std::vector<OffsetFetchEntry> partitions;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  GroupState state = GroupState::Empty;
};

struct DescribedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  Bytes metadata;    // of the chosen protocol (Stable groups only)
  Bytes assignment;  // Stable groups only
};

struct GroupDescription {
  int16_t error = err::kNone;
  std::string group_id;
  GroupState state = GroupState::Dead;
  std::string protocol_type;
  std::string protocol_name;  // Stable groups only
  std::vector<DescribedMember> members;
};

struct DeleteGroupResult {
  std::string group_id;
  int16_t error = err::kNone;
};

}  // namespace unimq::kafka::groups
