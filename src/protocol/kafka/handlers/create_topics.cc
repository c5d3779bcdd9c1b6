// CreateTopics: validate_only, num_partitions (-1 = kafka.num_partitions), configs,
// TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION for bad names. Replication factor must be
// -1 or 1 on a single node.
#include "protocol/kafka/codec/generated/create_topics.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/topic_configs.h"

namespace unimq::kafka {

void handle_create_topics(RequestContext& ctx) {
  codec::CreateTopicsRequest req;
  if (!ctx.decode(req)) return;
  codec::CreateTopicsResponse resp;
  for (const auto& t : req.topics) {
    auto& r = resp.topics.emplace_back();
    r.name = t.name;
    auto fail = [&](ErrorCode e, std::string msg) {
      r.error_code = code(e);
      r.error_message = std::move(msg);
    };
    const int32_t partitions =
        t.num_partitions == -1 ? int32_t(ctx.broker.options().num_partitions) : t.num_partitions;
    std::map<std::string, std::string> configs;
    if (!meta::TopicCatalog::valid_name(t.name)) {
      fail(ErrorCode::kInvalidTopicException, "invalid topic name");
      continue;
    }
    if (partitions <= 0) {
      fail(ErrorCode::kInvalidPartitions, "number of partitions must be positive");
      continue;
    }
    if (t.replication_factor != -1 && t.replication_factor != 1) {
      fail(ErrorCode::kInvalidReplicationFactor, "this single node supports replication 1");
      continue;
    }
    bool bad = false;
    for (const auto& c : t.configs) {
      if (!c.value) continue;
      if (auto why = validate_topic_config(c.name, *c.value)) {
        fail(ErrorCode::kInvalidConfig, *why);
        bad = true;
        break;
      }
      configs[c.name] = *c.value;
    }
    if (bad) continue;
    if (ctx.broker.catalog().find(t.name)) {
      fail(ErrorCode::kTopicAlreadyExists, "topic '" + t.name + "' already exists");
      continue;
    }
    if (req.validate_only) {
      std::string why;
      if (ErrorCode e = ctx.broker.check_partition_limit(t.name, uint32_t(partitions), &why);
          e != ErrorCode::kNone) {
        fail(e, why);
        continue;
      }
    } else {
      std::string why;
      const ErrorCode e = ctx.broker.create_topic(t.name, uint32_t(partitions), configs, &why);
      if (e != ErrorCode::kNone) {
        fail(e, !why.empty()                          ? why
                : e == ErrorCode::kTopicAlreadyExists ? "topic already exists"
                                                      : "create failed");
        continue;
      }
      if (auto info = ctx.broker.catalog().find(t.name))
        std::copy(info->id.begin(), info->id.end(), r.topic_id.bytes.begin());
    }
    r.num_partitions = partitions;
    r.replication_factor = 1;
    if (ctx.version >= 5) {
      meta::TopicInfo shown{t.name, uint32_t(partitions), {}, configs};
      auto& out = r.configs.emplace();
      for (const auto& v : effective_topic_configs(shown, ctx.broker.options().stream_defaults))
        out.push_back({v.name, v.value, false, int8_t(v.is_default ? 5 : 1), false});
    }
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
