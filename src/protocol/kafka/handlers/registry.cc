#include "protocol/kafka/handlers/registry.h"

#include "protocol/kafka/codec/generated/api_table.h"
#include "protocol/kafka/groups/group_handlers.h"

namespace unimq::kafka {

namespace {
namespace k = codec::api_key;

// Every listed version must really work: ApiVersions is answered from this table.
const HandlerEntry kTable[] = {
    {k::kProduce, 3, 9, handle_produce},
    {k::kFetch, 4, 12, handle_fetch},
    {k::kListOffsets, 1, 7, handle_list_offsets},
    {k::kMetadata, 0, 12, handle_metadata},
    {k::kSaslHandshake, 0, 1, handle_sasl_handshake},
    {k::kApiVersions, 0, 3, handle_api_versions},
    {k::kCreateTopics, 0, 7, handle_create_topics},
    {k::kDeleteTopics, 0, 6, handle_delete_topics},
    {k::kInitProducerId, 0, 4, handle_init_producer_id},
    {k::kDescribeConfigs, 0, 4, handle_describe_configs},
    {k::kAlterConfigs, 0, 2, handle_alter_configs},
    {k::kSaslAuthenticate, 0, 2, handle_sasl_authenticate},
    {k::kCreatePartitions, 0, 3, handle_create_partitions},
    {k::kIncrementalAlterConfigs, 0, 1, handle_incremental_alter_configs},
    {k::kDescribeCluster, 0, 1, handle_describe_cluster},
    // Consumer-group APIs (groups module, protocol/kafka/groups/group_handlers.h).
    {k::kOffsetCommit, 0, 8, handle_offset_commit},
    {k::kOffsetFetch, 0, 8, handle_offset_fetch},
    {k::kFindCoordinator, 0, 4, handle_find_coordinator},
    {k::kJoinGroup, 0, 9, handle_join_group},
    {k::kHeartbeat, 0, 4, handle_heartbeat},
    {k::kLeaveGroup, 0, 5, handle_leave_group},
    {k::kSyncGroup, 0, 5, handle_sync_group},
    {k::kDescribeGroups, 0, 5, handle_describe_groups},
    {k::kListGroups, 0, 4, handle_list_groups},
    {k::kDeleteGroups, 0, 2, handle_delete_groups},
};
}  // namespace

std::span<const HandlerEntry> handler_table() { return kTable; }

const HandlerEntry* find_handler(int16_t api_key) {
  for (const auto& e : kTable)
    if (e.api_key == api_key) return &e;
  return nullptr;
}

}  // namespace unimq::kafka
