// A queue: ready messages in order, unacked deliveries, consumers, and the queue arguments
// (TTL, expiry, length limits, dead-lettering).
//
// Threading: every public method is thread-safe. State is guarded by one mutex per queue
// (queues are independent, so publishers to different queues never contend; there is no
// global lock on publish). Dispatch runs on the thread that made a message deliverable
// (publish, ack, consume, tick) but only one thread dispatches a queue at a time and calls
// Consumer::deliver() outside the lock, so deliveries stay in order. Dead-letters and
// auto-delete are handed to the QueueOwner (the VirtualHost) after the lock is released.
// Lock order: VirtualHost topology lock -> Queue lock; never the reverse.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/amqp/broker/consumer.h"
#include "protocol/amqp/broker/field_table.h"
#include "protocol/amqp/broker/message.h"
#include "protocol/amqp/broker/result.h"

namespace unimq::amqp {

class Queue;
class QueueJournal;
struct StoreWait;

enum class DeathReason : uint8_t { Rejected, Expired, MaxLen };
const char* death_reason_name(DeathReason r);

struct DeadLetter {
  MessagePtr message;
  DeathReason reason;
};

// Implemented by the VirtualHost. Called without any queue lock held.
class QueueOwner {
 public:
  virtual ~QueueOwner() = default;
  virtual void dead_letter(Queue& q, std::vector<DeadLetter>& letters) = 0;
  // Auto-delete: the last consumer went away.
  virtual void queue_unused(Queue& q) = 0;
};

// Queue arguments, validated as RabbitMQ does (406 PRECONDITION_FAILED on a bad value).
struct QueueSettings {
  std::optional<int64_t> message_ttl_ms;    // x-message-ttl
  std::optional<int64_t> expires_ms;        // x-expires
  std::optional<int64_t> max_length;        // x-max-length
  std::optional<int64_t> max_length_bytes;  // x-max-length-bytes
  bool reject_publish = false;              // x-overflow reject-publish(-dlx)
  bool reject_publish_dlx = false;
  std::optional<std::string> dead_letter_exchange;     // x-dead-letter-exchange
  std::optional<std::string> dead_letter_routing_key;  // x-dead-letter-routing-key
  bool single_active_consumer = false;                 // x-single-active-consumer
  std::optional<uint8_t> max_priority;                 // x-max-priority (priority queue)
};
Result parse_queue_settings(const ArgTable& args, QueueSettings& out);

struct QueueSpec {
  std::string vhost;
  std::string name;
  bool durable = false;
  bool exclusive = false;
  uint64_t owner_connection = 0;  // exclusive queues: the declaring connection
  bool auto_delete = false;
  ArgTable args;
  QueueSettings settings;
};

class Queue : public std::enable_shared_from_this<Queue> {
 public:
  Queue(QueueOwner* owner, QueueSpec spec);
  ~Queue();

  const std::string& name() const { return spec_.name; }
  const QueueSpec& spec() const { return spec_; }
  bool durable() const { return spec_.durable; }
  bool exclusive() const { return spec_.exclusive; }
  uint64_t owner_connection() const { return spec_.owner_connection; }

  uint32_t message_count() const;  // ready messages (what declare-ok reports)
  uint32_t consumer_count() const;

  enum class Enqueue { Ok, Rejected, Deleted };
  // Publish path. `wait` (may be null) counts journal appends still to complete.
  Enqueue enqueue(const MessagePtr& m, StoreWait* wait);

  // 403 if the queue has an exclusive consumer, or one is asked while others exist.
  Result consume(std::shared_ptr<Consumer> c, ConsumeOptions o);
  // Stops deliveries to `c`; its unacked deliveries stay unacked until acked/rejected.
  // Returns false if `c` was not consuming. May auto-delete the queue.
  bool cancel(const Consumer* c);

  struct Got {
    Delivery delivery;
    uint32_t message_count = 0;  // ready messages left
  };
  // basic.get; nullopt when empty.
  std::optional<Got> get(bool no_ack);

  void ack(uint64_t id) { ack(std::span<const uint64_t>(&id, 1)); }
  void ack(std::span<const uint64_t> ids);
  // requeue: back to its original position, redelivered; else dead-lettered or dropped.
  void reject(std::span<const uint64_t> ids, bool requeue);
  // Delivers what consumers can take now (call after Consumer::ready() turns true).
  void dispatch();

  uint32_t purge();  // drops ready messages, returns how many
  // Deletion: cancels consumers (Consumer::cancelled), drops messages; returns the ready count.
  uint32_t mark_deleted();
  bool deleted() const { return deleted_.load(std::memory_order_acquire); }

  // Housekeeping: expires TTL'd heads. Returns true when x-expires says the queue is unused
  // long enough to be deleted.
  bool tick(int64_t now_ms);
  void touch();  // a declare/get/consume: resets the x-expires clock

  // Durability (durable queues only): set before the queue is shared.
  void attach_journal(std::unique_ptr<QueueJournal> j);
  QueueJournal* journal() const { return journal_.get(); }
  // Recovery: appends a message read back from the journal at `offset`. It comes back with
  // redelivered=true: whether it was delivered before a crash is not recorded per message,
  // and the flag means "may have been delivered before" (a false "no" would be the error).
  // `age_ms`: how long ago it was published (TTLs keep counting across a restart).
  void restore(const MessagePtr& m, int64_t offset, int64_t age_ms);
  // Recovery done (every message restored, the vhost's topology back, no lock held): applies
  // x-max-length / x-max-length-bytes to what came back, dropping (and dead-lettering, reason
  // maxlen) the oldest. Whatever x-overflow says: RabbitMQ applies the limits at queue start
  // before it reads x-overflow, so even a reject-publish queue is trimmed by drop-head here.
  void recovered();
  // Persists the journal cursor now (shutdown).
  void checkpoint();
  // Journal completion for entry `id` (storage thread).
  void stored(uint64_t id, int64_t offset);

 private:
  struct Entry {
    MessagePtr msg;
    uint64_t id = 0;
    int64_t offset = -1;     // journal offset; -1 none, -2 append pending
    int64_t expires_at = 0;  // steady ms; 0 = never
    bool redelivered = false;
    uint8_t priority = 0;  // x-max-priority queues: min(message priority, max)
  };
  struct ConsumerRec {
    std::shared_ptr<Consumer> c;
    ConsumeOptions o;
    uint32_t in_flight = 0;
    int64_t priority = 0;  // x-priority; consumers_ is sorted by it, highest first
  };
  struct Unacked {
    Entry e;
    const Consumer* by = nullptr;  // null for basic.get
  };
  struct Out {
    std::shared_ptr<Consumer> c;
    Delivery d;
  };

  int64_t expiry_for(const Message& m, int64_t now) const;
  // Under mu_: moves deliverable heads into `out`, expired heads into `dead`.
  void collect(std::vector<Out>& out, std::vector<DeadLetter>& dead, int64_t now);
  void drop_expired_heads(std::vector<DeadLetter>& dead, int64_t now);
  void enforce_limits(std::vector<DeadLetter>& dead);
  void settle(const Entry& e);
  // Ready-list order: publish order, or priority first then publish order.
  bool before(const Entry& a, const Entry& b) const {
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.id < b.id;
  }
  void push_ready(Entry e);  // the entry leaves the queue for good (journal ack)
  // `now`: the publish instant when known (a TTL of 0 then still reaches a ready consumer).
  void run_dispatch(std::unique_lock<std::mutex>& lk, std::vector<DeadLetter>& dead,
                    int64_t now = 0);
  void finish(std::vector<DeadLetter>& dead);  // outside the lock

  QueueOwner* owner_;
  const QueueSpec spec_;
  mutable std::mutex mu_;
  std::deque<Entry> ready_;
  uint64_t ready_bytes_ = 0;
  std::unordered_map<uint64_t, Unacked> unacked_;
  std::vector<ConsumerRec> consumers_;
  size_t rr_ = 0;
  uint64_t next_id_ = 1;
  bool dispatching_ = false;
  bool dispatch_again_ = false;
  bool had_consumer_ = false;
  int64_t last_used_ms_ = 0;
  std::atomic<bool> deleted_{false};
  std::unique_ptr<QueueJournal> journal_;
};

}  // namespace unimq::amqp
