// Metadata: this node is the only broker and leads every partition. Unknown topics are
// auto-created when both the client and kafka.auto_create_topics allow it.
#include "protocol/kafka/codec/generated/metadata.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/session/kafka_session.h"

namespace unimq::kafka {

namespace {

codec::MetadataResponse::MetadataResponseTopic describe(const meta::TopicInfo& t, int32_t node) {
  codec::MetadataResponse::MetadataResponseTopic out;
  out.name = t.name;
  std::copy(t.id.begin(), t.id.end(), out.topic_id.bytes.begin());
  out.partitions.reserve(t.partitions);
  for (uint32_t p = 0; p < t.partitions; ++p) {
    codec::MetadataResponse::MetadataResponseTopic::MetadataResponsePartition mp;
    mp.partition_index = int32_t(p);
    mp.leader_id = node;
    mp.leader_epoch = 0;
    mp.replica_nodes = {node};
    mp.isr_nodes = {node};
    out.partitions.push_back(std::move(mp));
  }
  return out;
}

}  // namespace

std::string advertised_host(RequestContext& ctx) {
  const auto& o = ctx.broker.options();
  if (!o.advertised_host.empty()) return o.advertised_host;
  if (!ctx.session.local_host().empty()) return ctx.session.local_host();
  return "127.0.0.1";
}

void handle_metadata(RequestContext& ctx) {
  codec::MetadataRequest req;
  if (!ctx.decode(req)) return;
  const auto& o = ctx.broker.options();
  codec::MetadataResponse resp;
  resp.brokers.push_back({o.node_id, advertised_host(ctx), o.port, std::nullopt});
  resp.cluster_id = o.cluster_id;
  resp.controller_id = o.node_id;
  // v0 has no null list: an empty list means all topics there.
  const bool all = !req.topics || (ctx.version == 0 && req.topics->empty());
  if (all) {
    for (const auto& t : ctx.broker.catalog().list()) resp.topics.push_back(describe(t, o.node_id));
  } else {
    const bool may_create = ctx.version < 4 || req.allow_auto_topic_creation;
    for (const auto& rt : *req.topics) {
      std::optional<meta::TopicInfo> t;
      ErrorCode create_error = ErrorCode::kNone;
      if (rt.name) {
        if (!meta::TopicCatalog::valid_name(*rt.name)) {
          codec::MetadataResponse::MetadataResponseTopic bad;
          bad.name = rt.name;
          bad.error_code = code(ErrorCode::kInvalidTopicException);
          resp.topics.push_back(std::move(bad));
          continue;
        }
        t = ctx.broker.topic_for_use(*rt.name, may_create, &create_error);
      } else {
        std::array<uint8_t, 16> id;
        std::copy(rt.topic_id.bytes.begin(), rt.topic_id.bytes.end(), id.begin());
        t = ctx.broker.catalog().find_by_id(id);
      }
      if (t) {
        resp.topics.push_back(describe(*t, o.node_id));
      } else {
        codec::MetadataResponse::MetadataResponseTopic missing;
        missing.name = rt.name ? rt.name : std::optional<std::string>(std::string());
        if (!rt.name && ctx.version >= 12) missing.name.reset();  // nullable from v12 only
        missing.topic_id = rt.topic_id;
        // As Kafka: a failed auto-creation reports why (POLICY_VIOLATION past the broker's
        // stream budget) rather than an unknown topic the client would keep asking for.
        missing.error_code = code(create_error != ErrorCode::kNone ? create_error
                                  : rt.name ? ErrorCode::kUnknownTopicOrPartition
                                            : ErrorCode::kUnknownTopicId);
        resp.topics.push_back(std::move(missing));
      }
    }
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
