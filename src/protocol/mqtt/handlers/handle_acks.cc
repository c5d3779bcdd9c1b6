// PUBACK, PUBREC, PUBREL, PUBCOMP: the QoS 1 and QoS 2 flows in both directions.
#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/session/session.h"

namespace unimq::mqtt {

void MqttConnection::handle_puback(const Ack& a) { session_->on_puback(a.packet_id); }

void MqttConnection::handle_pubrec(const Ack& a) {
  bool known = session_->on_pubrec(a.packet_id, a.reason_code);
  if (a.reason_code >= 0x80) return;  // flow ended by the receiver
  send_ack(PacketType::Pubrel, a.packet_id,
           known ? reason::Success : reason::PacketIdentifierNotFound);
}

void MqttConnection::handle_pubrel(const Ack& a) {
  bool known = session_->inbound_qos2->erase(a.packet_id) > 0;
  send_ack(PacketType::Pubcomp, a.packet_id,
           known ? reason::Success : reason::PacketIdentifierNotFound);
}

void MqttConnection::handle_pubcomp(const Ack& a) { session_->on_pubcomp(a.packet_id); }

}  // namespace unimq::mqtt
