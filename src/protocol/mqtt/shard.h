// One shard of the MQTT broker: the sessions homed on one event loop, that loop's replica of
// the subscription index, and its delayed-publish timers. Only its loop's thread touches it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/subscription_index.h"
#include "protocol/mqtt/delivery.h"
#include "protocol/mqtt/session_table.h"

namespace unimq::net {
class EventLoop;
class Timer;
}  // namespace unimq::net

namespace unimq::mqtt {

class MqttBroker;
class Session;

class Shard {
 public:
  Shard(MqttBroker& broker, net::EventLoop& loop, uint32_t index);
  ~Shard();

  uint32_t index() const { return index_; }
  net::EventLoop& loop() { return loop_; }
  MqttBroker& broker() { return broker_; }
  core::SubscriptionIndex& index_replica() { return subs_; }

  Session* find_session(const std::string& client_id);
  Session* find_session(uint64_t session_id);
  Session& create_session(const std::string& client_id, uint64_t id = 0);
  // Ends a session: drops its subscriptions on every shard, fires a pending will.
  void end_session(Session& s);
  const SessionTable& sessions() const { return sessions_; }

  // Routes a message published on this shard to every matching session on every shard, and
  // offers it to the other protocols through the bus (unless its topic starts with '$').
  void route(const core::MessagePtr& msg);
  // Routes a message that came from another protocol (Kafka, AMQP): MQTT subscribers only.
  void route_from_bus(const core::MessagePtr& msg) { route_local(msg); }
  // Matches and delivers on every shard (route() without the bus).
  void route_local(const core::MessagePtr& msg);
  // Delivers a batch routed from another shard.
  void deliver_batch(const core::MessagePtr& msg, const std::vector<Delivery>& batch);

  // Holds a publish for `delay_s` seconds, then routes it (delayed publish). Persisted
  // (unless store_key is given: it is already stored under that key).
  void schedule_delayed(core::MessagePtr msg, uint32_t delay_s, std::string store_key = {});

  // Persistence (no-ops without a store): see shard_persistence.cc.
  void persist_session(Session& s);  // writes or (expiry 0) deletes the session record
  void start_persistence();          // periodic watermarks and cursor writes
  void stop_persistence();           // last cursor write
  void apply_watermark(uint32_t stream, int64_t next_offset);
  void save_dirty_cursors();
  // Recovery: replays journaled messages at or after each local session's cursor.
  size_t replay_journal();

  // Runs fn on this shard's loop; callable from any thread (journal append completions).
  // Completions that arrive while one task is pending join it, so their PUBACKs and
  // deliveries leave in one write per connection instead of one syscall per message.
  void complete_from_storage(std::function<void()> fn);

  // Sends DISCONNECT (server shutting down) to every connected client and closes them.
  void close_all_connections();

 private:
  void deliver_local(const core::MessagePtr& msg, const Delivery& d);
  // Gives a share-group message whose member (d.session_id) is gone to another member.
  void pass_to_other_member(const core::MessagePtr& msg, Delivery d);

  MqttBroker& broker_;
  net::EventLoop& loop_;
  uint32_t index_;
  core::SubscriptionIndex subs_;
  SessionTable sessions_;
  std::vector<std::unique_ptr<Session>> ended_;  // destroyed by a task posted by end_session
  std::vector<core::Match> match_scratch_;
  std::vector<std::vector<Delivery>> outbox_;  // per target shard, reused across publishes
  std::unordered_map<uint64_t, std::unique_ptr<net::Timer>> delayed_;
  uint64_t next_delayed_ = 0;
  int64_t routed_next_ = 0;  // own journal stream: every offset below was routed
  std::unique_ptr<net::Timer> persist_timer_;
  void run_completions();
  std::mutex completions_mu_;
  std::vector<std::function<void()>> completions_;  // guarded by completions_mu_
  std::vector<std::function<void()>> running_;      // loop thread only (reused capacity)
};

}  // namespace unimq::mqtt
