// The amq.topic <-> bus bridge: mapping both ways, the cheap no-binding check, no echo.
#include "protocol/amqp/broker/bus_bridge.h"

#include <gtest/gtest.h>

#include "amqp_test_util.h"

namespace unimq::amqp::test {
namespace {

class MqttSide : public core::BusSink {
 public:
  void on_bus_message(const core::MessagePtr& m, core::Origin origin) override {
    got.push_back(m);
    EXPECT_EQ(origin, core::Origin::Amqp);
  }
  std::vector<core::MessagePtr> got;
};

TEST(BusBridge, BusToAmqpOnlyWhenBound) {
  VirtualHost vh{"/", nullptr, nullptr};
  core::Bus bus;
  MqttSide mqtt;
  bus.add_sink(core::Origin::Mqtt, &mqtt);
  auto bridge = BusBridge::attach(vh, bus, "amq.topic");
  ASSERT_TRUE(bridge);
  auto q = declare(vh, "sensors");
  auto m = std::make_shared<core::Message>();
  m->topic = "sensors/room1/temp";
  m->payload = "21.5";
  m->key = "k1";
  m->qos = 1;
  m->timestamp_ms = 1700000000123;
  m->props.user_properties = {{"unit", "C"}};
  bus.publish(m, core::Origin::Mqtt);  // nothing bound yet: dropped
  ASSERT_TRUE(vh.queue_bind("sensors", "amq.topic", "sensors.*.temp", {}, 0).ok());
  bus.publish(m, core::Origin::Mqtt);
  auto g = q->get(true);
  ASSERT_TRUE(g);
  EXPECT_FALSE(q->get(true));
  const Message& a = *g->delivery.message;
  EXPECT_EQ(a.routing_key, "sensors.room1.temp");
  EXPECT_EQ(a.body, "21.5");
  EXPECT_TRUE(a.persistent());
  BasicProperties p;
  ASSERT_TRUE(decode_properties(a.properties, p));
  EXPECT_EQ(p.message_id, "k1");
  EXPECT_EQ(p.timestamp, 1700000000u);
  EXPECT_EQ(arg_string(*p.headers, "unit"), "C");
  EXPECT_TRUE(mqtt.got.empty());  // not echoed back to the bus
}

TEST(BusBridge, AmqpPublishesReachTheBus) {
  VirtualHost vh{"/", nullptr, nullptr};
  core::Bus bus;
  MqttSide mqtt;
  bus.add_sink(core::Origin::Mqtt, &mqtt);
  auto bridge = BusBridge::attach(vh, bus, "amq.topic");
  BasicProperties p;
  p.message_id = "m-1";
  p.headers = args({{"h", ArgValue::str("v")}});
  vh.publish("amq.topic", make_message("amq.topic", "a.b.c", p, "body"));
  vh.publish("amq.direct", make_message("amq.direct", "a.b.c", p, "other exchange"));
  ASSERT_EQ(mqtt.got.size(), 1u);
  EXPECT_EQ(mqtt.got[0]->topic, "a/b/c");
  EXPECT_EQ(mqtt.got[0]->payload, "body");
  EXPECT_EQ(mqtt.got[0]->key, "m-1");
  ASSERT_EQ(mqtt.got[0]->props.user_properties.size(), 1u);
  EXPECT_EQ(mqtt.got[0]->props.user_properties[0].second, "v");
}

TEST(BusBridge, DisabledWhenExchangeEmpty) {
  VirtualHost vh{"/", nullptr, nullptr};
  core::Bus bus;
  EXPECT_FALSE(BusBridge::attach(vh, bus, ""));
  EXPECT_FALSE(bus.has_sinks_besides(core::Origin::Mqtt));
}

}  // namespace
}  // namespace unimq::amqp::test
