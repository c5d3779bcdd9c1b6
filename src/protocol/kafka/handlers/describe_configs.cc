// DescribeConfigs: topic resources (every known topic config, explicit or default) and the
// broker resource (the broker-wide defaults).
#include "protocol/kafka/codec/generated/describe_configs.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/topic_configs.h"

namespace unimq::kafka {

namespace {
constexpr int8_t kTopic = 2;
constexpr int8_t kBroker = 4;
constexpr int8_t kSourceTopic = 1;         // DYNAMIC_TOPIC_CONFIG
constexpr int8_t kSourceStaticBroker = 4;  // STATIC_BROKER_CONFIG
constexpr int8_t kSourceDefault = 5;       // DEFAULT_CONFIG
}  // namespace

void handle_describe_configs(RequestContext& ctx) {
  codec::DescribeConfigsRequest req;
  if (!ctx.decode(req)) return;
  codec::DescribeConfigsResponse resp;
  const auto& defaults = ctx.broker.options().stream_defaults;
  for (const auto& res : req.resources) {
    auto& r = resp.results.emplace_back();
    r.resource_type = res.resource_type;
    r.resource_name = res.resource_name;
    std::vector<TopicConfigValue> values;
    bool broker = false;
    if (res.resource_type == kTopic) {
      auto t = ctx.broker.catalog().find(res.resource_name);
      if (!t) {
        r.error_code = code(ErrorCode::kUnknownTopicOrPartition);
        r.error_message = "unknown topic";
        continue;
      }
      values = effective_topic_configs(*t, defaults);
    } else if (res.resource_type == kBroker) {
      broker = true;
      meta::TopicInfo none;
      values = effective_topic_configs(none, defaults);
      for (auto& v : values)
        v.name = (v.name == "retention.ms"      ? "log.retention.ms"
                  : v.name == "retention.bytes" ? "log.retention.bytes"
                  : v.name == "segment.bytes"   ? "log.segment.bytes"
                  : v.name == "cleanup.policy"  ? "log.cleanup.policy"
                                                : v.name);
    } else {
      r.error_code = code(ErrorCode::kInvalidRequest);
      r.error_message = "unsupported resource type";
      continue;
    }
    for (const auto& v : values) {
      if (res.configuration_keys) {
        const auto& keys = *res.configuration_keys;
        if (std::find(keys.begin(), keys.end(), v.name) == keys.end()) continue;
      }
      auto& c = r.configs.emplace_back();
      c.name = v.name;
      c.value = v.value;
      c.read_only = broker;
      c.is_default = v.is_default;
      c.config_source = broker ? kSourceStaticBroker : v.is_default ? kSourceDefault : kSourceTopic;
      c.config_type = 0;
    }
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
