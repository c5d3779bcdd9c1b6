// The shard's side of persistence: session records, journal watermarks and cursors, and the
// journal replay at start-up. Without a store every function here is a no-op.
#include <spdlog/spdlog.h>

#include <chrono>

#include "core/clock.h"
#include "core/topic.h"
#include "net/event_loop.h"
#include "net/timer.h"
#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/persistence/message_record.h"
#include "protocol/mqtt/persistence/mqtt_store.h"
#include "protocol/mqtt/session/session.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

namespace {
constexpr auto kPersistPeriod = std::chrono::milliseconds(200);
constexpr size_t kReplayChunk = 1 << 20;
}  // namespace

void Shard::persist_session(Session& s) {
  MqttStore* store = broker_.store();
  if (!store) return;
  if (s.expiry_interval == 0) {
    store->delete_session(s.client_id());
    return;
  }
  PersistedSession p;
  p.client_id = s.client_id();
  p.version = static_cast<int>(s.version);
  p.expiry_interval = s.expiry_interval;
  p.disconnected_at_ms = s.connected() ? 0 : core::wall_ms();
  p.username = s.username();
  for (auto& [key, sub] : s.subscriptions) p.subscriptions.emplace_back(key, sub);
  p.will = s.stored_will();
  p.will_delay = s.will_delay();
  p.cursors = s.cursors();
  store->save_session(p);
  s.cursors_dirty = false;
}

void Shard::start_persistence() {
  if (!broker_.store()) return;
  persist_timer_ = std::make_unique<net::Timer>(loop_);
  persist_timer_->arm(kPersistPeriod, [this] {
    // Posts are FIFO per poster: when a shard runs this watermark, every delivery routed
    // from our stream below routed_next_ has already been applied there.
    uint32_t stream = index_;
    int64_t next = routed_next_;
    for (size_t i = 0; i < broker_.shard_count(); ++i) {
      Shard& target = broker_.shard(i);
      target.loop().post([&target, stream, next] { target.apply_watermark(stream, next); });
    }
    save_dirty_cursors();
    start_persistence();
  });
}

void Shard::stop_persistence() {
  if (persist_timer_) persist_timer_->cancel();
  persist_timer_.reset();
  save_dirty_cursors();
}

void Shard::apply_watermark(uint32_t stream, int64_t next_offset) {
  for (Session* s : sessions_) s->note_seen(stream, next_offset);
}

void Shard::save_dirty_cursors() {
  MqttStore* store = broker_.store();
  if (!store) return;
  std::vector<std::pair<std::string, Cursors>> batch;
  for (Session* s : sessions_) {
    if (!s->cursors_dirty || s->expiry_interval == 0) continue;
    batch.emplace_back(s->client_id(), s->cursors());
    s->cursors_dirty = false;
  }
  if (!batch.empty()) store->save_cursors(batch);
}

size_t Shard::replay_journal() {
  MqttStore* store = broker_.store();
  if (!store || sessions_.empty()) return 0;
  struct Target {
    Session* session;
    Cursors from;
  };
  std::vector<Target> targets;
  for (Session* s : sessions_) targets.push_back({s, s->cursors()});
  size_t replayed = 0;
  std::vector<storage::Record> records;
  std::vector<uint32_t> ids;
  for (uint32_t j = 0; j < store->stream_count(); ++j) {
    storage::Stream& stream = store->stream(j);
    int64_t from = stream.latest_offset();
    for (auto& t : targets) {
      auto it = t.from.find(j);
      from = std::min(from, it == t.from.end() ? stream.earliest_offset() : it->second);
    }
    from = std::max(from, stream.earliest_offset());
    while (from < stream.latest_offset()) {
      records.clear();
      storage::Status st = stream.read_records(from, kReplayChunk, records);
      if (!st.ok() || records.empty()) {
        if (!st.ok()) spdlog::warn("replay of stream {} at {}: {}", j, from, st.message);
        break;
      }
      for (auto& rec : records) {
        auto built = from_record(rec);
        if (!built) continue;
        auto msg = std::const_pointer_cast<core::Message>(built);
        msg->journal_stream = j;
        msg->journal_offset = rec.offset;
        for (auto& t : targets) {
          auto it = t.from.find(j);
          if (it != t.from.end() && rec.offset < it->second) continue;
          // Shared subscriptions are not replayed: a group's pick is not recorded.
          uint8_t qos = 0;
          bool any = false;
          ids.clear();
          for (auto& [key, sub] : t.session->subscriptions) {
            if (!sub.group.empty() || !core::topic_matches(sub.filter, msg->topic)) continue;
            qos = std::max<uint8_t>(qos, std::min(msg->qos, sub.options.qos));
            if (sub.options.subscription_id) ids.push_back(sub.options.subscription_id);
            any = true;
          }
          if (!any) continue;
          t.session->deliver(msg, qos, false, ids);
          ++replayed;
        }
      }
      from = records.back().offset + 1;
    }
    for (auto& t : targets) t.session->note_seen(j, stream.latest_offset());
  }
  return replayed;
}

}  // namespace unimq::mqtt
