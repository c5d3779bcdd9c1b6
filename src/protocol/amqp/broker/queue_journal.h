// Persistence of one durable queue's persistent messages: a journal stream per queue
// (StreamId{"amqp", "<vhost>/<queue>", 0}) holding one record per message (key = routing
// key, value = body, headers "e" = exchange, "p" = raw properties), and in the KV store a
// cursor (every offset below it is settled) plus the settled offsets above it, as runs.
//
// Threading: all methods except append() run under the owning queue's lock; the append
// completion runs on a storage thread and re-enters the queue (Queue::stored).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>

#include "protocol/amqp/broker/message.h"

namespace unimq::storage {
class Stream;
class KvStore;
}  // namespace unimq::storage

namespace unimq::amqp {

class Queue;

// Counts the journal appends one publish waits for; the last completion calls `done` (on a
// storage thread) and frees the object. The publisher holds one count while routing.
struct StoreWait {
  std::atomic<int> pending{1};
  std::atomic<bool> failed{false};
  std::function<void(bool ok)> done;

  void add() { pending.fetch_add(1, std::memory_order_relaxed); }
  void complete(bool ok);
};

class QueueJournal {
 public:
  QueueJournal(std::shared_ptr<storage::Stream> stream, storage::KvStore& kv, std::string kv_key);
  ~QueueJournal();

  // Under the queue lock, before append(): counts the append as pending.
  void will_append() { ++pending_; }
  // Outside the queue lock (may block on journal backpressure): appends the message for
  // queue entry `id`; Queue::stored(id, offset) follows on a storage thread. Offsets are
  // assigned in call order and completions arrive in that order.
  void append(std::weak_ptr<Queue> q, const Message& m, uint64_t id, StoreWait* wait);
  // Completion bookkeeping (under the queue lock). Returns false if the entry was settled
  // while its append was pending (it must not become live).
  bool on_stored(uint64_t id, int64_t offset);
  // The entry left the queue for good (acked, dropped, dead-lettered, purged).
  void settle_offset(int64_t offset);
  void settle_pending(uint64_t id);
  // Recovery bookkeeping: `offset` is live in the queue again.
  void restored(int64_t offset) { live_.insert(offset); }

  // Writes the cursor and the settled set if they changed, and trims the stream below the
  // cursor. Called by housekeeping and at shutdown (under the queue lock).
  void checkpoint(bool sync);

  // Reads every unsettled record back (start-up, before the queue is shared).
  // fn(message, offset, publish time in wall-clock ms).
  void recover(const std::function<void(MessagePtr, int64_t offset, int64_t ts_ms)>& fn);

  // Removes the stream's records and the KV state (queue deleted).
  std::shared_ptr<storage::Stream> stream() const { return stream_; }
  const std::string& kv_key() const { return kv_key_; }

 private:
  std::shared_ptr<storage::Stream> stream_;
  storage::KvStore& kv_;
  std::string kv_key_;
  std::set<int64_t> live_;     // offsets still in the queue (ready or unacked)
  std::set<int64_t> settled_;  // settled offsets above the cursor
  std::unordered_set<uint64_t> settled_while_pending_;
  int64_t highest_stored_ = -1;
  int64_t cursor_ = 0;  // last persisted cursor
  int pending_ = 0;
  bool dirty_ = false;
};

}  // namespace unimq::amqp
