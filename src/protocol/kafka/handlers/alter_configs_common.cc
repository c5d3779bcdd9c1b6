#include "protocol/kafka/handlers/alter_configs_common.h"

#include <spdlog/spdlog.h>

#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/topic_configs.h"

namespace unimq::kafka {

AlterOutcome alter_topic_configs(KafkaBroker& broker, int8_t resource_type,
                                 const std::string& topic,
                                 const std::map<std::string, std::optional<std::string>>& changes,
                                 bool replace_all, bool validate_only) {
  if (resource_type != 2) return {ErrorCode::kInvalidRequest, "only topic configs can be altered"};
  auto t = broker.catalog().find(topic);
  if (!t) return {ErrorCode::kUnknownTopicOrPartition, "unknown topic"};
  std::map<std::string, std::optional<std::string>> all = changes;
  for (const auto& [k, v] : changes)
    if (v)
      if (auto why = validate_topic_config(k, *v)) return {ErrorCode::kInvalidConfig, *why};
  if (replace_all)
    for (const auto& [k, _] : t->configs)
      if (!all.count(k)) all[k] = std::nullopt;
  if (validate_only) return {};
  if (!broker.catalog().update_configs(topic, all).ok())
    return {ErrorCode::kKafkaStorageError, "cannot persist configs"};
  if (auto updated = broker.catalog().find(topic)) broker.apply_retention(*updated);
  spdlog::info("kafka: topic {} configs changed", topic);
  return {};
}

}  // namespace unimq::kafka
