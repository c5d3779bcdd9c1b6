// Config -> MQTT broker options and listeners.
#pragma once

#include <memory>
#include <vector>

#include "app/config.h"
#include "protocol/mqtt/options.h"

namespace unimq::net {
class EventLoopGroup;
class Listener;
}  // namespace unimq::net

namespace unimq::mqtt {
class MqttBroker;
}

namespace unimq::app {

mqtt::MqttOptions mqtt_options(const Config& config);
// Starts the TCP and WebSocket listeners whose port is not 0. Throws on bind failure.
std::vector<std::unique_ptr<net::Listener>> start_mqtt_listeners(const Config& config,
                                                                 net::EventLoopGroup& loops,
                                                                 mqtt::MqttBroker& broker);

}  // namespace unimq::app
