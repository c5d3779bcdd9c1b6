// PINGREQ, DISCONNECT and AUTH.
#include <spdlog/spdlog.h>

#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/session/session.h"

namespace unimq::mqtt {

void MqttConnection::handle_pingreq() { send(Pingresp{}); }

void MqttConnection::handle_disconnect(const Disconnect& d) {
  if (d.props.session_expiry_interval) {
    // [MQTT-3.14.2-2]: a session that was to end at disconnect cannot be made persistent now.
    if (session_->expiry_interval == 0 && *d.props.session_expiry_interval != 0) {
      return fail(reason::ProtocolError, "session expiry set at DISCONNECT after 0 at CONNECT");
    }
    session_->expiry_interval = *d.props.session_expiry_interval;
  }
  normal_disconnect_ = d.reason_code != reason::DisconnectWithWill;
  spdlog::debug("client_id={} DISCONNECT reason 0x{:02x}", client_id_, d.reason_code);
  state_ = State::Closing;
  conn_.close();
  // The session ends (or goes offline) now, not when the socket is closed: a reconnect
  // already waiting on another connection must see the outcome of this DISCONNECT.
  if (session_) session_closed(!normal_disconnect_);
}

void MqttConnection::handle_auth(const Auth&) {
  fail(reason::ProtocolError, "AUTH without an authentication method");
}

}  // namespace unimq::mqtt
