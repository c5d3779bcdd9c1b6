#include "protocol/mqtt/shard.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/clock.h"
#include "net/event_loop.h"
#include "net/timer.h"
#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/persistence/mqtt_store.h"
#include "protocol/mqtt/session/session.h"

namespace unimq::mqtt {

Shard::Shard(MqttBroker& broker, net::EventLoop& loop, uint32_t index)
    : broker_(broker),
      loop_(loop),
      index_(index),
      subs_(broker.options().shared_strategy, 0x9E3779B97F4A7C15ull * (index + 1)) {}

Shard::~Shard() = default;

Session* Shard::find_session(const std::string& client_id) {
  return sessions_.find(std::string_view(client_id));
}

Session* Shard::find_session(uint64_t session_id) { return sessions_.find(session_id); }

Session& Shard::create_session(const std::string& client_id, uint64_t id) {
  auto s = std::make_unique<Session>(*this, id ? id : broker_.next_session_id(), client_id);
  Session& ref = sessions_.insert(std::move(s));
  broker_.metrics().sessions.add(1);
  return ref;
}

void Shard::end_session(Session& s) {
  s.fire_pending_will();
  s.cancel_expiry();
  uint64_t id = s.id();
  if (s.counted_persistent) {
    broker_.persistent_sessions.fetch_sub(1);
    s.counted_persistent = false;
  }
  if (broker_.store()) broker_.store()->delete_session(s.client_id());
  broker_.metrics().subscriptions.sub(static_cast<int64_t>(s.subscriptions.size()));
  broker_.metrics().sessions.sub(1);
  // What the session was given from share groups and its client did not finish goes to
  // another member of each group ([MQTT-4.8.2]: "SHOULD send the Application Message to
  // another Client that is subscribed to the same Shared Subscription").
  // (The next member's QoS, retain flag and subscription id come from its own subscription.)
  for (Outbound& o : s.take_unfinished_shared()) {
    pass_to_other_member(o.msg, Delivery{id, 0, false, {}, o.share_key, 0});
  }
  broker_.for_each_shard([id](Shard& sh) { sh.index_replica().remove_all(id); }, [] {});
  std::unique_ptr<Session> owned = sessions_.erase(s);
  if (!owned) return;
  // Destroy later: we may be inside one of the session's own timer callbacks. The shard keeps
  // it meanwhile (a posted task owning it would, if the loop stops first, destroy it from the
  // io_context's destructor, after the broker the session's destructor reports to).
  ended_.push_back(std::move(owned));
  if (ended_.size() == 1) {  // one cleanup task per batch of ended sessions
    loop_.post([this] {
      auto doomed = std::move(ended_);
      ended_.clear();
    });
  }
}

void Shard::route(const core::MessagePtr& msg) {
  route_local(msg);
  if (const core::Bus* bus = broker_.bus(); bus && !msg->topic.starts_with('$'))
    bus->publish(msg, core::Origin::Mqtt);
}

void Shard::route_local(const core::MessagePtr& msg) {
  if (msg->retain && broker_.options().retain_available) {
    broker_.retained().put(msg);
    if (broker_.store()) broker_.store()->put_retained(*msg);
  }
  if (msg->journal_offset >= 0 && msg->journal_stream == index_) {
    routed_next_ = std::max(routed_next_, msg->journal_offset + 1);
  }
  match_scratch_.clear();
  subs_.match(msg->topic, core::MatchContext{msg->origin_client}, match_scratch_);
  if (match_scratch_.empty()) return;
  std::sort(match_scratch_.begin(), match_scratch_.end(),
            [](const core::Match& a, const core::Match& b) {
              return a.subscriber.session_id < b.subscriber.session_id;
            });
  if (outbox_.size() != broker_.shard_count()) outbox_.resize(broker_.shard_count());

  auto dispatch = [&](Delivery&& d, uint32_t shard) {
    if (shard == index_) {
      deliver_local(msg, d);
    } else {
      outbox_[shard].push_back(std::move(d));
    }
  };

  // One delivery per session for its plain subscriptions (highest QoS, every subscription
  // identifier), and one per shared-group pick.
  size_t i = 0;
  while (i < match_scratch_.size()) {
    uint64_t sid = match_scratch_[i].subscriber.session_id;
    uint32_t shard = match_scratch_[i].subscriber.shard;
    Delivery merged;
    merged.session_id = sid;
    bool any = false;
    for (; i < match_scratch_.size() && match_scratch_[i].subscriber.session_id == sid; ++i) {
      const core::Match& m = match_scratch_[i];
      uint8_t qos = std::min(msg->qos, m.options.qos);
      bool retain = msg->retain && m.options.retain_as_published;
      if (m.shared) {
        Delivery d{sid, qos, retain, {}, m.share_key, 0};
        if (m.options.subscription_id) d.subscription_ids.push_back(m.options.subscription_id);
        dispatch(std::move(d), shard);
        continue;
      }
      if (m.options.no_local && msg->origin_session == sid) continue;
      merged.qos = any ? std::max(merged.qos, qos) : qos;
      merged.retain = merged.retain || retain;
      if (m.options.subscription_id) merged.subscription_ids.push_back(m.options.subscription_id);
      any = true;
    }
    if (any) dispatch(std::move(merged), shard);
  }

  for (uint32_t s = 0; s < outbox_.size(); ++s) {
    if (outbox_[s].empty()) continue;
    auto batch = std::move(outbox_[s]);
    outbox_[s].clear();
    Shard& target = broker_.shard(s);
    target.loop().post(
        [&target, msg, batch = std::move(batch)] { target.deliver_batch(msg, batch); });
  }
}

void Shard::deliver_batch(const core::MessagePtr& msg, const std::vector<Delivery>& batch) {
  for (const auto& d : batch) deliver_local(msg, d);
}

void Shard::deliver_local(const core::MessagePtr& msg, const Delivery& d) {
  Session* s = find_session(d.session_id);
  if (s) {
    s->deliver(msg, d.qos, d.retain, d.subscription_ids, d.share_key);
  } else if (d.share_key) {
    // The chosen member ended while the message was on its way (it was picked on a shard
    // that had not yet applied the member's removal).
    pass_to_other_member(msg, d);
  }
}

void Shard::pass_to_other_member(const core::MessagePtr& msg, Delivery d) {
  constexpr uint8_t kMaxHops = 4;  // each hop skips one gone member; a group rarely loses more
  if (d.hops >= kMaxHops) {
    spdlog::debug("shared message on {} dropped: no live member after {} tries", msg->topic,
                  d.hops);
    return;
  }
  core::Match m;
  if (!subs_.pick_shared(msg->topic, d.share_key, d.session_id,
                         core::MatchContext{msg->origin_client}, m)) {
    return;  // no other member: like any message matching no subscription
  }
  Delivery next{m.subscriber.session_id,
                std::min(msg->qos, m.options.qos),
                msg->retain && m.options.retain_as_published,
                {},
                d.share_key,
                static_cast<uint8_t>(d.hops + 1)};
  if (m.options.subscription_id) next.subscription_ids.push_back(m.options.subscription_id);
  if (m.subscriber.shard == index_) {
    deliver_local(msg, next);
    return;
  }
  Shard& target = broker_.shard(m.subscriber.shard);
  target.loop().post([&target, msg, next = std::move(next)] { target.deliver_local(msg, next); });
}

void Shard::schedule_delayed(core::MessagePtr msg, uint32_t delay_s, std::string store_key) {
  uint64_t id = ++next_delayed_;
  if (store_key.empty() && broker_.store()) {
    auto due = core::wall_ms() + int64_t(delay_s) * 1000;
    store_key = broker_.store()->put_delayed(due, *msg);
  }
  auto timer = std::make_unique<net::Timer>(loop_);
  timer->arm(std::chrono::seconds(delay_s), [this, id, msg = std::move(msg), store_key] {
    route(msg);
    if (!store_key.empty() && broker_.store()) broker_.store()->delete_delayed(store_key);
    loop_.post([this, id] { delayed_.erase(id); });
  });
  delayed_[id] = std::move(timer);
  broker_.metrics().delayed_scheduled.inc();
}

void Shard::complete_from_storage(std::function<void()> fn) {
  bool first;
  {
    std::lock_guard<std::mutex> lock(completions_mu_);
    first = completions_.empty();
    completions_.push_back(std::move(fn));
  }
  if (first) loop_.post([this] { run_completions(); });
}

void Shard::run_completions() {
  {
    std::lock_guard<std::mutex> lock(completions_mu_);
    running_.swap(completions_);
  }
  for (auto& fn : running_) fn();
  running_.clear();
}

void Shard::close_all_connections() {
  std::vector<MqttConnection*> conns;
  for (Session* s : sessions_) {
    if (s->connection()) conns.push_back(s->connection());
  }
  for (auto* c : conns) c->kick(reason::ServerShuttingDown, "server shutting down");
  delayed_.clear();
}

}  // namespace unimq::mqtt
