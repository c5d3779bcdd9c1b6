// Read-only window the admin HTTP API has onto the broker. The broker implements it; admin/
// depends only on this header, never on protocol code.
//
// Thread-safety: methods are called from the admin server's HTTP threads, concurrently with the
// broker's event loops and with each other. Implementations return snapshots (copies), taking
// whatever locks or cross-thread hops they need; they must not block for long.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace unimq::admin {

struct ClientInfo {
  std::string client_id;
  std::string peer;          // "ip:port" of the connection ("" when offline)
  std::string username;      // "" when none
  std::string protocol;      // "mqtt"
  int protocol_version = 0;  // MQTT: 3 (3.1), 4 (3.1.1), 5
  bool connected = false;    // false: persistent session without a connection
  bool clean_start = false;
  uint32_t session_expiry = 0;  // seconds
  uint16_t keep_alive = 0;      // seconds, as negotiated
  size_t subscriptions = 0;
  size_t inflight = 0;          // outbound QoS1/2 messages awaiting acknowledgement
  size_t queued = 0;            // messages waiting for the inflight window or for reconnection
  int64_t connected_at_ms = 0;  // Unix epoch milliseconds of the last connect
};

struct SubscriptionInfo {
  std::string client_id;
  std::string filter;       // without the $share/{group}/ prefix
  std::string share_group;  // "" for non-shared subscriptions
  int qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  int retain_handling = 0;       // 0, 1 or 2
  uint32_t subscription_id = 0;  // 0 = none
};

struct TopicInfo {
  std::string topic;
  bool retained = false;  // has a retained message
  size_t retained_bytes = 0;
  size_t subscribers = 0;  // matching subscriptions
};

class BrokerView {
 public:
  virtual ~BrokerView() = default;
  virtual std::vector<ClientInfo> clients() = 0;
  virtual std::vector<SubscriptionInfo> subscriptions() = 0;
  virtual std::vector<TopicInfo> topics() = 0;
  // False turns GET /health into 503 (e.g. listeners down, shutting down).
  virtual bool healthy() = 0;
};

}  // namespace unimq::admin
