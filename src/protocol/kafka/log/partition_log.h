// One Kafka topic partition as the front end sees it: its storage stream, the idempotent
// producer state, and the long-polling fetches waiting for new data. Thread-safe: produce
// from any loop serialises on the mutex; append callbacks (storage thread) wake the waiters,
// which post back to their own loops.
//
// Producer state, as Kafka's ProducerStateManager keeps it: loaded on the first idempotent
// produce from the last snapshot (KV store) plus the log after it, on a blocking-pool thread
// so the event loop never reads the disk; idempotent batches that arrive meanwhile wait, in
// order, and are appended once it is loaded. A snapshot is written every
// kSnapshotEveryOffsets of log and at shutdown, so a restart replays a short tail only, and
// producers are remembered however much other traffic follows them. Producers idle for
// producer.id.expiration.ms are forgotten.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "protocol/kafka/error_codes.h"
#include "protocol/kafka/log/producer_state.h"
#include "storage/record_batch.h"
#include "storage/stream.h"

namespace unimq::metrics {
class Gauge;
}
namespace unimq::net {
class BlockingPool;
}
namespace unimq::storage {
class KvStore;
}

namespace unimq::kafka {

// Shared by a broker's partitions. Every member is optional: a bare PartitionLog (unit
// tests) loads producer state inline and keeps no snapshots.
struct PartitionLogEnv {
  storage::KvStore* kv = nullptr;                // producer-state snapshots
  net::BlockingPool* loader = nullptr;           // where producer state is loaded and saved
  metrics::Gauge* producers = nullptr;           // producer ids remembered, over all partitions
  int64_t producer_id_expiration_ms = 86400000;  // Kafka's producer.id.expiration.ms
};

struct ProduceOutcome {
  ErrorCode error = ErrorCode::kNone;
  int64_t base_offset = -1;
  int64_t log_append_time_ms = -1;
  int64_t log_start_offset = -1;
};

class PartitionLog : public std::enable_shared_from_this<PartitionLog> {
 public:
  using Waiter = std::function<void()>;

  static constexpr int64_t kSnapshotEveryOffsets = 16384;
  // Without a snapshot (or far behind one) at most this much of the log is replayed.
  static constexpr int64_t kMaxReplayOffsets = 262144;

  // snapshot_key: where the producer-state snapshot lives in env->kv.
  explicit PartitionLog(std::shared_ptr<storage::Stream> stream, std::string snapshot_key = {},
                        const PartitionLogEnv* env = nullptr);
  ~PartitionLog();

  storage::Stream& stream() { return *stream_; }
  const std::shared_ptr<storage::Stream>& stream_ptr() const { return stream_; }

  // Validates and appends one producer batch; `done` runs once (possibly inline, possibly on
  // a storage thread) with the outcome.
  void produce(std::span<const uint8_t> batch, std::function<void(const ProduceOutcome&)> done);

  // message.timestamp.type=LogAppendTime: batches get the append time as their timestamp.
  void set_log_append_time(bool on) { log_append_time_.store(on, std::memory_order_relaxed); }

  // Writes the producer-state snapshot if it changed since the last one (shutdown; the
  // loader thread otherwise).
  void save_snapshot();
  // The topic is gone: forgets the producers and deletes the snapshot.
  void drop_snapshot();

  // Long polling: `w` runs (on the appending thread) after the next append. Returns a token
  // for remove_waiter().
  uint64_t add_waiter(Waiter w);
  void remove_waiter(uint64_t token);

 private:
  enum class Load { kNot, kRunning, kDone };
  struct Queued {
    std::vector<uint8_t> batch;
    std::function<void(const ProduceOutcome&)> done;
  };

  // Reads the snapshot and replays the log after it (blocking); the offset it is complete to.
  ProducerStateTable read_producer_state(int64_t& complete_to) const;
  // Loader thread: installs the state, then appends the batches that waited for it.
  void finish_load();
  // Makes a loaded state current (order_mu_ held); returns the batches that waited for it.
  std::vector<Queued> install(ProducerStateTable table, int64_t complete_to);
  // Sequence check and append of an idempotent batch; order_mu_ held, state loaded.
  void produce_idempotent(std::span<const uint8_t> batch, const storage::BatchHeader& h,
                          std::function<void(const ProduceOutcome&)> done);
  void append(std::span<const uint8_t> batch, const storage::BatchHeader& h, bool idempotent,
              std::function<void(const ProduceOutcome&)> done);
  bool keeps_snapshots() const { return env_ && env_->kv && !snapshot_key_.empty(); }
  void housekeeping_locked(int64_t now_ms);
  void maybe_snapshot_locked();
  void count_producers_locked();
  void wake_waiters();

  std::shared_ptr<storage::Stream> stream_;
  const std::string snapshot_key_;
  const PartitionLogEnv* env_;
  // order_mu_ is held across the sequence check and the append call, so offsets follow
  // sequence order; append_batch may block on storage backpressure while holding it.
  // state_mu_ guards the table and is never held across append_batch: the append callback
  // (a storage writer thread) takes only state_mu_, so it can never wait for a thread that
  // waits for it.
  std::mutex order_mu_;
  std::mutex state_mu_;
  Load load_ = Load::kNot;
  std::vector<Queued> queued_;  // idempotent batches waiting for the load, in arrival order
  ProducerStateTable producers_;
  int64_t complete_to_ = 0;       // every idempotent batch below this offset is in producers_
  int64_t snapshot_offset_ = -1;  // complete_to_ of the last snapshot written
  bool snapshot_queued_ = false;
  bool dropped_ = false;
  int64_t next_expiry_ms_ = 0;
  size_t counted_ = 0;  // producers added to env_->producers
  std::mutex snap_mu_;  // one snapshot write at a time; a drop waits for it
  std::atomic<bool> log_append_time_{false};
  std::mutex waiters_mu_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, Waiter> waiters_;
};

}  // namespace unimq::kafka
