#include "protocol/kafka/bridge/topic_mapping.h"

#include <cstdint>

#include "core/topic.h"

namespace unimq::kafka::bridge {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool valid_kafka_topic(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<TopicMapping> TopicMapping::parse(std::string_view spec, std::string& error) {
  TopicMapping m;
  while (!spec.empty()) {
    size_t semi = spec.find(';');
    std::string_view entry = trim(spec.substr(0, semi));
    spec = semi == std::string_view::npos ? std::string_view{} : spec.substr(semi + 1);
    if (entry.empty()) continue;
    // The Kafka topic cannot contain '=', the filter might: split at the last one.
    size_t eq = entry.rfind('=');
    if (eq == std::string_view::npos) {
      error = "missing '=' in \"" + std::string(entry) + "\"";
      return std::nullopt;
    }
    std::string_view filter = trim(entry.substr(0, eq));
    std::string_view topic = trim(entry.substr(eq + 1));
    if (!core::valid_topic_filter(filter)) {
      error = "invalid MQTT topic filter \"" + std::string(filter) + "\"";
      return std::nullopt;
    }
    if (!valid_kafka_topic(topic)) {
      error = "invalid Kafka topic name \"" + std::string(topic) + "\"";
      return std::nullopt;
    }
    m.routes_.push_back({std::string(filter), std::string(topic)});
  }
  return m;
}

const std::string* TopicMapping::kafka_topic_for(std::string_view bus_topic) const {
  for (const TopicRoute& r : routes_)
    if (core::topic_matches(r.filter, bus_topic)) return &r.kafka_topic;
  return nullptr;
}

int32_t murmur2(std::string_view key) {
  // org.apache.kafka.common.utils.Utils.murmur2 (seed 0x9747b28c).
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const auto* data = reinterpret_cast<const uint8_t*>(key.data());
  const size_t length = key.size();
  uint32_t h = 0x9747b28c ^ uint32_t(length);
  const size_t length4 = length / 4;
  for (size_t i = 0; i < length4; ++i) {
    const size_t i4 = i * 4;
    uint32_t k = uint32_t(data[i4]) | (uint32_t(data[i4 + 1]) << 8) |
                 (uint32_t(data[i4 + 2]) << 16) | (uint32_t(data[i4 + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const size_t tail = length & ~size_t(3);
  switch (length % 4) {
    case 3:
      h ^= uint32_t(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t(data[tail]);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return int32_t(h);
}

}  // namespace unimq::kafka::bridge
