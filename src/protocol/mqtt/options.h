// MQTT broker settings, filled by the app from the config (keeps protocol/ free of app/).
#pragma once

#include <cstdint>
#include <string>

#include "core/shared_strategy.h"

namespace unimq::mqtt {

struct MqttOptions {
  uint32_t max_packet_size = 268435455;  // largest packet accepted from clients
  uint16_t receive_maximum = 65535;      // inbound QoS 2 window announced in CONNACK
  uint16_t max_inflight = 1024;          // outbound window, also capped by the client's
  size_t max_queued_messages = 10000;    // per session, pending + offline
  bool drop_oldest = true;               // queue full: drop the oldest (else the newest)
  uint32_t max_session_expiry = 0xFFFFFFFF;
  uint16_t max_keepalive = 65535;
  uint16_t topic_alias_maximum = 65535;  // inbound aliases accepted per connection
  bool retain_available = true;
  bool wildcard_subscriptions = true;
  bool shared_subscriptions = true;
  core::SharedStrategy shared_strategy = core::SharedStrategy::RoundRobin;
  uint32_t connect_timeout_ms = 10000;
  uint32_t sys_interval_s = 10;  // 0 disables $SYS publishing
  uint8_t max_qos = 2;
  std::string node_name = "unimq@127.0.0.1";
  std::string version = "0.1.0";
};

}  // namespace unimq::mqtt
