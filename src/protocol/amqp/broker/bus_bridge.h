// Cross-protocol routing for AMQP (docs/cross-protocol.md, core/bus.h) through one topic
// exchange (bridge.amqp_exchange, default amq.topic) of one vhost:
//   bus -> AMQP: a message published by MQTT (or Kafka) on topic a/b/c is published into the
//     exchange with routing key a.b.c (only if a binding would take it: cheap check first),
//     body = payload, headers = user properties, timestamp, message-id = key,
//     content-type, reply-to/correlation-id from response topic/correlation data, persistent
//     when QoS > 0.
//   AMQP -> bus: whatever AMQP clients publish to that exchange goes on the bus with topic =
//     routing key with '.' -> '/'.
// Lifecycle: create() at start-up before the loops run (the bus takes no lock, so sinks are
// registered then: make_amqp_service / the service constructor); connect(vh) in
// Service::start once the broker recovered; until then bus messages are ignored.
// disconnect() in Service::shutdown before the broker goes.
//   e.g. ctor: bridge_ = amqp::BusBridge::create(ctx.bus, ctx.config.bridge.amqp_exchange);
//        start: if (bridge_) bridge_->connect(*broker_->vhost("/"));
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/bus.h"
#include "protocol/amqp/broker/virtual_host.h"

namespace unimq::amqp {

class BusBridge : public core::BusSink {
 public:
  // Registers itself with the bus as the AMQP sink. nullptr when `exchange` is empty
  // (bridge disabled).
  static std::unique_ptr<BusBridge> create(core::Bus& bus, const std::string& exchange);
  // Starts routing both ways through `exchange` of `vh`.
  void connect(VirtualHost& vh);
  void disconnect() { vh_.store(nullptr, std::memory_order_release); }
  // create() + connect() (tests).
  static std::unique_ptr<BusBridge> attach(VirtualHost& vh, core::Bus& bus,
                                           const std::string& exchange);

  void on_bus_message(const core::MessagePtr& m, core::Origin origin) override;
  bool wants(std::string_view topic) const override;

  // Mapping helpers (public for tests).
  static std::string topic_to_routing_key(std::string_view topic);
  static std::string routing_key_to_topic(std::string_view key);
  static MessagePtr to_amqp(const core::Message& m, const std::string& exchange);
  static core::MessagePtr to_bus(const Message& m);

 private:
  BusBridge(core::Bus& bus, std::string exchange) : bus_(bus), exchange_(std::move(exchange)) {}

  std::atomic<VirtualHost*> vh_{nullptr};
  core::Bus& bus_;
  std::string exchange_;
};

}  // namespace unimq::amqp
