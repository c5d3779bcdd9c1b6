// The protocol-neutral message: immutable once built and shared (refcounted) by every
// subscriber on every shard, so fan-out never copies the payload.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace unimq::core {

using Clock = std::chrono::steady_clock;

struct MessageProperties {
  std::optional<uint8_t> payload_format;  // 0 bytes, 1 UTF-8
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::vector<std::pair<std::string, std::string>> user_properties;
};

struct Message {
  std::string topic;
  std::string payload;
  // Kafka record key / AMQP message-id carried across protocols; empty = none.
  std::string key;
  uint8_t qos = 0;
  bool retain = false;
  MessageProperties props;
  // Message expiry (MQTT 5): absent = never. Remaining interval is derived at delivery.
  std::optional<Clock::time_point> expires_at;
  int64_t timestamp_ms = 0;     // wall-clock creation time
  uint64_t origin_session = 0;  // publishing session id (for no-local); 0 = none
  std::string origin_client;    // publishing client id (for hash-based shared strategy)
  // Where the message was journaled (stream index, offset); -1 = not journaled.
  uint32_t journal_stream = 0;
  int64_t journal_offset = -1;

  bool expired(Clock::time_point now) const { return expires_at && now >= *expires_at; }
  // Seconds left before expiry, at least 1 while not expired.
  std::optional<uint32_t> remaining_expiry(Clock::time_point now) const;
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace unimq::core
