#include "protocol/kafka/topic_configs.h"

#include <algorithm>
#include <charconv>

namespace unimq::kafka {

namespace {
bool is_integer(const std::string& v) {
  int64_t n;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && p == v.data() + v.size();
}

std::string default_of(const std::string& key, const storage::StreamConfig& d) {
  if (key == "retention.ms") return std::to_string(d.retention_ms);
  if (key == "retention.bytes") return std::to_string(d.retention_bytes);
  if (key == "segment.bytes") return std::to_string(d.segment_bytes);
  if (key == "segment.ms") return std::to_string(d.segment_ms);
  if (key == "cleanup.policy") return "delete";
  if (key == "max.message.bytes") return "1048588";
  if (key == "message.timestamp.type") return "CreateTime";
  if (key == "min.insync.replicas") return "1";
  if (key == "compression.type") return "producer";
  return "";
}
}  // namespace

const std::vector<std::string>& known_topic_configs() {
  static const std::vector<std::string> keys = {
      "cleanup.policy",         "compression.type",    "max.message.bytes",
      "message.timestamp.type", "min.insync.replicas", "retention.bytes",
      "retention.ms",           "segment.bytes",       "segment.ms"};
  return keys;
}

std::optional<std::string> validate_topic_config(const std::string& key, const std::string& value) {
  const auto& keys = known_topic_configs();
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) return "unknown topic config " + key;
  if (key == "cleanup.policy") {
    if (value == "delete" || value == "compact" || value == "compact,delete" ||
        value == "delete,compact")
      return std::nullopt;
    return "cleanup.policy must be delete or compact";
  }
  if (key == "message.timestamp.type") {
    if (value == "CreateTime" || value == "LogAppendTime") return std::nullopt;
    return "message.timestamp.type must be CreateTime or LogAppendTime";
  }
  if (key == "compression.type") return std::nullopt;
  if (!is_integer(value)) return key + " must be an integer";
  return std::nullopt;
}

std::vector<TopicConfigValue> effective_topic_configs(const meta::TopicInfo& t,
                                                      const storage::StreamConfig& defaults) {
  std::vector<TopicConfigValue> out;
  for (const auto& key : known_topic_configs()) {
    auto it = t.configs.find(key);
    if (it != t.configs.end())
      out.push_back({key, it->second, false});
    else
      out.push_back({key, default_of(key, defaults), true});
  }
  return out;
}

}  // namespace unimq::kafka
