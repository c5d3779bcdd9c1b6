// Cross-protocol routing. Every front end publishes what it accepts into one topic namespace
// (MQTT-style levels: "a/b/c") and receives, through its BusSink, what the others published.
//
//   MQTT publish a/b/c            -> bus "a/b/c"
//   AMQP publish to amq.topic a.b.c -> bus "a/b/c"
//   Kafka record on topic T        -> bus "<bridge.kafka_to_mqtt_prefix>T"
//
// Each sink decides cheaply whether a topic concerns it (a subscription, a binding, a mapping)
// and returns at once otherwise. A message is never handed back to the protocol it came from.
// Sinks are registered at start-up, before the loops run, so publish() takes no lock.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/message.h"

namespace unimq::core {

enum class Origin : uint8_t { Mqtt, Kafka, Amqp };

class BusSink {
 public:
  virtual ~BusSink() = default;
  // Called on an event-loop thread of the shared EventLoopGroup (never a storage thread),
  // the publisher's. `m->topic` is the bus topic (MQTT levels).
  virtual void on_bus_message(const MessagePtr& m, Origin origin) = 0;
  // Whether a message on `topic` would go anywhere (a subscription, a binding, a mapping).
  // Lets a publisher skip building bus messages nobody wants. Same thread rules as above.
  virtual bool wants(std::string_view topic) const {
    (void)topic;
    return true;
  }
};

class Bus {
 public:
  // Start-up only. `owner` is the sink's own protocol: messages from it are not offered back.
  void add_sink(Origin owner, BusSink* sink) { sinks_.push_back({owner, sink}); }
  void publish(const MessagePtr& m, Origin origin) const {
    for (const auto& s : sinks_)
      if (s.owner != origin) s.sink->on_bus_message(m, origin);
  }
  // True if a sink other than origin's wants messages on `topic`.
  bool wants(std::string_view topic, Origin origin) const {
    for (const auto& s : sinks_)
      if (s.owner != origin && s.sink->wants(topic)) return true;
    return false;
  }
  bool has_sinks_besides(Origin origin) const {
    for (const auto& s : sinks_)
      if (s.owner != origin) return true;
    return false;
  }

 private:
  struct Entry {
    Origin owner;
    BusSink* sink;
  };
  std::vector<Entry> sinks_;
};

}  // namespace unimq::core
