#include "subscriber.h"

#include <utility>

#include "payload.h"
#include "protocol/mqtt/codec/encoder.h"

namespace unimq::bench {

Subscriber::Subscriber(asio::io_context& io, const Options& opt, const RunState& run, uint32_t id,
                       std::vector<std::string> filters, uint32_t publisher_count)
    : Connection(io, opt, opt.client_id_prefix + "-s" + std::to_string(id), 60, 256 * 1024),
      run_(run),
      filters_(std::move(filters)),
      next_seq_(publisher_count, 0),
      progress_(std::make_unique<std::atomic<uint64_t>[]>(publisher_count)),
      unique_per_pub_(publisher_count, 0),
      qos2_pending_(opt.qos == 2 ? 65536 : 0, 0) {}

void Subscriber::on_connected() {
  mqtt::Subscribe sub;
  sub.packet_id = 1;
  for (const auto& f : filters_) {
    mqtt::SubscribeTopic t;
    t.filter = f;
    t.qos = static_cast<uint8_t>(opt_.qos);
    sub.topics.push_back(std::move(t));
  }
  mqtt::encode(sub, version_, pending_);
  flush();
}

void Subscriber::on_packet(const mqtt::FixedHeader& h, std::span<const uint8_t> body) {
  mqtt::DecodeError err;
  if (mqtt::decode_packet(h, body, version_, scratch_, err) != mqtt::DecodeStatus::Ok)
    return fail("bad packet from broker: " + err.message);
  switch (h.type) {
    case mqtt::PacketType::Publish:
      return on_publish(std::get<mqtt::Publish>(scratch_));
    case mqtt::PacketType::Suback: {
      const auto& ack = std::get<mqtt::Suback>(scratch_);
      for (uint8_t rc : ack.reason_codes) {
        if (rc >= 0x80) return fail("subscription refused, code " + std::to_string(rc));
      }
      set_state(ConnState::Ready);
      return;
    }
    case mqtt::PacketType::Pubrel: {
      const auto& rel = std::get<mqtt::Ack>(scratch_);
      if (!qos2_pending_.empty()) qos2_pending_[rel.packet_id] = 0;
      mqtt::Ack comp;
      comp.type = mqtt::PacketType::Pubcomp;
      comp.packet_id = rel.packet_id;
      mqtt::encode(comp, version_, pending_);
      return;
    }
    default:
      return fail(std::string("unexpected ") + mqtt::packet_type_name(h.type));
  }
}

void Subscriber::on_publish(const mqtt::Publish& p) {
  const uint64_t now = now_ns();
  ++stats_.received;
  bump(received_atomic_);
  // Acknowledge first: acks are batched into one write at the end of the read batch.
  if (p.qos == 1) {
    mqtt::Ack ack;
    ack.type = mqtt::PacketType::Puback;
    ack.packet_id = p.packet_id;
    mqtt::encode(ack, version_, pending_);
  } else if (p.qos == 2) {
    const bool redelivery = !qos2_pending_.empty() && qos2_pending_[p.packet_id] != 0;
    if (!qos2_pending_.empty()) qos2_pending_[p.packet_id] = 1;
    mqtt::Ack rec;
    rec.type = mqtt::PacketType::Pubrec;
    rec.packet_id = p.packet_id;
    mqtt::encode(rec, version_, pending_);
    if (redelivery) return;  // resent before our PUBREC arrived: already counted
  }
  PayloadHeader hdr;
  if (!read_payload_header(p.payload.data(), p.payload.size(), hdr) ||
      hdr.publisher >= next_seq_.size()) {
    ++stats_.foreign;
    return;
  }
  // Per publisher and topic the broker must keep order (MQTT 4.6), so a sequence number at or
  // below the newest one seen is a duplicate; gaps are settled as loss when the run ends.
  uint64_t& next = next_seq_[hdr.publisher];
  if (hdr.seq < next) {
    ++stats_.duplicates;
    return;
  }
  next = hdr.seq + 1;
  progress_[hdr.publisher].store(next, std::memory_order_relaxed);
  ++stats_.unique;
  ++unique_per_pub_[hdr.publisher];
  if (run_.measuring()) {
    ++stats_.measured_received;
    stats_.latency_ns.record(now >= hdr.send_ns ? now - hdr.send_ns : 0);
  }
}

}  // namespace unimq::bench
