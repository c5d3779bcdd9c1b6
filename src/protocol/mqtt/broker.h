// The MQTT broker: one Shard per event loop, the shared retained store, the handler factory
// for listeners, $SYS publishing and graceful shutdown.
//
// Threading: a connection is accepted on any loop; once its CONNECT is read it moves to the
// home shard of its client id (hash % shards), where its session lives. Publishing matches
// the publisher's shard replica of the subscription index (no lock) and hands deliveries for
// other shards over in one post per shard. Subscribes are applied to every replica before
// SUBACK is sent, so a message published after SUBACK always reaches the new subscription.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/bus.h"
#include "core/retained_store.h"
#include "core/subscription_index.h"
#include "protocol/mqtt/mqtt_metrics.h"
#include "protocol/mqtt/options.h"

namespace unimq::net {
class EventLoopGroup;
class Connection;
class ConnectionHandler;
class Timer;
}  // namespace unimq::net

namespace unimq::mqtt {

class Shard;
class MqttStore;

struct ClientSnapshot {
  std::string client_id, peer, username;
  int protocol_version = 4;
  bool connected = false;
  bool clean_start = true;
  uint32_t session_expiry = 0;
  uint16_t keep_alive = 0;
  size_t subscriptions = 0, inflight = 0, queued = 0;
  int64_t connected_at_ms = 0;
};

struct SubscriptionSnapshot {
  std::string client_id, filter, group;
  core::SubscriptionOptions options;
};

// Also the MQTT end of the cross-protocol bus (core/bus.h): what Kafka and AMQP publish into
// the bus reaches MQTT subscribers of the same topic.
class MqttBroker final : public core::BusSink {
 public:
  MqttBroker(net::EventLoopGroup& loops, MqttOptions opts);
  ~MqttBroker();

  // Handler factory for TCP and WebSocket listeners.
  std::unique_ptr<net::ConnectionHandler> make_handler(net::Connection& conn);
  void start();  // $SYS timer
  // Disconnects every client (v5: reason 0x8B) and waits up to `grace` for the flush.
  // Call from a non-loop thread.
  void shutdown(std::chrono::milliseconds grace);

  const MqttOptions& options() const { return opts_; }
  size_t shard_count() const { return shards_.size(); }
  Shard& shard(size_t i) { return *shards_[i]; }
  Shard& current_shard();  // the shard of the calling loop thread
  uint32_t home_shard(const std::string& client_id) const;
  core::RetainedStore& retained() { return retained_; }
  MqttMetrics& metrics() { return metrics_; }
  uint64_t next_session_id() { return session_ids_.fetch_add(1) + 1; }
  bool shutting_down() const { return shutting_down_.load(); }

  // Cross-protocol routing (optional): set before start(). Client publishes are offered to the
  // bus; on_bus_message routes the other protocols' messages on the calling loop's shard.
  void attach_bus(core::Bus* bus) { bus_ = bus; }
  const core::Bus* bus() const { return bus_; }
  void on_bus_message(const core::MessagePtr& m, core::Origin origin) override;
  bool wants(std::string_view topic) const override;

  // Persistence (optional): set before start(); recover() loads what the store holds.
  void attach_store(MqttStore* store) { store_ = store; }
  MqttStore* store() const { return store_; }
  // Loads retained messages, sessions (with their subscriptions and journal replay) and
  // delayed publishes. Call after the loops run and before the listeners start.
  void recover();
  // Sessions that outlive their connection; while there are none, QoS 1/2 publishes skip the
  // journal (nothing could need them after a restart).
  std::atomic<int64_t> persistent_sessions{0};

  // Runs fn on every shard's loop (the caller's shard first, inline), then `done` back on
  // the caller's loop once all have run. Must be called from a loop thread.
  void for_each_shard(std::function<void(Shard&)> fn, std::function<void()> done);

  // Admin snapshots; callable from any non-loop thread (blocks briefly).
  std::vector<ClientSnapshot> clients();
  std::vector<SubscriptionSnapshot> subscriptions();
  int64_t started_at_ms() const { return started_at_ms_; }

 private:
  void publish_sys();

  net::EventLoopGroup& loops_;
  MqttOptions opts_;
  MqttMetrics metrics_;  // before shards_: sessions update gauges when destroyed
  core::RetainedStore retained_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> session_ids_{0};
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<net::Timer> sys_timer_;
  MqttStore* store_ = nullptr;
  core::Bus* bus_ = nullptr;
  int64_t started_at_ms_ = 0;
};

}  // namespace unimq::mqtt
