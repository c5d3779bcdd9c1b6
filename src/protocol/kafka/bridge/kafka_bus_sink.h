// Bus -> Kafka: messages published by MQTT/AMQP whose topic matches a
// bridge.mqtt_to_kafka route are appended as records to the route's Kafka topic
// (auto-created), partitioned by the bus topic with Kafka's default partitioner
// so one MQTT topic keeps its order.
#pragma once

#include "core/bus.h"
#include "protocol/kafka/bridge/topic_mapping.h"

namespace unimq::kafka {
class KafkaBroker;
}

namespace unimq::kafka::bridge {

class KafkaBusSink : public core::BusSink {
 public:
  KafkaBusSink(KafkaBroker& broker, TopicMapping mapping)
      : broker_(broker), mapping_(std::move(mapping)) {}

  void on_bus_message(const core::MessagePtr& m, core::Origin origin) override;
  bool wants(std::string_view topic) const override {
    return mapping_.kafka_topic_for(topic) != nullptr;
  }

 private:
  KafkaBroker& broker_;
  TopicMapping mapping_;
};

}  // namespace unimq::kafka::bridge
