// A virtual host: its exchanges, queues and bindings, and the operations of the AMQP exchange,
// queue and basic classes that touch them. Every operation answers like RabbitMQ (reply code
// and text in Result).
//
// Threading: all methods are thread-safe and may be called from any event loop. The topology
// (exchange and queue maps, bindings) sits behind a shared_mutex: publish() routes under the
// shared lock (many publishers at once, no global exclusive lock on the hot path), declares
// and binds take it exclusively. Message state lives in each Queue behind its own mutex, taken
// after the topology lock, never before it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/amqp/broker/exchange.h"
#include "protocol/amqp/broker/queue.h"
#include "protocol/amqp/broker/result.h"

namespace unimq::storage {
class StorageEngine;
class KvStore;
}  // namespace unimq::storage

namespace unimq::amqp {

struct ExchangeDeclare {
  std::string name;
  std::string type = "direct";
  bool passive = false, durable = false, auto_delete = false, internal = false;
  ArgTable args;
};

struct QueueDeclare {
  std::string name;  // "" = server-named amq.gen-...
  bool passive = false, durable = false, exclusive = false, auto_delete = false;
  ArgTable args;
  uint64_t connection_id = 0;  // the declaring connection (exclusive ownership)
};

struct QueueDeclareOk {
  std::string name;
  uint32_t message_count = 0;
  uint32_t consumer_count = 0;
};

struct PublishOutcome {
  Result error;           // 404 no such exchange, 403 internal exchange
  bool routed = false;    // reached at least one queue (mandatory: else basic.return)
  bool rejected = false;  // a queue refused it (x-overflow reject-publish): confirm with nack
  // true: on_stored will be called (storage thread) once every journal append completed;
  // false: it will not be called and the publish can be confirmed at once.
  bool store_pending = false;
};

class VirtualHost : public QueueOwner {
 public:
  // engine/kv null: nothing is persisted (tests, memory-only runs).
  VirtualHost(std::string name, storage::StorageEngine* engine, storage::KvStore* kv);
  ~VirtualHost() override;

  const std::string& name() const { return name_; }

  // Start-up: pre-declared exchanges, then durable topology and messages from KV + journal.
  void recover();

  Result exchange_declare(const ExchangeDeclare& d);
  Result exchange_delete(const std::string& name, bool if_unused);
  Result exchange_bind(const std::string& destination, const std::string& source,
                       const std::string& routing_key, const ArgTable& args);
  Result exchange_unbind(const std::string& destination, const std::string& source,
                         const std::string& routing_key, const ArgTable& args);

  Result queue_declare(const QueueDeclare& d, QueueDeclareOk& ok);
  Result queue_bind(const std::string& queue, const std::string& exchange,
                    const std::string& routing_key, const ArgTable& args, uint64_t connection_id);
  Result queue_unbind(const std::string& queue, const std::string& exchange,
                      const std::string& routing_key, const ArgTable& args, uint64_t connection_id);
  Result queue_purge(const std::string& queue, uint64_t connection_id, uint32_t& count);
  Result queue_delete(const std::string& queue, bool if_unused, bool if_empty,
                      uint64_t connection_id, uint32_t& count);

  // The queue for basic.consume / basic.get (404 missing, 405 exclusive to another
  // connection). Consume, get, ack and reject then go to the Queue directly.
  Result find_queue(const std::string& queue, uint64_t connection_id, QueuePtr& out);

  // basic.publish. `on_stored(ok)` is called only when outcome.store_pending.
  PublishOutcome publish(const std::string& exchange, const MessagePtr& m,
                         std::function<void(bool ok)> on_stored = {});

  // A connection closed: its exclusive queues are deleted.
  void connection_closed(uint64_t connection_id);

  // Housekeeping (TTL expiry at the head, x-expires, journal checkpoints).
  void tick(int64_t now_ms);
  void shutdown();  // final journal checkpoint

  // Whether `exchange` exists and would route `routing_key` somewhere (bus bridge check).
  bool routes(const std::string& exchange, const std::string& routing_key) const;
  // Observer for publishes into one exchange (the bus bridge); set before traffic starts.
  using PublishObserver = std::function<void(const MessagePtr&)>;
  void observe_exchange(std::string exchange, PublishObserver fn);

  // QueueOwner
  void dead_letter(Queue& q, std::vector<DeadLetter>& letters) override;
  void queue_unused(Queue& q) override;

 private:
  ExchangePtr find_exchange_locked(const std::string& name) const;
  Result check_access(const Queue& q, uint64_t connection_id) const;
  Result binding_ends_locked(const std::string& queue, const std::string& exchange,
                             uint64_t connection_id, QueuePtr& q, ExchangePtr& x) const;
  void route_locked(const ExchangePtr& x, const Message& m, std::vector<Queue*>& out) const;
  void delete_queue_locked(const QueuePtr& q);
  void maybe_auto_delete_locked(const ExchangePtr& x);
  // nullptr if a durable queue cannot open its journal (storage.max_streams).
  QueuePtr make_queue(QueueSpec spec);
  void persist_exchange(const Exchange& x, bool remove);
  void persist_queue(const Queue& q, bool remove);
  void persist_binding(const Exchange& source, const Binding& b, bool remove);
  std::string unique_queue_name() const;

  std::string name_;
  storage::StorageEngine* engine_;
  storage::KvStore* kv_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, ExchangePtr> exchanges_;
  std::unordered_map<std::string, QueuePtr> queues_;
  std::string observed_exchange_;
  PublishObserver observer_;
};

}  // namespace unimq::amqp
