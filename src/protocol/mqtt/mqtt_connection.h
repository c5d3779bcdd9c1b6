// The protocol side of one MQTT network connection: frames packets out of the byte stream,
// enforces the connection-level rules (CONNECT first, keep-alive, packet size, topic aliases)
// and dispatches each packet to its handler (handlers/handle_<packet>.cc).
//
// Lifecycle: created on the accepting loop; after CONNECT it moves with its net::Connection
// to the session's home shard, attaches to the Session there, and stays until closed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/message.h"
#include "net/connection.h"
#include "net/timer.h"
#include "protocol/mqtt/codec/decoder.h"
#include "protocol/mqtt/codec/packet.h"
#include "protocol/mqtt/delivery.h"
#include "protocol/mqtt/lazy.h"
#include "protocol/mqtt/session/session.h"

namespace unimq::mqtt {

class MqttBroker;
class Session;
class Shard;

// One accepted topic of a SUBSCRIBE, kept until every shard has applied it.
struct SessionSubscriptionRequest {
  std::string key;  // the filter as the client sent it (with any $share/ prefix)
  SessionSubscription sub;
  bool is_new = true;  // for retain handling 1
};

class MqttConnection : public net::ConnectionHandler {
 public:
  MqttConnection(MqttBroker& broker, net::Connection& conn);
  ~MqttConnection() override;

  size_t on_data(std::span<const uint8_t> data) override;
  void on_drain() override;
  void on_closed() override;

  // Sends one packet (encoded for this connection's protocol version).
  void send(const Packet& p);
  // Sends a PUBLISH of `out` with packet id `packet_id` (0 for QoS 0). Returns false if the
  // message must be dropped (larger than the client's maximum packet size).
  bool send_publish(const Outbound& out, uint16_t packet_id, bool dup);
  bool congested() const { return conn_.congested(); }

  // Ends the connection because of an error: v5 gets DISCONNECT with `reason` (and a reason
  // string unless the client asked for none), then close. Logs one line.
  void fail(uint8_t reason, std::string_view why);
  // Server-initiated DISCONNECT (takeover, shutdown). Detaches from the session first.
  void kick(uint8_t reason, std::string_view why);

  Version version() const { return version_; }
  const std::string& client_id() const { return client_id_; }
  const std::string& peer() const { return conn_.peer(); }
  // Handles what the client already sent on this connection (see net::Connection::read_pending).
  void read_pending_input() { conn_.read_pending(); }
  uint64_t generation() const { return generation_; }
  void detach_session() { session_ = nullptr; }
  Session* session() const { return session_; }
  uint16_t client_receive_maximum() const { return client_receive_max_; }

 private:
  enum class State : uint8_t { AwaitConnect, Rehoming, Connected, Closing };

  void dispatch(Packet& p);
  void handle_connect(Connect& c);
  void finish_connect(Connect c);  // on the home shard
  void handle_publish(Publish& p);
  void publish_journaled(std::shared_ptr<core::Message> msg, uint8_t qos, uint16_t packet_id);
  void handle_puback(const Ack& a);
  void handle_pubrec(const Ack& a);
  void handle_pubrel(const Ack& a);
  void handle_pubcomp(const Ack& a);
  void handle_subscribe(Subscribe& s);
  void handle_unsubscribe(Unsubscribe& u);
  Properties suback_properties(const std::vector<uint8_t>& codes) const;
  void handle_pingreq();
  void handle_disconnect(const Disconnect& d);
  void handle_auth(const Auth& a);

  void reject_connect(uint8_t v5_reason, uint8_t v3_code, std::string_view why);
  void start_keepalive();
  void check_keepalive();
  std::optional<std::string> resolve_topic_alias(Publish& p);
  void send_ack(PacketType type, uint16_t packet_id, uint8_t reason);
  // After a subscribe is applied everywhere: SUBACK, then retained messages.
  void complete_subscribe(uint16_t packet_id, std::vector<uint8_t> codes,
                          std::vector<SessionSubscriptionRequest> accepted);
  void session_closed(bool send_will);

  // Ordered to pack: one of these per client, tens of thousands of them.
  MqttBroker& broker_;
  net::Connection& conn_;
  uint64_t generation_;
  // Keep-alive: one timer checks the time of the last packet instead of re-arming per packet.
  // It is a CoarseTimer (no allocation, shared ticker per loop): every connection has one.
  // Before CONNECT it is the connect timeout.
  std::chrono::steady_clock::time_point last_rx_;
  std::string client_id_;
  Session* session_ = nullptr;
  net::CoarseTimer keepalive_timer_;

  // What an idle client does not need, allocated on first use.
  struct Extras {
    Lazy<std::unordered_map<uint16_t, std::string>> inbound_aliases;  // v5 clients using them
    // Allocated by the first alias we assign (v5 clients that accept aliases only).
    std::unique_ptr<std::unordered_map<std::string, uint16_t>> outbound_aliases;
    // Lets posted callbacks know this handler still exists (see alive_token()).
    std::shared_ptr<bool> alive;
  };
  Extras& extras() {
    if (!extras_) extras_ = std::make_unique<Extras>();
    return *extras_;
  }
  std::unique_ptr<Extras> extras_;

  // Lets posted callbacks know this handler still exists. Created by the first callback that
  // needs it (an idle client never does), dropped by on_closed.
  std::weak_ptr<bool> alive_token();

  // Limits announced by the client (v5).
  uint32_t client_max_packet_ = 0;  // 0 = no limit
  uint16_t client_receive_max_ = 65535;
  uint16_t client_alias_max_ = 0;
  uint16_t keep_alive_ = 0;
  State state_ = State::AwaitConnect;
  Version version_ = Version::V311;
  bool normal_disconnect_ = false;
  bool counted_ = false;      // counted in the connections gauge
  bool problem_info_ = true;  // v5 request problem information
  bool closed_ = false;
};

}  // namespace unimq::mqtt
