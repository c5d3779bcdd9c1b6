// bridge.mqtt_to_kafka: "filter=kafka_topic;filter=kafka_topic" — bus (MQTT/AMQP) topics
// matching an MQTT filter are appended to a Kafka topic. Pure; parsed once at start-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unimq::kafka::bridge {

struct TopicRoute {
  std::string filter;       // MQTT topic filter, e.g. "sensors/#"
  std::string kafka_topic;  // e.g. "sensors"
};

class TopicMapping {
 public:
  // Parses the spec; on a malformed entry returns nullopt and describes it in `error`.
  static std::optional<TopicMapping> parse(std::string_view spec, std::string& error);

  bool empty() const { return routes_.empty(); }
  const std::vector<TopicRoute>& routes() const { return routes_; }
  // The Kafka topic of the first route whose filter matches, or nullptr.
  const std::string* kafka_topic_for(std::string_view bus_topic) const;

 private:
  std::vector<TopicRoute> routes_;
};

// Kafka topic names: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_kafka_topic(std::string_view name);

// Kafka's default partitioner hash (murmur2 of the key, as the Java client computes it).
int32_t murmur2(std::string_view key);
inline int32_t partition_for_key(std::string_view key, int32_t partitions) {
  return partitions <= 0 ? 0 : int32_t((murmur2(key) & 0x7fffffff) % partitions);
}

}  // namespace unimq::kafka::bridge
