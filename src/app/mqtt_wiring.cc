#include "app/mqtt_wiring.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/event_loop.h"
#include "net/listener.h"
#include "protocol/mqtt/broker.h"

namespace unimq::app {

mqtt::MqttOptions mqtt_options(const Config& config) {
  const MqttConfig& c = config.mqtt;
  mqtt::MqttOptions o;
  o.max_packet_size = c.max_packet_size;
  o.receive_maximum = c.receive_maximum;
  o.max_inflight = static_cast<uint16_t>(std::clamp<uint32_t>(c.max_inflight, 1, 65535));
  o.max_queued_messages = c.max_queued_messages;
  o.drop_oldest = c.queue_drop_policy == QueueDropPolicy::DropOldest;
  o.max_session_expiry = c.max_session_expiry;
  o.max_keepalive = c.max_keepalive;
  o.topic_alias_maximum = c.topic_alias_maximum;
  o.retain_available = c.retain_available;
  o.wildcard_subscriptions = c.wildcard_subscriptions;
  o.shared_subscriptions = c.shared_subscriptions;
  o.shared_strategy =
      core::parse_shared_strategy(c.shared_strategy).value_or(core::SharedStrategy::RoundRobin);
  o.connect_timeout_ms = c.connect_timeout_ms;
  o.sys_interval_s = c.sys_interval_s;
  o.max_qos = c.max_qos;
  o.node_name =
      "unimq@" + (c.bind == "0.0.0.0" || c.bind == "::" ? std::string("127.0.0.1") : c.bind);
  return o;
}

std::vector<std::unique_ptr<net::Listener>> start_mqtt_listeners(const Config& config,
                                                                 net::EventLoopGroup& loops,
                                                                 mqtt::MqttBroker& broker) {
  std::vector<std::unique_ptr<net::Listener>> out;
  auto factory = [&broker](net::Connection& c) { return broker.make_handler(c); };
  auto add = [&](uint16_t port, net::Transport t, const char* what) {
    if (port == 0) {
      spdlog::info("{} listener disabled (port 0)", what);
      return;
    }
    net::ListenerOptions lo;
    lo.host = config.mqtt.bind;
    lo.port = port;
    lo.transport = t;
    auto l = std::make_unique<net::Listener>(loops, lo, factory);
    l->start();
    spdlog::info("{} listening on {}:{}", what, lo.host, l->port());
    out.push_back(std::move(l));
  };
  add(config.mqtt.port, net::Transport::Tcp, "MQTT");
  add(config.mqtt.ws_port, net::Transport::WebSocket, "MQTT over WebSocket");
  return out;
}

}  // namespace unimq::app
