// An AMQP message as the broker keeps it: immutable once built and shared (refcounted) by every
// queue it is routed to, so fan-out never copies the body. The content-header properties are
// kept as received (raw property flags + property list) so they go back out byte for byte;
// the few fields the broker acts on are decoded once at build time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/amqp/broker/field_table.h"

namespace unimq::amqp {

// The basic class content-header properties (AMQP 0-9-1 section 4.2.6 / basic class).
struct BasicProperties {
  std::optional<std::string> content_type, content_encoding;
  std::optional<ArgTable> headers;
  std::optional<uint8_t> delivery_mode, priority;
  std::optional<std::string> correlation_id, reply_to, expiration, message_id;
  std::optional<uint64_t> timestamp;
  std::optional<std::string> type, user_id, app_id, cluster_id;
};

// `raw` is the property flags (16-bit, big-endian, continuation bit 0) followed by the list.
bool decode_properties(std::string_view raw, BasicProperties& out);
std::string encode_properties(const BasicProperties& p);

struct Message {
  std::string exchange;
  std::string routing_key;
  std::string properties;  // raw, exactly as received
  std::string body;

  // Decoded from `properties` at build time.
  uint8_t delivery_mode = 0;  // 2 = persistent
  uint8_t priority = 0;
  std::optional<int64_t> expiration_ms;  // per-message TTL ("expiration" property)
  bool has_headers = false;

  bool persistent() const { return delivery_mode == 2; }
  // Decodes the headers table (empty when absent); only routing by headers and
  // dead-lettering need it, so it is not decoded on the hot path.
  ArgTable headers() const;
};

using MessagePtr = std::shared_ptr<const Message>;

// Builds a message from what a basic.publish carried. Returns nullptr and sets `error` (text
// without the reply-code prefix) when the properties are malformed or the expiration is not
// a non-negative integer (RabbitMQ answers the latter with 406 PRECONDITION_FAILED).
MessagePtr make_message(std::string exchange, std::string routing_key, std::string properties,
                        std::string body, std::string* error = nullptr);
// Same from decoded properties (dead-lettering, the bus bridge, recovery).
MessagePtr make_message(std::string exchange, std::string routing_key, const BasicProperties& props,
                        std::string body);

}  // namespace unimq::amqp
