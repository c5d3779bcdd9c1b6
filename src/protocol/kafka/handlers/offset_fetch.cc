// OffsetFetch (key 9): v0-7 one group (topics null = every committed partition,
// v2+), v8 a batch of groups.
#include "protocol/kafka/codec/generated/offset_fetch.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {
namespace {

// The committed offsets of one group, grouped by topic in request (or key)
// order.
template <typename TopicOut, typename TopicsIn>
std::vector<TopicOut> fetch_group(groups::GroupCoordinator& coord, const std::string& group,
                                  const std::optional<TopicsIn>& topics) {
  std::optional<std::vector<groups::TopicPartition>> wanted;
  if (topics) {
    wanted.emplace();
    for (const auto& t : *topics)
      for (int32_t p : t.partition_indexes) wanted->push_back({t.name, p});
  }
  groups::OffsetFetchResult result = coord.fetch_offsets(group, wanted);
  std::vector<TopicOut> out;
  for (const groups::OffsetFetchEntry& e : result.partitions) {
    if (out.empty() || out.back().name != e.tp.topic) {
      out.emplace_back();
      out.back().name = e.tp.topic;
    }
    auto& p = out.back().partitions.emplace_back();
    p.partition_index = e.tp.partition;
    p.committed_offset = e.committed.offset;
    p.committed_leader_epoch = e.committed.leader_epoch;
    p.metadata = e.committed.metadata;
    p.error_code = e.error;
  }
  return out;
}

}  // namespace

void handle_offset_fetch(RequestContext& ctx) {
  codec::OffsetFetchRequest req;
  if (!ctx.decode(req)) return;
  groups::GroupCoordinator& coord = ctx.broker.groups();
  codec::OffsetFetchResponse resp;
  if (ctx.version >= 8) {
    for (const auto& g : req.groups) {
      auto& rg = resp.groups.emplace_back();
      rg.group_id = g.group_id;
      rg.topics = fetch_group<
          codec::OffsetFetchResponse::OffsetFetchResponseGroup::OffsetFetchResponseTopics>(
          coord, g.group_id, g.topics);
    }
  } else {
    // v0-1 cannot ask for "all": a null list there is decoded as empty.
    resp.topics = fetch_group<codec::OffsetFetchResponse::OffsetFetchResponseTopic>(
        coord, req.group_id, req.topics);
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
