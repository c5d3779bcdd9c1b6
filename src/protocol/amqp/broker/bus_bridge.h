// Cross-protocol routing for AMQP (docs/cross-protocol.md, core/bus.h) through one topic
// exchange (bridge.amqp_exchange, default amq.topic) of one vhost:
//   bus -> AMQP: a message published by MQTT (or Kafka) on topic a/b/c is published into the
//     exchange with routing key a.b.c (only if a binding would take it: cheap check first),
//     body = payload, headers = user properties, timestamp, message-id = key,
//     content-type, reply-to/correlation-id from response topic/correlation data, persistent
//     when QoS > 0.
//   AMQP -> bus: whatever AMQP clients publish to that exchange goes on the bus with topic =
//     routing key with '.' -> '/'.
// Created at start-up before the loops serve traffic; lives as long as the broker.
#pragma once

#include <memory>
#include <string>

#include "core/bus.h"
#include "protocol/amqp/broker/virtual_host.h"

namespace unimq::amqp {

class BusBridge : public core::BusSink {
 public:
  // Registers itself with the bus (as the AMQP sink) and observes `exchange` in `vh`.
  // Returns nullptr when `exchange` is empty (bridge disabled).
  static std::unique_ptr<BusBridge> attach(VirtualHost& vh, core::Bus& bus,
                                           const std::string& exchange);

  void on_bus_message(const core::MessagePtr& m, core::Origin origin) override;

  // Mapping helpers (public for tests).
  static std::string topic_to_routing_key(std::string_view topic);
  static std::string routing_key_to_topic(std::string_view key);
  static MessagePtr to_amqp(const core::Message& m, const std::string& exchange);
  static core::MessagePtr to_bus(const Message& m);

 private:
  BusBridge(VirtualHost& vh, core::Bus& bus, std::string exchange)
      : vh_(vh), bus_(bus), exchange_(std::move(exchange)) {}

  VirtualHost& vh_;
  core::Bus& bus_;
  std::string exchange_;
};

}  // namespace unimq::amqp
