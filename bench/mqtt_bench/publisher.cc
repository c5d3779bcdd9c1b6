#include "publisher.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "payload.h"
#include "protocol/mqtt/codec/encoder.h"

namespace unimq::bench {

namespace {
// Stop appending to the pending buffer beyond this; one write carries up to this many bytes.
constexpr size_t kBatchBytes = 64 * 1024;
constexpr uint8_t kIdFree = 0;
constexpr uint8_t kIdAwaitAck = 1;   // PUBACK (QoS 1) or PUBREC (QoS 2)
constexpr uint8_t kIdAwaitComp = 2;  // PUBCOMP (QoS 2)
}  // namespace

Publisher::Publisher(asio::io_context& io, const Options& opt, const RunState& run, uint32_t id,
                     std::string topic, double rate, uint64_t start_offset_ns)
    : Connection(io, opt, opt.client_id_prefix + "-p" + std::to_string(id), 60, 64 * 1024),
      run_(run),
      id_(id),
      rate_(rate),
      start_offset_ns_(start_offset_ns),
      id_state_(opt.qos > 0 ? 65536 : 0, kIdFree),
      pacer_(io),
      window_poll_(io) {
  tmpl_.topic = std::move(topic);
  tmpl_.qos = static_cast<uint8_t>(opt.qos);
}

void Publisher::start_publishing() {
  asio::post(io(), [this] {
    if (state() != ConnState::Ready) return;
    publishing_ = true;
    max_inflight_ = static_cast<uint32_t>(
        std::min<int>(opt_.inflight, server_receive_max_ == 0 ? 65535 : server_receive_max_));
    start_ns_ = now_ns() + start_offset_ns_;
    fill();
  });
}

void Publisher::nudge() {
  asio::post(io(), [this] { fill(); });
}

uint16_t Publisher::next_packet_id() {
  uint16_t id = last_id_;
  do {
    id = static_cast<uint16_t>(id == 65535 ? 1 : id + 1);
  } while (id_state_[id] != kIdFree);
  last_id_ = id;
  id_state_[id] = kIdAwaitAck;
  return id;
}

void Publisher::append_publish(uint64_t now) {
  tmpl_.packet_id = tmpl_.qos > 0 ? next_packet_id() : 0;
  const size_t len = static_cast<size_t>(opt_.payload);
  mqtt::encode_publish_header(tmpl_, len, version_, pending_);
  const size_t off = pending_.size();
  pending_.resize(off + len);
  write_payload_header(pending_.data() + off, PayloadHeader{now, id_, seq_});
  ++seq_;
  ++publishes_pending_;
  if (tmpl_.qos > 0) ++inflight_;
}

void Publisher::fill() {
  if (!publishing_ || closing_ || state() != ConnState::Ready) return;
  if (run_.get() >= Phase::Drain) {
    flush();
    update_idle();
    return;
  }
  const uint64_t now = now_ns();
  uint64_t allowed = UINT64_MAX;
  if (rate_ > 0) {
    allowed = now < start_ns_ ? 0 : static_cast<uint64_t>((now - start_ns_) * 1e-9 * rate_) + 1;
  }
  const uint64_t e2e_limit = end_to_end_limit();
  allowed = std::min(allowed, e2e_limit);
  const bool windowed = tmpl_.qos > 0;
  while (seq_ < allowed && pending_.size() < kBatchBytes &&
         (!windowed || inflight_ < max_inflight_)) {
    append_publish(now);
  }
  flush();
  arm_pacer();
  if (seq_ >= e2e_limit && !window_poll_armed_) {
    // Subscribers are behind: nothing local will wake us, so poll their progress.
    window_poll_armed_ = true;
    window_poll_.expires_after(std::chrono::microseconds(100));
    window_poll_.async_wait([this](const asio::error_code& ec) {
      window_poll_armed_ = false;
      if (!ec) fill();
    });
  }
}

uint64_t Publisher::end_to_end_limit() const {
  if (watchers_.empty() || e2e_window_ == 0) return UINT64_MAX;
  uint64_t slowest = UINT64_MAX;
  for (const auto* w : watchers_) slowest = std::min(slowest, w->load(std::memory_order_relaxed));
  return slowest + e2e_window_;
}

void Publisher::arm_pacer() {
  if (rate_ <= 0 || pacer_armed_ || run_.get() >= Phase::Drain) return;
  const uint64_t due = start_ns_ + static_cast<uint64_t>(static_cast<double>(seq_) * 1e9 / rate_);
  // Behind schedule means the window or the socket is the limit: an ack or a completed write
  // will call fill() again, so don't spin on the timer.
  if (due <= now_ns()) return;
  pacer_armed_ = true;
  pacer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due)));
  pacer_.async_wait([this](const asio::error_code& ec) {
    pacer_armed_ = false;
    if (!ec) fill();
  });
}

void Publisher::on_write_done(uint64_t publishes) {
  if (publishes > 0) {
    stats_.sent += publishes;
    bump(sent_atomic_, publishes);
    if (run_.measuring()) stats_.measured_sent += publishes;
  }
  fill();
  update_idle();
}

void Publisher::on_packet(const mqtt::FixedHeader& h, std::span<const uint8_t> body) {
  mqtt::DecodeError err;
  if (mqtt::decode_packet(h, body, version_, scratch_, err) != mqtt::DecodeStatus::Ok)
    return fail("bad packet from broker: " + err.message);
  const auto* ack = std::get_if<mqtt::Ack>(&scratch_);
  if (ack == nullptr) return fail(std::string("unexpected ") + mqtt::packet_type_name(h.type));
  const uint16_t id = ack->packet_id;
  if (id_state_.empty()) {
    ++stats_.unexpected_acks;
    return;
  }
  const uint8_t st = id_state_[id];
  bool done = false;
  if (h.type == mqtt::PacketType::Puback && tmpl_.qos == 1 && st == kIdAwaitAck) {
    done = true;
  } else if (h.type == mqtt::PacketType::Pubrec && tmpl_.qos == 2 && st == kIdAwaitAck) {
    if (ack->reason_code >= 0x80) {
      done = true;  // v5: broker refused the message; the flow ends here
    } else {
      id_state_[id] = kIdAwaitComp;
      mqtt::Ack rel;
      rel.type = mqtt::PacketType::Pubrel;
      rel.packet_id = id;
      mqtt::encode(rel, version_, pending_);
    }
  } else if (h.type == mqtt::PacketType::Pubcomp && st == kIdAwaitComp) {
    done = true;
  } else {
    ++stats_.unexpected_acks;
  }
  if (done) {
    id_state_[id] = kIdFree;
    --inflight_;
    ++stats_.acked;
    if (run_.measuring()) ++stats_.measured_acked;
  }
}

void Publisher::on_read_batch_done() {
  fill();  // refills the window freed by the acks just read, then flushes (incl. PUBREL)
  flush();
  update_idle();
}

void Publisher::update_idle() {
  if (run_.get() < Phase::Drain) return;
  const bool idle = inflight_ == 0 && pending_.empty() && !write_in_progress();
  idle_.store(idle, std::memory_order_relaxed);
}

}  // namespace unimq::bench
