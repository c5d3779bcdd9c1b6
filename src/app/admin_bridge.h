// Implements the admin API's BrokerView over the MQTT broker's snapshots.
#pragma once

#include <atomic>

#include "admin/broker_view.h"

namespace unimq::mqtt {
class MqttBroker;
}

namespace unimq::app {

class AdminBridge : public admin::BrokerView {
 public:
  explicit AdminBridge(mqtt::MqttBroker& broker) : broker_(broker) {}
  std::vector<admin::ClientInfo> clients() override;
  std::vector<admin::SubscriptionInfo> subscriptions() override;
  std::vector<admin::TopicInfo> topics() override;
  bool healthy() override;

 private:
  mqtt::MqttBroker& broker_;
};

}  // namespace unimq::app
