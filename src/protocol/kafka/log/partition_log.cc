#include "protocol/kafka/log/partition_log.h"

#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "storage/record_batch.h"

namespace unimq::kafka {

namespace {
constexpr int64_t kTailRecordsScanned = 4096;  // producer state rebuilt from this many records
constexpr size_t kTailBytesScanned = 8u << 20;
// Kafka's LogAppendTime: timestamp-type attribute bit set, max timestamp = append time (what
// consumers report for every record), CRC recomputed.
void stamp_log_append_time(std::vector<uint8_t>& b, int64_t now_ms) {
  b[22] = uint8_t(b[22] | 0x08);
  for (int i = 0; i < 8; ++i) b[35 + size_t(i)] = uint8_t(uint64_t(now_ms) >> (56 - 8 * i));
  const uint32_t crc = storage::crc32c(b.data() + storage::kBatchCrcCoveredFrom,
                                       b.size() - storage::kBatchCrcCoveredFrom);
  for (int i = 0; i < 4; ++i)
    b[storage::kBatchCrcOffset + size_t(i)] = uint8_t(crc >> (24 - 8 * i));
}
}  // namespace

void PartitionLog::load_producer_state_locked() {
  producer_state_loaded_ = true;
  const int64_t end = stream_->latest_offset();
  int64_t offset = std::max(stream_->earliest_offset(), end - kTailRecordsScanned);
  while (offset < end) {
    storage::ReadResult r = stream_->read(offset, kTailBytesScanned);
    if (!r.status.ok() || r.bytes.empty()) break;
    std::span<const uint8_t> rest(r.bytes);
    while (rest.size() >= storage::kBatchHeaderSize) {
      storage::BatchHeader h;
      if (!storage::parse_batch_header(rest, h).ok() || h.total_size() > rest.size()) break;
      if (h.producer_id >= 0 && h.base_sequence >= 0)
        producers_.observe(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count,
                           h.base_offset);
      rest = rest.subspan(h.total_size());
    }
    if (r.next_offset <= offset) break;
    offset = r.next_offset;
  }
}

void PartitionLog::produce(std::span<const uint8_t> batch,
                           std::function<void(const ProduceOutcome&)> done) {
  if (!storage::validate_producer_batch(batch).ok()) {
    done({ErrorCode::kCorruptMessage});
    return;
  }
  storage::BatchHeader h;
  (void)storage::parse_batch_header(batch, h);
  const bool idempotent = h.producer_id >= 0 && h.base_sequence >= 0;
  std::unique_lock order(order_mu_, std::defer_lock);
  if (idempotent) {
    order.lock();
    ProducerStateTable::Check c;
    {
      std::lock_guard g(state_mu_);
      if (!producer_state_loaded_) load_producer_state_locked();
      c = producers_.check(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count);
    }
    switch (c.verdict) {
      case ProducerStateTable::Verdict::kAppend:
        break;
      case ProducerStateTable::Verdict::kDuplicate:
        order.unlock();
        done({ErrorCode::kNone, c.base_offset, -1, stream_->earliest_offset()});
        return;
      case ProducerStateTable::Verdict::kDuplicatePending:
        order.unlock();
        done({ErrorCode::kDuplicateSequenceNumber});
        return;
      case ProducerStateTable::Verdict::kOutOfOrder:
        order.unlock();
        done({ErrorCode::kOutOfOrderSequenceNumber});
        return;
      case ProducerStateTable::Verdict::kStaleEpoch:
        order.unlock();
        done({ErrorCode::kInvalidProducerEpoch});
        return;
    }
  }
  // Appended under order_mu_ so offsets follow sequence order (see the header). The stream
  // copies the bytes (once, into its own buffer); only LogAppendTime needs a stamped copy.
  std::vector<uint8_t> stamped;
  int64_t append_time = -1;
  if (log_append_time_.load(std::memory_order_relaxed)) {
    append_time = core::wall_ms();
    stamped.assign(batch.begin(), batch.end());
    stamp_log_append_time(stamped, append_time);
    batch = stamped;
  }
  auto self = shared_from_this();
  auto on_done = [self, h, idempotent, append_time,
                  done = std::move(done)](const storage::AppendResult& r) {
    ProduceOutcome out;
    out.error = from_storage(r.status);
    if (r.status.ok()) {
      out.base_offset = r.base_offset;
      out.log_append_time_ms = append_time;  // -1 for CreateTime topics
      out.log_start_offset = self->stream_->earliest_offset();
    } else {
      spdlog::warn("kafka: append to {} failed: {}", self->stream_->id().to_string(),
                   r.status.message);
    }
    if (idempotent) {
      std::lock_guard g(self->state_mu_);
      if (r.status.ok())
        self->producers_.completed(h.producer_id, h.producer_epoch, h.base_sequence, r.base_offset);
      else
        self->producers_.failed(h.producer_id);
    }
    done(out);
    if (r.status.ok()) self->wake_waiters();
  };
  // The CRC was checked above (and recomputed if stamped): the stream need not redo it.
  stream_->append_batch(batch, std::move(on_done), /*crc_checked=*/true);
}

uint64_t PartitionLog::add_waiter(Waiter w) {
  std::lock_guard g(waiters_mu_);
  const uint64_t t = next_token_++;
  waiters_.emplace(t, std::move(w));
  return t;
}

void PartitionLog::remove_waiter(uint64_t token) {
  std::lock_guard g(waiters_mu_);
  waiters_.erase(token);
}

void PartitionLog::wake_waiters() {
  std::map<uint64_t, Waiter> ws;
  {
    std::lock_guard g(waiters_mu_);
    if (waiters_.empty()) return;
    ws.swap(waiters_);
  }
  for (auto& [_, w] : ws) w();
}

}  // namespace unimq::kafka
