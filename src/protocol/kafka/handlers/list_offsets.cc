// ListOffsets: -2 earliest, -1 latest, otherwise the first offset whose batch max timestamp is
// at or after the given time (-1 offset when none).
#include "protocol/kafka/codec/generated/list_offsets.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_list_offsets(RequestContext& ctx) {
  codec::ListOffsetsRequest req;
  if (!ctx.decode(req)) return;
  codec::ListOffsetsResponse resp;
  for (const auto& t : req.topics) {
    auto& tr = resp.topics.emplace_back();
    tr.name = t.name;
    for (const auto& p : t.partitions) {
      auto& pr = tr.partitions.emplace_back();
      pr.partition_index = p.partition_index;
      auto log = ctx.broker.partition(t.name, p.partition_index);
      if (!log) {
        pr.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      storage::Stream& s = log->stream();
      pr.leader_epoch = 0;
      if (p.timestamp == -2) {
        pr.offset = s.earliest_offset();
      } else if (p.timestamp == -1) {
        pr.offset = s.latest_offset();
      } else {
        auto off = s.offset_for_timestamp(p.timestamp);
        pr.offset = off ? *off : -1;
        pr.timestamp = off ? p.timestamp : -1;
      }
    }
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
