// connection class: start-ok, tune-ok, open, close, close-ok (RabbitMQ semantics).
#include <spdlog/spdlog.h>

#include "protocol/amqp/broker/broker.h"
#include "protocol/amqp/handlers/dispatch.h"
#include "protocol/amqp/handlers/handlers.h"
#include "protocol/amqp/session/amqp_connection.h"
#include "protocol/amqp/session/server_context.h"

namespace unimq::amqp::handlers {

using State = AmqpConnection::State;

codec::FieldTable server_properties() {
  codec::FieldTable caps;
  for (const char* cap :
       {"publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify",
        "connection.blocked", "authentication_failure_close", "per_consumer_qos"})
    caps.set(cap, true);
  codec::FieldTable p;
  p.set("capabilities", std::move(caps));
  p.set("cluster_name", std::string("unimq"));
  p.set("copyright", std::string("UniMQ contributors"));
  p.set("information", std::string("UniMQ: MQTT, Kafka and AMQP 0-9-1 in one broker"));
  p.set("platform", std::string("C++20"));
  p.set("product", std::string("UniMQ"));
  p.set("version", std::string("0.1.0"));
  return p;
}

namespace {

void unexpected(AmqpConnection& c, const codec::Method& m) {
  c.close_connection(codec::kCommandInvalid,
                     std::string("COMMAND_INVALID - unexpected method ") +
                         codec::method_name(codec::method_class_id(m), codec::method_id(m)),
                     codec::method_class_id(m), codec::method_id(m));
}

void start_ok(AmqpConnection& c, const codec::ConnectionStartOk& m) {
  const std::string user = authenticate(m.mechanism, m.response, c.server().options().users);
  if (user.empty()) {
    c.close_connection(codec::kAccessRefused,
                       "ACCESS_REFUSED - Login was refused using authentication mechanism " +
                           m.mechanism + ". For details see the broker logfile.");
    return;
  }
  c.authenticated(user);
  const auto& o = c.server().options();
  codec::ConnectionTune t;
  t.channel_max = o.channel_max;
  t.frame_max = o.frame_max;
  t.heartbeat = o.heartbeat_s;
  c.send_method(0, t);
  c.set_state(State::TuneOk);
}

void tune_ok(AmqpConnection& c, const codec::ConnectionTuneOk& m) {
  const auto& o = c.server().options();
  // 0 from the client means "no limit of mine": the server's limit applies.
  const uint32_t frame_max = m.frame_max == 0 ? o.frame_max : m.frame_max;
  const uint16_t channel_max = m.channel_max == 0 ? o.channel_max : m.channel_max;
  if (frame_max > o.frame_max || frame_max < codec::kFrameMinSize)
    return c.close_connection(codec::kNotAllowed,
                              "NOT_ALLOWED - frame_max=" + std::to_string(frame_max) + " outside " +
                                  std::to_string(codec::kFrameMinSize) + ".." +
                                  std::to_string(o.frame_max),
                              m.kClassId, m.kMethodId);
  if (channel_max > o.channel_max)
    return c.close_connection(codec::kNotAllowed,
                              "NOT_ALLOWED - channel_max=" + std::to_string(channel_max) + " > " +
                                  std::to_string(o.channel_max),
                              m.kClassId, m.kMethodId);
  // The client has already picked the heartbeat from our offer (the lower non-zero value, or
  // 0 to disable), as RabbitMQ expects; we use what it answered.
  c.tuned(channel_max, frame_max, m.heartbeat);
  c.set_state(State::Open);
}

void open(AmqpConnection& c, const codec::ConnectionOpen& m) {
  Broker* broker = c.server().broker();
  VirtualHost* vh = broker ? broker->vhost(m.virtual_host) : nullptr;
  if (broker ? !vh : !c.server().options().vhosts.count(m.virtual_host))
    return c.close_connection(codec::kNotAllowed,
                              "NOT_ALLOWED - vhost " + m.virtual_host + " not found", m.kClassId,
                              m.kMethodId);
  c.opened(m.virtual_host, vh);
  c.send_method(0, codec::ConnectionOpenOk{});
  spdlog::debug("amqp connection {} opened vhost '{}' as '{}'", c.id(), c.vhost(), c.user());
}

}  // namespace

void dispatch_connection(AmqpConnection& c, codec::Method& m) {
  const State s = c.state();
  if (auto* close = std::get_if<codec::ConnectionClose>(&m)) {
    (void)close;
    c.send_method(0, codec::ConnectionCloseOk{});
    return c.close_socket();
  }
  if (std::holds_alternative<codec::ConnectionCloseOk>(m)) {
    if (s == State::Closing) return c.close_socket();
    return unexpected(c, m);
  }
  if (s == State::Closing) return;
  if (auto* x = std::get_if<codec::ConnectionStartOk>(&m); x && s == State::StartOk)
    return start_ok(c, *x);
  if (auto* x = std::get_if<codec::ConnectionTuneOk>(&m); x && s == State::TuneOk)
    return tune_ok(c, *x);
  if (auto* x = std::get_if<codec::ConnectionOpen>(&m); x && s == State::Open) return open(c, *x);
  if (std::holds_alternative<codec::ConnectionUpdateSecret>(m) && s == State::Opened) {
    return c.send_method(0, codec::ConnectionUpdateSecretOk{});
  }
  if (std::holds_alternative<codec::ConnectionBlocked>(m) ||
      std::holds_alternative<codec::ConnectionUnblocked>(m))
    return;  // client-sent blocked notifications are ignored
  unexpected(c, m);
}

}  // namespace unimq::amqp::handlers
