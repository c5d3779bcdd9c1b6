#include "protocol/mqtt/session/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

Session::Session(Shard& shard, uint64_t id, std::string client_id)
    : shard_(shard), id_(id), client_id_(std::move(client_id)) {}

Session::~Session() {
  auto& m = shard_.broker().metrics();
  m.inflight.sub(static_cast<int64_t>(inflight_.size()));
  m.queued.sub(static_cast<int64_t>(queued_count()));
}

void Session::attach(MqttConnection* conn) { conn_ = conn; }
void Session::detach() {
  conn_ = nullptr;
  inflight_.release_if_empty();
  inbound_qos2.release_if_empty();
}

uint16_t Session::next_packet_id() {
  // Inflight never exceeds 65535 entries (send_window <= 65535), so a free id exists.
  do {
    last_packet_id_ = static_cast<uint16_t>(last_packet_id_ + 1);
    if (last_packet_id_ == 0) last_packet_id_ = 1;
  } while (inflight_.count(last_packet_id_));
  return last_packet_id_;
}

void Session::deliver(const core::MessagePtr& msg, uint8_t qos, bool retain,
                      const std::vector<uint32_t>& subscription_ids, uint64_t share_key) {
  Outbound out{msg,
               qos,
               retain,
               subscription_ids,
               msg->journal_stream,
               qos > 0 ? msg->journal_offset : -1,
               share_key};
  if (msg->journal_offset >= 0) note_seen(msg->journal_stream, msg->journal_offset + 1);
  track(out);
  if (conn_ && !queue_) {
    if (send_now(out)) return;
    if (qos == 0) {  // the connection is congested: QoS 0 is dropped, never queued
      shard_.broker().metrics().dropped_congested.inc();
      return;
    }
  } else if (!conn_ && qos == 0) {
    return;  // like Mosquitto's default: QoS 0 is not queued for offline sessions
  }
  enqueue(std::move(out));
}

std::vector<Outbound> Session::take_unfinished_shared() {
  std::vector<Outbound> out;
  auto& m = shard_.broker().metrics();
  if (!inflight_.empty()) {
    // In send order, so the next member sees them in the order this one was sent them.
    std::vector<std::pair<uint64_t, uint16_t>> order;
    for (auto& [pid, e] : *inflight_) {
      if (e.out.share_key && !e.released && e.out.msg) order.emplace_back(e.seq, pid);
    }
    std::sort(order.begin(), order.end());
    for (auto& [seq, pid] : order) {
      auto it = inflight_->find(pid);
      untrack(it->second.out);
      out.push_back(std::move(it->second.out));
      inflight_->erase(it);
      m.inflight.sub(1);
    }
  }
  if (queue_) {
    std::deque<Outbound> keep;
    for (auto& o : *queue_) {
      if (o.share_key && o.msg) {
        untrack(o);
        out.push_back(std::move(o));
        m.queued.sub(1);
      } else {
        keep.push_back(std::move(o));
      }
    }
    if (keep.empty()) {
      queue_.reset();
    } else {
      *queue_ = std::move(keep);
    }
  }
  return out;
}

void Session::enqueue(Outbound out) {
  auto& m = shard_.broker().metrics();
  size_t limit = shard_.broker().options().max_queued_messages;
  if (queued_count() >= limit) {
    m.dropped_queue_full.inc();
    if (!shard_.broker().options().drop_oldest || limit == 0) {
      untrack(out);
      return;
    }
    untrack(queue_->front());
    queue_->pop_front();
    m.queued.sub(1);
  }
  if (!queue_) queue_ = std::make_unique<std::deque<Outbound>>();
  queue_->push_back(std::move(out));
  m.queued.add(1);
}

bool Session::send_now(Outbound& out) {
  auto& m = shard_.broker().metrics();
  if (out.msg->expired(core::Clock::now())) {
    m.dropped_expired.inc();
    untrack(out);
    return true;  // consumed (dropped)
  }
  if (out.qos == 0) {
    if (conn_->congested()) return false;
    if (!conn_->send_publish(out, 0, false)) m.dropped_too_large.inc();
    return true;
  }
  if (inflight_.size() >= send_window || conn_->congested()) return false;
  uint16_t pid = next_packet_id();
  if (!conn_->send_publish(out, pid, false)) {
    m.dropped_too_large.inc();
    untrack(out);
    return true;
  }
  inflight_->emplace(pid, InflightMessage{std::move(out), false, ++send_seq_});
  m.inflight.add(1);
  return true;
}

void Session::pump() {
  auto& m = shard_.broker().metrics();
  while (conn_ && queue_) {
    Outbound& front = queue_->front();
    if (!send_now(front)) break;
    queue_->pop_front();
    m.queued.sub(1);
    if (queue_->empty()) queue_.reset();
  }
}

void Session::resend_inflight() {
  if (!conn_ || inflight_.empty()) return;  // (reading an empty Lazy would allocate it)
  std::vector<std::pair<uint64_t, uint16_t>> order;
  order.reserve(inflight_.size());
  for (auto& [pid, e] : *inflight_) order.emplace_back(e.seq, pid);
  std::sort(order.begin(), order.end());
  for (auto& [seq, pid] : order) {
    auto& e = (*inflight_)[pid];
    if (e.released) {
      conn_->send(Ack{PacketType::Pubrel, pid, 0, {}});
    } else {
      conn_->send_publish(e.out, pid, true);
    }
  }
}

void Session::on_puback(uint16_t packet_id) {
  if (inflight_.empty()) return;
  auto it = inflight_->find(packet_id);
  if (it == inflight_->end() || it->second.out.qos != 1) return;
  erase_inflight(it);
  pump();
}

void Session::erase_inflight(std::unordered_map<uint16_t, InflightMessage>::iterator it) {
  untrack(it->second.out);
  inflight_->erase(it);
  shard_.broker().metrics().inflight.sub(1);
}

void Session::track(const Outbound& out) {
  if (out.offset < 0) return;
  journal().outstanding[out.stream].insert(out.offset);
  cursors_dirty = true;
}

void Session::untrack(const Outbound& out) {
  if (out.offset < 0) return;
  if (journal_) {
    auto held = journal_->outstanding.find(out.stream);
    if (held != journal_->outstanding.end()) {
      auto it = held->second.find(out.offset);
      if (it != held->second.end()) held->second.erase(it);
    }
  }
  cursors_dirty = true;
}

void Session::note_seen(uint32_t stream, int64_t next_offset) {
  // Cursors are only stored for sessions that outlive their connection; an expiry of 0 can
  // never grow again ([MQTT-3.14.2-2]), so such sessions (most clean clients) keep none.
  if (expiry_interval == 0) return;
  Seen& seen_list = journal().seen;
  auto it = std::lower_bound(seen_list.begin(), seen_list.end(), stream,
                             [](const auto& e, uint32_t s) { return e.first < s; });
  if (it == seen_list.end() || it->first != stream) it = seen_list.insert(it, {stream, 0});
  int64_t& seen = it->second;
  if (next_offset > seen) {
    seen = next_offset;
    cursors_dirty = true;
  }
}

std::map<uint32_t, int64_t> Session::cursors() const {
  std::map<uint32_t, int64_t> out;
  if (journal_) out.insert(journal_->seen.begin(), journal_->seen.end());
  if (journal_) {
    for (auto& [stream, held] : journal_->outstanding) {
      if (!held.empty()) out[stream] = *held.begin();
    }
  }
  return out;
}

core::MessagePtr Session::stored_will() const {
  if (!wills_) return nullptr;
  if (wills_->will) return *wills_->will;
  if (wills_->pending) return *wills_->pending;
  return nullptr;
}

bool Session::on_pubrec(uint16_t packet_id, uint8_t reason) {
  if (inflight_.empty()) return false;
  auto it = inflight_->find(packet_id);
  if (it == inflight_->end() || it->second.out.qos != 2) return false;
  if (reason >= 0x80) {  // the receiver refused it: the flow ends here
    erase_inflight(it);
    pump();
    return true;
  }
  it->second.released = true;
  it->second.out.msg.reset();  // the payload is no longer needed
  return true;
}

void Session::on_pubcomp(uint16_t packet_id) {
  if (inflight_.empty()) return;
  auto it = inflight_->find(packet_id);
  if (it == inflight_->end() || !it->second.released) return;
  erase_inflight(it);
  pump();
}

const std::string& Session::username() const {
  static const std::string kNone;
  return username_ ? *username_ : kNone;
}

void Session::set_username(std::string name) {
  if (name.empty()) {
    username_.reset();
  } else {
    username_ = std::make_unique<std::string>(std::move(name));
  }
}

void Session::set_will(std::optional<core::MessagePtr> will, uint32_t delay_s) {
  if (wills_) wills_->delay = delay_s;  // a will pending from before keeps its timer
  if (will) {
    if (!wills_) wills_ = std::make_unique<Wills>();
    wills_->will = std::move(will);
    wills_->delay = delay_s;
  } else {
    clear_will();
  }
}

void Session::clear_will() {
  if (!wills_) return;
  wills_->will.reset();
  release_unused_wills();
}

void Session::release_unused_wills() {
  // Only when nothing is pending, so the timer is not armed (it may be the caller, though:
  // a Timer may be destroyed from inside its callback).
  if (wills_ && !wills_->will && !wills_->pending) wills_.reset();
}

void Session::trigger_will() {
  if (!wills_ || !wills_->will) return;
  auto will = std::move(*wills_->will);
  wills_->will.reset();
  if (wills_->delay == 0) {
    release_unused_wills();
    shard_.route(will);
    return;
  }
  wills_->pending = std::move(will);
  if (!wills_->timer) wills_->timer = std::make_unique<net::Timer>(shard_.loop());
  wills_->timer->arm(std::chrono::seconds(wills_->delay), [this] { fire_pending_will(); });
}

void Session::fire_pending_will() {
  if (!wills_) return;
  if (wills_->timer) wills_->timer->cancel();
  if (!wills_->pending) return;
  auto will = std::move(*wills_->pending);
  wills_->pending.reset();
  release_unused_wills();
  shard_.route(will);
}

void Session::cancel_pending_will() {
  if (!wills_) return;
  if (wills_->timer) wills_->timer->cancel();
  wills_->pending.reset();
  release_unused_wills();
}

void Session::arm_expiry(std::function<void()> on_expire) {
  if (expiry_interval == kNeverExpires) return;
  arm_expiry_after(expiry_interval, std::move(on_expire));
}

void Session::arm_expiry_after(uint32_t seconds, std::function<void()> on_expire) {
  if (!expiry_timer_) expiry_timer_ = std::make_unique<net::Timer>(shard_.loop());
  expiry_timer_->arm(std::chrono::seconds(seconds), std::move(on_expire));
}

void Session::cancel_expiry() {
  if (expiry_timer_) expiry_timer_->cancel();
}

}  // namespace unimq::mqtt
