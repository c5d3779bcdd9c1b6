// The record <-> bus message conversions of the Kafka bridge (docs/cross-protocol.md).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bus.h"
#include "core/message.h"
#include "storage/status.h"
#include "storage/types.h"

namespace unimq::kafka::bridge {

// Kafka -> bus: decodes one produced batch (decompressing it) and publishes each record as a
// Message on "<prefix><kafka_topic>": key -> key, headers -> user properties, timestamp,
// value -> payload. Skips when the prefix is empty or no other protocol listens. The batch
// must have been validated (appended): its CRC is not checked again.
storage::Status publish_batch(const core::Bus& bus, std::string_view prefix,
                              std::string_view kafka_topic, std::span<const uint8_t> batch);

// What the Kafka front end holds to publish produced records on the bus (Produce copies a
// batch only when active() for its topic: some MQTT subscription or AMQP binding wants it).
class BusPublisher {
 public:
  BusPublisher(const core::Bus& bus, std::string prefix) : bus_(bus), prefix_(std::move(prefix)) {}
  // Call on an event loop (the sinks look at that loop's state).
  bool active(std::string_view kafka_topic) const {
    if (prefix_.empty() || !bus_.has_sinks_besides(core::Origin::Kafka)) return false;
    std::string topic;
    topic.reserve(prefix_.size() + kafka_topic.size());
    topic.append(prefix_).append(kafka_topic);
    return bus_.wants(topic, core::Origin::Kafka);
  }
  // Call on an event loop after the batch was appended; logs and drops undecodable batches.
  void publish(std::string_view kafka_topic, std::span<const uint8_t> batch) const;

 private:
  const core::Bus& bus_;
  std::string prefix_;
};

// Bus -> Kafka: one uncompressed batch holding the message as a record: key = the bus topic,
// headers = user properties plus "mqtt.topic", timestamp = the message's (or now).
void encode_message(const core::Message& m, int64_t now_ms, std::vector<uint8_t>& out);

}  // namespace unimq::kafka::bridge
