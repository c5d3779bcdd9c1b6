// OffsetCommit (key 8): v0 commits outside group management (generation -1); later versions
// carry the generation and member id, checked by the coordinator.
#include "protocol/kafka/codec/generated/offset_commit.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_offset_commit(RequestContext& ctx) {
  codec::OffsetCommitRequest req;
  if (!ctx.decode(req)) return;
  groups::OffsetCommitRequest c;
  c.group_id = req.group_id;
  c.generation_id = ctx.version >= 1 ? req.generation_id_or_member_epoch : -1;
  c.member_id = req.member_id;
  c.group_instance_id = req.group_instance_id;
  // As Kafka: partitions of topics that do not exist are UNKNOWN_TOPIC_OR_PARTITION.
  std::vector<bool> known;
  for (const auto& t : req.topics) {
    std::optional<meta::TopicInfo> info = ctx.broker.catalog().find(t.name);
    for (const auto& p : t.partitions) {
      known.push_back(info && p.partition_index >= 0 &&
                      uint32_t(p.partition_index) < info->partitions);
      if (!known.back()) continue;
      groups::CommittedOffset off;
      off.offset = p.committed_offset;
      off.leader_epoch = p.committed_leader_epoch;
      off.metadata = p.committed_metadata.value_or("");
      // v1 carries a client commit time; otherwise the coordinator stamps it.
      off.commit_timestamp_ms = ctx.version == 1 && p.commit_timestamp > 0 ? p.commit_timestamp : 0;
      c.offsets.push_back({{t.name, p.partition_index}, std::move(off)});
    }
  }
  std::vector<groups::PartitionError> errors = ctx.broker.groups().commit_offsets(c);
  codec::OffsetCommitResponse resp;
  size_t i = 0, k = 0;
  for (const auto& t : req.topics) {
    auto& rt = resp.topics.emplace_back();
    rt.name = t.name;
    for (const auto& p : t.partitions) {
      int16_t error = groups::err::kUnknownTopicOrPartition;
      if (known[k++]) error = i < errors.size() ? errors[i++].error : int16_t(0);
      rt.partitions.push_back({p.partition_index, error});
    }
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
