// What every AMQP connection shares: the negotiated limits and credentials from amqp.*,
// metrics, and the registry of live connections (for the shutdown close).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "app/config.h"
#include "metrics/registry.h"

namespace unimq::net {
class EventLoopGroup;
}

namespace unimq::amqp {

class AmqpConnection;
class Broker;

struct AmqpMetrics {
  explicit AmqpMetrics(metrics::Registry& r);
  metrics::Gauge& connections;
  metrics::Gauge& channels;
  metrics::Counter& published;
  metrics::Counter& delivered;
  metrics::Counter& acked;
  metrics::Counter& protocol_errors;
};

struct SessionOptions {
  std::unordered_map<std::string, std::string> users;  // user -> password
  std::unordered_set<std::string> vhosts;
  uint32_t frame_max = 131072;
  uint16_t channel_max = 2047;
  uint16_t heartbeat_s = 60;
  uint32_t handshake_timeout_ms = 10000;

  static SessionOptions from_config(const app::AmqpConfig& c);
};

class ServerContext {
 public:
  explicit ServerContext(SessionOptions opts);

  const SessionOptions& options() const { return opts_; }
  AmqpMetrics& metrics() { return metrics_; }
  // The broker model; null in tests of the handshake alone (then vhosts come from options).
  Broker* broker() const { return broker_; }
  void set_broker(Broker* b) { broker_ = b; }

  void add(AmqpConnection* c);
  void remove(AmqpConnection* c);
  size_t live_connections();
  // Sends Connection.Close 320 CONNECTION_FORCED to every connection (each on its own loop)
  // and waits up to `timeout_ms` for the loops to have done so.
  void close_all(net::EventLoopGroup& loops, uint32_t timeout_ms);

 private:
  SessionOptions opts_;
  AmqpMetrics metrics_;
  Broker* broker_ = nullptr;
  std::mutex mu_;
  std::unordered_set<AmqpConnection*> live_;
};

}  // namespace unimq::amqp
