#include "protocol/amqp/broker/bus_bridge.h"

#include <algorithm>
#include <chrono>

namespace unimq::amqp {
namespace {

// Set while the bridge itself publishes a bus message into the exchange, so the observer does
// not hand it back to the bus (MQTT -> AMQP -> MQTT loop).
thread_local bool t_from_bus = false;

}  // namespace

std::string BusBridge::topic_to_routing_key(std::string_view topic) {
  std::string k(topic);
  std::replace(k.begin(), k.end(), '/', '.');
  return k;
}

std::string BusBridge::routing_key_to_topic(std::string_view key) {
  std::string t(key);
  std::replace(t.begin(), t.end(), '.', '/');
  return t;
}

std::unique_ptr<BusBridge> BusBridge::create(core::Bus& bus, const std::string& exchange) {
  if (exchange.empty()) return nullptr;
  std::unique_ptr<BusBridge> b(new BusBridge(bus, exchange));
  bus.add_sink(core::Origin::Amqp, b.get());
  return b;
}

void BusBridge::connect(VirtualHost& vh) {
  vh.observe_exchange(exchange_, [this](const MessagePtr& m) {
    if (!t_from_bus && bus_.has_sinks_besides(core::Origin::Amqp))
      bus_.publish(to_bus(*m), core::Origin::Amqp);
  });
  vh_.store(&vh, std::memory_order_release);
}

std::unique_ptr<BusBridge> BusBridge::attach(VirtualHost& vh, core::Bus& bus,
                                             const std::string& exchange) {
  auto b = create(bus, exchange);
  if (b) b->connect(vh);
  return b;
}

MessagePtr BusBridge::to_amqp(const core::Message& m, const std::string& exchange) {
  BasicProperties p;
  if (!m.props.user_properties.empty()) {
    ArgTable h;
    for (const auto& [k, v] : m.props.user_properties) h.emplace_back(k, ArgValue::str(v));
    p.headers = std::move(h);
  }
  if (m.props.content_type) p.content_type = m.props.content_type;
  if (m.props.response_topic) p.reply_to = m.props.response_topic;
  if (m.props.correlation_data) p.correlation_id = m.props.correlation_data->substr(0, 255);
  if (!m.key.empty()) p.message_id = m.key.substr(0, 255);
  if (m.timestamp_ms > 0) p.timestamp = static_cast<uint64_t>(m.timestamp_ms / 1000);
  if (m.qos > 0) p.delivery_mode = 2;
  if (m.expires_at) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(*m.expires_at - core::Clock::now())
            .count();
    p.expiration = std::to_string(std::max<int64_t>(left, 0));
  }
  return make_message(exchange, topic_to_routing_key(m.topic), p, m.payload);
}

core::MessagePtr BusBridge::to_bus(const Message& m) {
  auto out = std::make_shared<core::Message>();
  out->topic = routing_key_to_topic(m.routing_key);
  out->payload = m.body;
  out->qos = m.persistent() ? 1 : 0;
  BasicProperties p;
  if (decode_properties(m.properties, p)) {
    if (p.message_id) out->key = *p.message_id;
    if (p.content_type) out->props.content_type = p.content_type;
    if (p.reply_to) out->props.response_topic = p.reply_to;
    if (p.correlation_id) out->props.correlation_data = p.correlation_id;
    if (p.headers)
      for (const auto& [k, v] : *p.headers) {
        if (v.is_string())
          out->props.user_properties.emplace_back(k, v.s);
        else if (v.is_integer())
          out->props.user_properties.emplace_back(k, std::to_string(v.i));
      }
    if (p.timestamp) out->timestamp_ms = static_cast<int64_t>(*p.timestamp) * 1000;
  }
  if (out->timestamp_ms == 0)
    out->timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  if (m.expiration_ms)
    out->expires_at = core::Clock::now() + std::chrono::milliseconds(*m.expiration_ms);
  return out;
}

bool BusBridge::wants(std::string_view topic) const {
  VirtualHost* vh = vh_.load(std::memory_order_acquire);
  return vh && vh->routes(exchange_, topic_to_routing_key(topic));
}

void BusBridge::on_bus_message(const core::MessagePtr& m, core::Origin) {
  VirtualHost* vh = vh_.load(std::memory_order_acquire);
  if (!vh) return;
  const std::string key = topic_to_routing_key(m->topic);
  if (!vh->routes(exchange_, key)) return;  // cheap check: nobody bound for it
  t_from_bus = true;
  (void)vh->publish(exchange_, to_amqp(*m, exchange_));
  t_from_bus = false;
}

}  // namespace unimq::amqp
