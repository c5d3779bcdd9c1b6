// PUBLISH from a client: topic alias, validation, QoS 2 duplicate suppression, delayed
// publish ($delayed/{seconds}/{topic}), routing, then PUBACK/PUBREC.
#include <spdlog/spdlog.h>

#include <charconv>

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
constexpr std::string_view kDelayedPrefix = "$delayed/";
constexpr std::string_view kSysPrefix = "$SYS/";
constexpr uint32_t kMaxDelaySeconds = 7 * 24 * 3600;

// "$delayed/{seconds}/{topic}" -> seconds and topic; false if malformed.
bool parse_delayed(std::string_view topic, uint32_t& seconds, std::string_view& target) {
  auto rest = topic.substr(kDelayedPrefix.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  auto num = rest.substr(0, slash);
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), seconds);
  if (ec != std::errc() || ptr != num.data() + num.size() || seconds > kMaxDelaySeconds) {
    return false;
  }
  target = rest.substr(slash + 1);
  return core::valid_topic_name(target);
}
}  // namespace

std::optional<std::string> MqttConnection::resolve_topic_alias(Publish& p) {
  if (!p.props.topic_alias) {
    if (p.topic.empty()) {
      fail(reason::ProtocolError, "empty topic without topic alias");
      return std::nullopt;
    }
    return std::move(p.topic);
  }
  uint16_t alias = *p.props.topic_alias;
  if (alias == 0 || alias > broker_.options().topic_alias_maximum) {
    fail(reason::TopicAliasInvalid, "topic alias " + std::to_string(alias) + " out of range");
    return std::nullopt;
  }
  if (!p.topic.empty()) {
    (*extras().inbound_aliases)[alias] = p.topic;
    return std::move(p.topic);
  }
  auto& aliases = *extras().inbound_aliases;
  auto it = aliases.find(alias);
  if (it == aliases.end()) {
    fail(reason::ProtocolError, "unknown topic alias " + std::to_string(alias));
    return std::nullopt;
  }
  return it->second;
}

void MqttConnection::handle_publish(Publish& p) {
  const MqttOptions& o = broker_.options();
  broker_.metrics().received[p.qos]->inc();
  if (p.qos > o.max_qos) return fail(reason::QoSNotSupported, "QoS not supported");
  if (p.retain && !o.retain_available) return fail(reason::RetainNotSupported, "retain disabled");
  if (!p.props.subscription_identifiers.empty()) {
    return fail(reason::ProtocolError, "subscription identifier in PUBLISH from a client");
  }
  auto topic = resolve_topic_alias(p);
  if (!topic) return;
  if (!core::valid_topic_name(*topic)) {
    return fail(reason::TopicNameInvalid, "invalid topic name in PUBLISH");
  }
  if (topic->starts_with(kSysPrefix)) {
    // $SYS belongs to the broker, as in Mosquitto: refuse, but keep the connection.
    spdlog::info("client_id={} publish to '{}' refused: $SYS is read-only", client_id_, *topic);
    if (p.qos > 0) {
      send_ack(p.qos == 1 ? PacketType::Puback : PacketType::Pubrec, p.packet_id,
               reason::NotAuthorized);
    }
    return;
  }
  if (p.qos == 2) {
    if (session_->inbound_qos2.count(p.packet_id)) {
      // A resend before PUBREL: acknowledge again, deliver once.
      return send_ack(PacketType::Pubrec, p.packet_id, reason::Success);
    }
    if (session_->inbound_qos2.size() >= o.receive_maximum) {
      return fail(reason::ReceiveMaximumExceeded, "receive maximum exceeded");
    }
  }

  Shard& shard = session_->shard();
  uint8_t ack_reason = reason::Success;
  if (topic->starts_with(kDelayedPrefix)) {
    uint32_t seconds = 0;
    std::string_view target;
    if (parse_delayed(*topic, seconds, target)) {
      shard.schedule_delayed(build_message(p, std::string(target), session_->id(), client_id_),
                             seconds);
    } else {
      spdlog::warn("client_id={} invalid delayed topic '{}'", client_id_, *topic);
      ack_reason = reason::TopicNameInvalid;
    }
  } else if (p.qos > 0 && broker_.store() && broker_.persistent_sessions.load() > 0) {
    // Some session may need this after a restart: acknowledge only once it is journaled.
    if (p.qos == 2) session_->inbound_qos2->insert(p.packet_id);
    return publish_journaled(build_message(p, std::move(*topic), session_->id(), client_id_), p.qos,
                             p.packet_id);
  } else {
    shard.route(build_message(p, std::move(*topic), session_->id(), client_id_));
  }

  if (p.qos == 1) {
    send_ack(PacketType::Puback, p.packet_id, ack_reason);
  } else if (p.qos == 2) {
    if (ack_reason < 0x80) session_->inbound_qos2->insert(p.packet_id);
    send_ack(PacketType::Pubrec, p.packet_id, ack_reason);
  }
}

void MqttConnection::publish_journaled(std::shared_ptr<core::Message> msg, uint8_t qos,
                                       uint16_t packet_id) {
  Shard* shard = &session_->shard();
  std::weak_ptr<bool> alive = alive_token();
  broker_.store()->append(
      shard->index(), *msg,
      [this, shard, alive, msg, qos, packet_id](const storage::AppendResult& r) {
        shard->complete_from_storage([this, shard, alive, msg, qos, packet_id, r] {
          bool live = !alive.expired() && session_;
          if (!r.status.ok()) {
            spdlog::error("client_id={} journal append failed: {}", client_id_, r.status.message);
            if (!live) return;
            if (qos == 2) session_->inbound_qos2->erase(packet_id);
            // 3.1.1 has no negative acknowledgement: closing makes the client resend.
            if (version_ != Version::V5) return fail(reason::UnspecifiedError, "storage error");
            return send_ack(qos == 1 ? PacketType::Puback : PacketType::Pubrec, packet_id,
                            reason::UnspecifiedError);
          }
          msg->journal_stream = shard->index();
          msg->journal_offset = r.base_offset;
          shard->route(msg);
          if (live) {
            send_ack(qos == 1 ? PacketType::Puback : PacketType::Pubrec, packet_id,
                     reason::Success);
          }
        });
      });
}

}  // namespace unimq::mqtt
