// The AMQP broker model of one process: its virtual hosts (from amqp.vhosts), recovered from
// the KV store and the journal at start-up, and a housekeeping thread for TTL expiry at the
// head of idle queues, x-expires and journal checkpoints.
//
// Usage by the session layer: broker.vhost(name) at connection.open (nullptr: 530 NOT_ALLOWED
// "NOT_ALLOWED - vhost <name> not found"), then the VirtualHost and Queue methods; call
// connection_closed(id) when a connection goes so its exclusive queues are deleted.
// Thread-safe; the broker outlives every connection (destroy it after the listeners). Call
// stop() (or destroy it) from Service::shutdown, before the storage engine closes: it writes
// the final journal checkpoints, so acked messages do not come back after a clean restart.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "protocol/amqp/broker/virtual_host.h"

namespace unimq::amqp {

struct BrokerOptions {
  std::vector<std::string> vhosts{"/"};
  uint32_t tick_ms = 100;  // housekeeping period
};

class Broker {
 public:
  // engine/kv null: memory only. Recovers every vhost before returning.
  Broker(BrokerOptions opts, storage::StorageEngine* engine, storage::KvStore* kv);
  ~Broker();  // stops housekeeping and checkpoints journals

  VirtualHost* vhost(const std::string& name) const;
  void connection_closed(uint64_t connection_id);
  // Runs one housekeeping pass now (tests).
  void tick();
  void stop();

 private:
  void housekeeping();

  BrokerOptions opts_;
  std::map<std::string, std::unique_ptr<VirtualHost>> vhosts_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// "a, b ,c" -> {"a","b","c"} (amqp.vhosts).
std::vector<std::string> split_vhosts(const std::string& csv);

}  // namespace unimq::amqp
