#include "protocol/mqtt/mqtt_connection.h"

#include <spdlog/spdlog.h>

#include <atomic>

#include "net/event_loop.h"
#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/codec/encoder.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

namespace {
std::atomic<uint64_t> g_generation{0};
// Payloads up to this size are copied into the write buffer; larger ones are written from the
// shared message (an iovec costs more than copying a few hundred bytes).
constexpr size_t kCopyPayloadBelow = 1024;

// Packets are encoded into one buffer per loop thread and copied out by conn_.send() at once,
// so connections need no encode buffer of their own.
constexpr size_t kKeepEncodeBytes = 256 * 1024;
thread_local std::vector<uint8_t> t_encode_buf;

std::vector<uint8_t>& encode_buf() {
  t_encode_buf.clear();
  return t_encode_buf;
}

// Gives back what one huge packet grew.
void trim_encode_buf() {
  if (t_encode_buf.capacity() > kKeepEncodeBytes) std::vector<uint8_t>().swap(t_encode_buf);
}
}  // namespace

MqttConnection::MqttConnection(MqttBroker& broker, net::Connection& conn)
    : broker_(broker),
      conn_(conn),
      generation_(++g_generation),
      last_rx_(std::chrono::steady_clock::now()) {
  keepalive_timer_.arm(conn_.loop(),
                       std::chrono::milliseconds(broker_.options().connect_timeout_ms), [this] {
                         if (state_ != State::AwaitConnect) return;
                         spdlog::info("peer={} no CONNECT within {} ms, closing", conn_.peer(),
                                      broker_.options().connect_timeout_ms);
                         state_ = State::Closing;
                         conn_.abort();
                       });
}

MqttConnection::~MqttConnection() = default;

size_t MqttConnection::on_data(std::span<const uint8_t> data) {
  last_rx_ = std::chrono::steady_clock::now();
  size_t consumed = 0;
  while (state_ == State::AwaitConnect || state_ == State::Connected) {
    auto rest = data.subspan(consumed);
    FixedHeader h;
    DecodeError err;
    auto st = decode_fixed_header(rest, h, err);
    if (st == DecodeStatus::NeedMore) break;
    if (st == DecodeStatus::Malformed) {
      fail(err.reason_code, err.message);
      return data.size();
    }
    if (h.total_length() > broker_.options().max_packet_size) {
      fail(reason::PacketTooLarge,
           "packet of " + std::to_string(h.total_length()) + " bytes exceeds maximum packet size");
      return data.size();
    }
    if (rest.size() < h.total_length()) break;
    if (state_ == State::AwaitConnect && h.type != PacketType::Connect) {
      spdlog::warn("peer={} first packet is {}, not CONNECT; closing", conn_.peer(),
                   packet_type_name(h.type));
      broker_.metrics().protocol_errors.inc();
      state_ = State::Closing;
      conn_.abort();
      return data.size();
    }
    Packet pkt;
    st = decode_packet(h, rest.subspan(h.header_length, h.remaining_length), version_, pkt, err);
    consumed += h.total_length();
    broker_.metrics().bytes_received.inc(h.total_length());
    if (st != DecodeStatus::Ok) {
      if (h.type == PacketType::Connect && err.reason_code == reason::UnsupportedProtocolVersion) {
        // 3.1.1 [MQTT-3.1.2-2]: answer return code 1 before closing.
        reject_connect(reason::UnsupportedProtocolVersion, connack_v3::UnacceptableProtocolVersion,
                       err.message);
        return data.size();
      }
      fail(err.reason_code, err.message);
      return data.size();
    }
    dispatch(pkt);
  }
  return state_ == State::Closing ? data.size() : consumed;
}

void MqttConnection::dispatch(Packet& p) {
  switch (packet_type(p)) {
    case PacketType::Connect:
      if (state_ != State::AwaitConnect) return fail(reason::ProtocolError, "second CONNECT");
      return handle_connect(std::get<Connect>(p));
    case PacketType::Publish:
      return handle_publish(std::get<Publish>(p));
    case PacketType::Puback:
      return handle_puback(std::get<Ack>(p));
    case PacketType::Pubrec:
      return handle_pubrec(std::get<Ack>(p));
    case PacketType::Pubrel:
      return handle_pubrel(std::get<Ack>(p));
    case PacketType::Pubcomp:
      return handle_pubcomp(std::get<Ack>(p));
    case PacketType::Subscribe:
      return handle_subscribe(std::get<Subscribe>(p));
    case PacketType::Unsubscribe:
      return handle_unsubscribe(std::get<Unsubscribe>(p));
    case PacketType::Pingreq:
      return handle_pingreq();
    case PacketType::Disconnect:
      return handle_disconnect(std::get<Disconnect>(p));
    case PacketType::Auth:
      return handle_auth(std::get<Auth>(p));
    default:
      return fail(reason::ProtocolError,
                  std::string("unexpected ") + packet_type_name(packet_type(p)) + " from client");
  }
}

void MqttConnection::send(const Packet& p) {
  if (state_ == State::Closing && !conn_.is_open()) return;
  std::vector<uint8_t>& buf = encode_buf();
  encode(p, version_, buf);
  conn_.send(buf);
  broker_.metrics().bytes_sent.inc(buf.size());
  trim_encode_buf();
}

bool MqttConnection::send_publish(const Outbound& out, uint16_t packet_id, bool dup) {
  const core::Message& m = *out.msg;
  Publish p;
  p.dup = dup;
  p.qos = out.qos;
  p.retain = out.retain;
  p.packet_id = packet_id;
  p.topic = m.topic;
  if (version_ == Version::V5) {
    p.props.payload_format_indicator = m.props.payload_format;
    p.props.content_type = m.props.content_type;
    p.props.response_topic = m.props.response_topic;
    p.props.correlation_data = m.props.correlation_data;
    p.props.user_properties = m.props.user_properties;
    p.props.subscription_identifiers = out.subscription_ids;
    p.props.message_expiry_interval = m.remaining_expiry(core::Clock::now());
  }
  if (client_max_packet_ && publish_wire_size(p, m.payload.size(), version_) > client_max_packet_) {
    spdlog::debug("client_id={} dropping {}-byte message on {}: above its maximum packet size",
                  client_id_, m.payload.size(), m.topic);
    return false;
  }
  if (client_alias_max_ > 0) {
    auto& out_aliases = extras().outbound_aliases;
    if (!out_aliases) out_aliases = std::make_unique<std::unordered_map<std::string, uint16_t>>();
    auto& aliases = *out_aliases;
    auto it = aliases.find(m.topic);
    if (it != aliases.end()) {
      p.props.topic_alias = it->second;
      p.topic.clear();
    } else if (aliases.size() < client_alias_max_) {
      uint16_t alias = static_cast<uint16_t>(aliases.size() + 1);
      aliases.emplace(m.topic, alias);
      p.props.topic_alias = alias;
    }
  }
  std::vector<uint8_t>& buf = encode_buf();
  encode_publish_header(p, m.payload.size(), version_, buf);
  size_t total = buf.size() + m.payload.size();
  if (m.payload.size() < kCopyPayloadBelow) {
    buf.insert(buf.end(), m.payload.begin(), m.payload.end());
    conn_.send(buf);
  } else {
    conn_.send(buf);
    conn_.send_shared(reinterpret_cast<const uint8_t*>(m.payload.data()), m.payload.size(),
                      out.msg);
  }
  trim_encode_buf();
  broker_.metrics().sent[out.qos]->inc();
  broker_.metrics().bytes_sent.inc(total);
  return true;
}

void MqttConnection::send_ack(PacketType type, uint16_t packet_id, uint8_t reason) {
  send(Ack{type, packet_id, version_ == Version::V5 ? reason : uint8_t(0), {}});
}

void MqttConnection::on_drain() {
  if (session_) session_->pump();
}

void MqttConnection::fail(uint8_t reason, std::string_view why) {
  if (state_ == State::Closing) return;
  spdlog::warn("client_id={} peer={} closing connection: {} (reason 0x{:02x})", client_id_,
               conn_.peer(), why, reason);
  broker_.metrics().protocol_errors.inc();
  if (state_ == State::Connected && version_ == Version::V5) {
    Disconnect d{reason, {}};
    if (problem_info_) d.props.reason_string = std::string(why);
    send(d);
  }
  state_ = State::Closing;
  conn_.close();
}

void MqttConnection::kick(uint8_t reason, std::string_view why) {
  if (state_ == State::Closing) return;
  spdlog::info("client_id={} peer={} disconnecting: {}", client_id_, conn_.peer(), why);
  if (state_ == State::Connected && version_ == Version::V5) {
    send(Disconnect{reason, {}});
  }
  state_ = State::Closing;
  conn_.close();
}

void MqttConnection::reject_connect(uint8_t v5_reason, uint8_t v3_code, std::string_view why) {
  spdlog::warn("client_id={} peer={} CONNECT refused: {}", client_id_, conn_.peer(), why);
  Connack ack;
  ack.reason_code = version_ == Version::V5 ? v5_reason : v3_code;
  if (version_ == Version::V5 && problem_info_) ack.props.reason_string = std::string(why);
  send(ack);
  state_ = State::Closing;
  conn_.close();
}

void MqttConnection::start_keepalive() {
  if (keep_alive_ == 0) {
    keepalive_timer_.cancel();
    return;
  }
  check_keepalive();
}

void MqttConnection::check_keepalive() {
  auto limit = std::chrono::milliseconds(uint64_t(keep_alive_) * 1500);
  auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - last_rx_);
  if (idle >= limit) {
    fail(reason::KeepAliveTimeout, "keep-alive timeout");
    return;
  }
  keepalive_timer_.arm(conn_.loop(), limit - idle, [this] { check_keepalive(); });
}

void MqttConnection::on_closed() {
  keepalive_timer_.cancel();
  if (counted_) broker_.metrics().connections.sub(1);
  counted_ = false;
  state_ = State::Closing;
  if (session_) session_closed(!normal_disconnect_);
  closed_ = true;
  if (extras_) extras_->alive.reset();
}

std::weak_ptr<bool> MqttConnection::alive_token() {
  if (closed_) return extras_ ? extras_->alive : nullptr;
  std::shared_ptr<bool>& alive = extras().alive;
  if (!alive) alive = std::make_shared<bool>(true);
  return alive;
}

void MqttConnection::session_closed(bool send_will) {
  Session* s = session_;
  session_ = nullptr;
  s->detach();
  if (send_will) {
    s->trigger_will();
  } else {
    s->clear_will();
  }
  Shard& shard = s->shard();
  if (s->expiry_interval == 0) {
    shard.end_session(*s);
    return;
  }
  shard.persist_session(*s);  // records the disconnect time and any pending will
  uint64_t id = s->id();
  s->arm_expiry([&shard, id] {
    Session* x = shard.find_session(id);
    if (x && !x->connected()) shard.end_session(*x);
  });
}

}  // namespace unimq::mqtt
