// Fuzzes the MQTT front end behind the packet decoder: CONNECT and its properties, sessions,
// subscriptions (shared, wildcards, options), QoS 1/2 flows, retained messages, wills, topic
// aliases. One broker on a running event loop lives across inputs, as a server across
// connections; each input is what one client sends (seeds: recorded mosquitto_pub/sub and paho
// sessions, v3.1, v3.1.1 and v5), fed to a connection handler, and then the client hangs up.
// Sessions end with their connection (max_session_expiry 0), so inputs do not pile up state.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/event_loop.h"
#include "protocol/mqtt/broker.h"
#include "support/fake_connection.h"
#include "support/loop_driver.h"

using namespace unimq;

namespace {

struct World {
  net::EventLoopGroup loops{1};
  std::unique_ptr<mqtt::MqttBroker> broker;

  World() {
    spdlog::set_level(spdlog::level::off);
    mqtt::MqttOptions o;
    o.max_session_expiry = 0;
    o.max_queued_messages = 100;
    broker = std::make_unique<mqtt::MqttBroker>(loops, o);
    loops.start();
  }
};

World& world() {
  static World* w = new World();  // lives for the whole run, like the server
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  World& w = world();
  test::serve_connection(w.loops.loop(0), {data, size},
                         [&](net::Connection& c) { return w.broker->make_handler(c); });
  return 0;
}
