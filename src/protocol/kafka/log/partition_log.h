// One Kafka topic partition as the front end sees it: its storage stream, the idempotent
// producer state (rebuilt lazily from the stream's tail on first use), and the long-polling
// fetches waiting for new data. Thread-safe: produce from any loop serialises on the mutex;
// append callbacks (storage thread) wake the waiters, which post back to their own loops.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "protocol/kafka/error_codes.h"
#include "protocol/kafka/log/producer_state.h"
#include "storage/stream.h"

namespace unimq::kafka {

struct ProduceOutcome {
  ErrorCode error = ErrorCode::kNone;
  int64_t base_offset = -1;
  int64_t log_append_time_ms = -1;
  int64_t log_start_offset = -1;
};

class PartitionLog : public std::enable_shared_from_this<PartitionLog> {
 public:
  using Waiter = std::function<void()>;

  explicit PartitionLog(std::shared_ptr<storage::Stream> stream) : stream_(std::move(stream)) {}

  storage::Stream& stream() { return *stream_; }
  const std::shared_ptr<storage::Stream>& stream_ptr() const { return stream_; }

  // Validates and appends one producer batch; `done` runs once (possibly inline, possibly on
  // a storage thread) with the outcome.
  void produce(std::span<const uint8_t> batch, std::function<void(const ProduceOutcome&)> done);

  // message.timestamp.type=LogAppendTime: batches get the append time as their timestamp.
  void set_log_append_time(bool on) { log_append_time_.store(on, std::memory_order_relaxed); }

  // Long polling: `w` runs (on the appending thread) after the next append. Returns a token
  // for remove_waiter().
  uint64_t add_waiter(Waiter w);
  void remove_waiter(uint64_t token);

 private:
  void load_producer_state_locked();
  void wake_waiters();

  std::shared_ptr<storage::Stream> stream_;
  // order_mu_ is held across the sequence check and the append call, so offsets follow
  // sequence order; append_batch may block on storage backpressure while holding it.
  // state_mu_ guards the table and is never held across append_batch: the append callback
  // (a storage writer thread) takes only state_mu_, so it can never wait for a thread that
  // waits for it.
  std::mutex order_mu_;
  std::mutex state_mu_;
  bool producer_state_loaded_ = false;
  ProducerStateTable producers_;
  std::atomic<bool> log_append_time_{false};
  std::mutex waiters_mu_;
  uint64_t next_token_ = 1;
  std::map<uint64_t, Waiter> waiters_;
};

}  // namespace unimq::kafka
