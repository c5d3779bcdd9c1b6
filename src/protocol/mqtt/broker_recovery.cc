// Start-up recovery: retained messages, persistent sessions (subscriptions on every index
// replica, expiry, wills, journal replay) and delayed publishes come back from the store.
#include <spdlog/spdlog.h>

#include <chrono>

#include <future>
#include "core/clock.h"

#include "net/event_loop.h"
#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/persistence/mqtt_store.h"
#include "protocol/mqtt/session/session.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

namespace {
using core::wall_ms;

// Runs fn(shard) on every shard's loop and waits for all.
void on_every_shard(MqttBroker& b, const std::function<void(Shard&)>& fn) {
  std::vector<std::future<void>> done;
  for (size_t i = 0; i < b.shard_count(); ++i) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    Shard& s = b.shard(i);
    s.loop().post([p, &s, &fn] {
      fn(s);
      p->set_value();
    });
  }
  for (auto& f : done) f.wait();
}
}  // namespace

void MqttBroker::recover() {
  if (!store_) return;
  auto started = std::chrono::steady_clock::now();
  size_t retained = 0;
  store_->load_retained([&](core::MessagePtr m) {
    if (m->expired(core::Clock::now())) return;
    retained_.put(std::move(m));
    ++retained;
  });

  struct Loaded {
    PersistedSession p;
    uint64_t id;
    uint32_t home;
  };
  std::vector<Loaded> sessions;
  for (auto& p : store_->load_sessions()) {
    uint32_t home = home_shard(p.client_id);
    sessions.push_back({std::move(p), next_session_id(), home});
  }

  // Every replica learns every subscription before any session or client can publish.
  on_every_shard(*this, [&](Shard& sh) {
    for (auto& l : sessions) {
      for (auto& [key, sub] : l.p.subscriptions) {
        sh.index_replica().add(sub.filter, sub.group, core::SubscriberRef{l.id, l.home},
                               sub.options);
      }
    }
  });

  std::atomic<size_t> replayed{0};
  on_every_shard(*this, [&](Shard& sh) {
    int64_t now = wall_ms();
    for (auto& l : sessions) {
      if (l.home != sh.index()) continue;
      Session& s = sh.create_session(l.p.client_id, l.id);
      s.version = static_cast<Version>(l.p.version);
      s.clean_start = false;
      s.set_username(l.p.username);
      s.expiry_interval = l.p.expiry_interval;
      for (auto& [key, sub] : l.p.subscriptions) (*s.subscriptions)[key] = sub;
      metrics_.subscriptions.add(static_cast<int64_t>(l.p.subscriptions.size()));
      for (auto& [stream, offset] : l.p.cursors) s.note_seen(stream, offset);
      s.counted_persistent = true;
      persistent_sessions.fetch_add(1);
      // Connected when the broker stopped: that connection ended without DISCONNECT.
      if (l.p.will) {
        s.set_will(l.p.will, l.p.will_delay);
        s.trigger_will();
      }
    }
    replayed += sh.replay_journal();
    // Expiry counts from the disconnect (or from now, for sessions connected at the crash).
    for (auto& l : sessions) {
      if (l.home != sh.index()) continue;
      Session* s = sh.find_session(l.p.client_id);
      if (!s || s->expiry_interval == Session::kNeverExpires) continue;
      int64_t since = l.p.disconnected_at_ms ? (now - l.p.disconnected_at_ms) / 1000 : 0;
      int64_t left = int64_t(s->expiry_interval) - std::max<int64_t>(since, 0);
      if (left <= 0) {
        sh.end_session(*s);
        continue;
      }
      uint64_t id = s->id();
      s->arm_expiry_after(static_cast<uint32_t>(left), [&sh, id] {
        Session* x = sh.find_session(id);
        if (x && !x->connected()) sh.end_session(*x);
      });
    }
  });

  size_t delayed = 0;
  on_every_shard(*this, [&](Shard& sh) {
    if (sh.index() != 0) return;
    store_->load_delayed([&](std::string key, int64_t due, core::MessagePtr m) {
      int64_t left_ms = std::max<int64_t>(0, due - wall_ms());
      sh.schedule_delayed(std::move(m), static_cast<uint32_t>((left_ms + 999) / 1000),
                          std::move(key));
      ++delayed;
    });
  });

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  spdlog::info(
      "recovered {} session(s), {} retained message(s), {} delayed publish(es), "
      "{} queued message(s) replayed from the journal in {} ms",
      sessions.size(), retained, delayed, replayed.load(), ms);
}

}  // namespace unimq::mqtt
