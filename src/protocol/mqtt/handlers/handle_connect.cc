// CONNECT: validate, pick the session's home shard, move there, then create or resume the
// session (taking it over from an older connection) and answer CONNACK.
#include <spdlog/spdlog.h>

#include <chrono>
#include <random>

#include "core/clock.h"
#include "core/topic.h"
#include "net/event_loop.h"
#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/message_builder.h"
#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/persistence/mqtt_store.h"
#include "protocol/mqtt/session/session.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

namespace {
std::string assign_client_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  snprintf(buf, sizeof buf, "unimq-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}
}  // namespace

void MqttConnection::handle_connect(Connect& c) {
  const MqttOptions& o = broker_.options();
  version_ = c.version;
  client_id_ = c.client_id;
  bool assigned = false;
  if (c.version == Version::V5) {
    problem_info_ = c.props.request_problem_information.value_or(1) != 0;
    if (c.props.receive_maximum && *c.props.receive_maximum == 0) {
      return reject_connect(reason::ProtocolError, 0, "receive maximum 0");
    }
    if (c.props.maximum_packet_size && *c.props.maximum_packet_size == 0) {
      return reject_connect(reason::ProtocolError, 0, "maximum packet size 0");
    }
    client_receive_max_ = c.props.receive_maximum.value_or(65535);
    client_max_packet_ = c.props.maximum_packet_size.value_or(0);
    client_alias_max_ = c.props.topic_alias_maximum.value_or(0);
    if (c.props.authentication_method) {
      return reject_connect(
          reason::BadAuthenticationMethod, 0,
          "authentication method " + *c.props.authentication_method + " not supported");
    }
  }
  if (client_id_.empty()) {
    if (c.version == Version::V31 || (c.version == Version::V311 && !c.clean_start)) {
      return reject_connect(reason::ClientIdentifierNotValid, connack_v3::IdentifierRejected,
                            "empty client id without clean session");
    }
    client_id_ = assign_client_id();
    assigned = true;
  }
  if (c.version != Version::V5 && c.keep_alive > o.max_keepalive) {
    // 3.1.1 cannot tell the client another keep-alive; Mosquitto refuses it the same way.
    return reject_connect(0, connack_v3::IdentifierRejected, "keep-alive above the server maximum");
  }
  if (c.will) {
    if (!core::valid_topic_name(c.will->topic)) {
      return reject_connect(reason::TopicNameInvalid, connack_v3::IdentifierRejected,
                            "invalid will topic");
    }
    if (c.will->qos > o.max_qos) {
      return reject_connect(reason::QoSNotSupported, connack_v3::ServerUnavailable,
                            "will QoS not supported");
    }
    if (c.will->retain && !o.retain_available) {
      return reject_connect(reason::RetainNotSupported, connack_v3::ServerUnavailable,
                            "retain not supported");
    }
  }
  keepalive_timer_.cancel();  // the connect timeout (also: it must not move loops armed)
  c.client_id = client_id_;
  if (assigned) c.props.assigned_client_identifier = client_id_;

  uint32_t home = broker_.home_shard(client_id_);
  if (home == conn_.loop().index()) {
    finish_connect(std::move(c));
    return;
  }
  // Move to the session's home shard; packets after CONNECT wait, unread, until we arrive.
  state_ = State::Rehoming;
  conn_.pause_reading();
  conn_.rehome(broker_.shard(home).loop(), [this, c = std::move(c)]() mutable {
    state_ = State::AwaitConnect;
    finish_connect(std::move(c));
    conn_.resume_reading();
  });
}

void MqttConnection::finish_connect(Connect c) {
  const MqttOptions& o = broker_.options();
  if (broker_.shutting_down()) {
    return reject_connect(reason::ServerShuttingDown, connack_v3::ServerUnavailable,
                          "server shutting down");
  }
  Shard& shard = broker_.current_shard();
  Session* s = shard.find_session(client_id_);
  if (s && s->connection()) {
    // Packets the client sent on its old connection before this CONNECT (a DISCONNECT that
    // ends the session or changes its expiry) are handled first, as their order was.
    s->connection()->read_pending_input();
    s = shard.find_session(client_id_);
  }
  if (s && s->connection()) {
    MqttConnection* old = s->connection();
    old->detach_session();
    s->detach();
    old->kick(reason::SessionTakenOver, "session taken over by " + conn_.peer());
    s->trigger_will();
  }
  if (s && c.clean_start) {
    shard.end_session(*s);
    s = nullptr;
  }
  bool present = s != nullptr;
  if (s) {
    s->cancel_expiry();
    s->cancel_pending_will();
  } else {
    s = &shard.create_session(client_id_);
  }

  uint32_t requested_expiry = 0;
  if (c.version == Version::V5) {
    requested_expiry = c.props.session_expiry_interval.value_or(0);
  } else {
    requested_expiry = c.clean_start ? 0 : Session::kNeverExpires;
  }
  s->expiry_interval = std::min(requested_expiry, o.max_session_expiry);
  if (!present && broker_.store()) {
    // A new session needs nothing journaled before it existed (note_seen ignores expiry 0).
    for (auto& [stream, offset] : broker_.store()->latest_offsets()) s->note_seen(stream, offset);
  }
  if (s->expiry_interval == 0) s->forget_cursors();
  s->version = c.version;
  s->clean_start = c.clean_start;
  s->set_username(c.username.value_or(""));
  s->connected_at_ms = core::wall_ms();
  s->send_window = std::min<uint16_t>(client_receive_max_, o.max_inflight);

  keep_alive_ = c.keep_alive;
  bool server_keep_alive = false;
  if (c.version == Version::V5 && o.max_keepalive < 65535 &&
      (c.keep_alive == 0 || c.keep_alive > o.max_keepalive)) {
    keep_alive_ = o.max_keepalive;
    server_keep_alive = true;
  }
  s->keep_alive = keep_alive_;

  if (c.will) {
    uint32_t delay = c.will->props.will_delay_interval.value_or(0);
    s->set_will(build_will_message(*c.will, s->id(), client_id_), delay);
  } else {
    s->set_will(std::nullopt, 0);
  }

  s->attach(this);
  session_ = s;
  if (s->expiry_interval > 0 && !s->counted_persistent) {
    s->counted_persistent = true;
    broker_.persistent_sessions.fetch_add(1);
  }
  if (s->expiry_interval > 0 || present) shard.persist_session(*s);
  state_ = State::Connected;
  counted_ = true;
  broker_.metrics().connections.add(1);
  broker_.metrics().connects_total.inc();

  Connack ack;
  ack.session_present = present;
  if (c.version == Version::V5) {
    auto& p = ack.props;
    p.receive_maximum = o.receive_maximum;
    if (o.max_packet_size < 268435455) p.maximum_packet_size = o.max_packet_size;
    p.topic_alias_maximum = o.topic_alias_maximum;
    if (o.max_qos < 2) p.maximum_qos = o.max_qos;
    p.retain_available = o.retain_available ? 1 : 0;
    p.wildcard_subscription_available = o.wildcard_subscriptions ? 1 : 0;
    p.subscription_identifier_available = 1;
    p.shared_subscription_available = o.shared_subscriptions ? 1 : 0;
    p.assigned_client_identifier = c.props.assigned_client_identifier;
    if (server_keep_alive) p.server_keep_alive = keep_alive_;
    if (c.props.session_expiry_interval && s->expiry_interval != requested_expiry) {
      p.session_expiry_interval = s->expiry_interval;
    }
  }
  send(ack);
  spdlog::info(
      "client_id={} peer={} connected version={} clean_start={} keep_alive={} "
      "session_present={} shard={}",
      client_id_, conn_.peer(), int(c.version), c.clean_start, keep_alive_, present, shard.index());
  start_keepalive();
  s->resend_inflight();
  s->pump();
}

}  // namespace unimq::mqtt
