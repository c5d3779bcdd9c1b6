// CreatePartitions: grows a topic (never shrinks: INVALID_PARTITIONS).
#include "protocol/kafka/codec/generated/create_partitions.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_create_partitions(RequestContext& ctx) {
  codec::CreatePartitionsRequest req;
  if (!ctx.decode(req)) return;
  codec::CreatePartitionsResponse resp;
  for (const auto& t : req.topics) {
    auto& r = resp.results.emplace_back();
    r.name = t.name;
    auto info = ctx.broker.catalog().find(t.name);
    if (!info) {
      r.error_code = code(ErrorCode::kUnknownTopicOrPartition);
      continue;
    }
    if (t.count <= int32_t(info->partitions)) {
      r.error_code = code(ErrorCode::kInvalidPartitions);
      r.error_message = "topic has " + std::to_string(info->partitions) +
                        " partitions; the new count must be larger";
      continue;
    }
    std::string why;
    r.error_code =
        code(req.validate_only ? ctx.broker.check_partition_limit(
                                     t.name, uint32_t(t.count) - info->partitions, &why)
                               : ctx.broker.add_partitions(t.name, uint32_t(t.count), &why));
    if (!why.empty()) r.error_message = std::move(why);
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
