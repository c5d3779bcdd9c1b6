// The per-topic configs this broker understands, their validation and effective values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "meta/topic_catalog.h"
#include "storage/types.h"

namespace unimq::kafka {

struct TopicConfigValue {
  std::string name;
  std::string value;
  bool is_default = true;
};

// retention.ms, retention.bytes, cleanup.policy, segment.bytes, ...
const std::vector<std::string>& known_topic_configs();
// nullopt = valid; otherwise the reason.
std::optional<std::string> validate_topic_config(const std::string& key, const std::string& value);
// Every known config with the topic's value or the broker default.
std::vector<TopicConfigValue> effective_topic_configs(const meta::TopicInfo& t,
                                                      const storage::StreamConfig& defaults);

}  // namespace unimq::kafka
