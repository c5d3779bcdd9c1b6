#include "protocol/kafka/log/partition_log.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "core/clock.h"
#include "metrics/registry.h"
#include "net/blocking_pool.h"
#include "storage/kv_store.h"
#include "storage/record_batch.h"

namespace unimq::kafka {

namespace {
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
constexpr size_t kReplayReadBytes = 8u << 20;
constexpr int64_t kExpiryCheckIntervalMs = 600000;  // producer.id.expiration.check.interval.ms
}  // namespace

PartitionLog::PartitionLog(std::shared_ptr<storage::Stream> stream, std::string snapshot_key,
                           const PartitionLogEnv* env)
    : stream_(std::move(stream)), snapshot_key_(std::move(snapshot_key)), env_(env) {}

PartitionLog::~PartitionLog() {
  if (env_ && env_->producers) env_->producers->sub(int64_t(counted_));
}

ProducerStateTable PartitionLog::read_producer_state(int64_t& complete_to) const {
  ProducerStateTable table;
  int64_t snapshot_at = -1;
  if (keeps_snapshots()) {
    std::string v;
    if (env_->kv->lookup(snapshot_key_, v).ok()) {
      if (auto t = ProducerStateTable::decode(v, snapshot_at)) {
        table = std::move(*t);
      } else {
        snapshot_at = -1;
        spdlog::warn("kafka: producer-state snapshot of {} is unreadable: replaying the log",
                     stream_->id().to_string());
      }
    }
  }
  const int64_t end = stream_->latest_offset();
  const int64_t earliest = stream_->earliest_offset();
  // A snapshot past the end: the log lost a torn tail in recovery (or is new).
  if (snapshot_at > end) table.truncate(end);
  int64_t from = snapshot_at >= 0 ? std::min(snapshot_at, end) : earliest;
  if (end - from > kMaxReplayOffsets) {
    spdlog::warn("kafka: {}: producer state replays only the last {} of {} offsets after {}",
                 stream_->id().to_string(), kMaxReplayOffsets, end - from,
                 snapshot_at >= 0 ? "its snapshot" : "the log start");
    from = end - kMaxReplayOffsets;
  }
  // Replayed producers count as active now: a batch's own timestamp is the client's clock
  // (and may be old on purpose), so it would expire producers that just wrote.
  const int64_t now = core::wall_ms();
  int64_t offset = std::max(from, earliest);
  while (offset < end) {
    storage::ReadResult r = stream_->read(offset, kReplayReadBytes);
    if (!r.status.ok() || r.bytes.empty()) break;
    std::span<const uint8_t> rest(r.bytes);
    while (rest.size() >= storage::kBatchHeaderSize) {
      storage::BatchHeader h;
      if (!storage::parse_batch_header(rest, h).ok() || h.total_size() > rest.size()) break;
      if (h.producer_id >= 0 && h.base_sequence >= 0)
        table.observe(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count,
                      h.base_offset, now);
      rest = rest.subspan(h.total_size());
    }
    if (r.next_offset <= offset) break;
    offset = r.next_offset;
  }
  complete_to = end;
  return table;
}

void PartitionLog::finish_load() {
  int64_t complete_to = 0;
  ProducerStateTable table = read_producer_state(complete_to);
  std::lock_guard order(order_mu_);
  // New idempotent produces wait on order_mu_ until the batches that waited are in.
  for (auto& q : install(std::move(table), complete_to)) {
    storage::BatchHeader h;
    (void)storage::parse_batch_header(q.batch, h);
    produce_idempotent(q.batch, h, std::move(q.done));
  }
}

std::vector<PartitionLog::Queued> PartitionLog::install(ProducerStateTable table,
                                                        int64_t complete_to) {
  std::lock_guard g(state_mu_);
  producers_ = std::move(table);
  complete_to_ = snapshot_offset_ = complete_to;
  load_ = Load::kDone;
  housekeeping_locked(core::wall_ms());
  return std::exchange(queued_, {});
}

void PartitionLog::produce(std::span<const uint8_t> batch,
                           std::function<void(const ProduceOutcome&)> done) {
  if (!storage::validate_producer_batch(batch).ok()) {
    done({ErrorCode::kCorruptMessage});
    return;
  }
  storage::BatchHeader h;
  (void)storage::parse_batch_header(batch, h);
  if (h.producer_id < 0 || h.base_sequence < 0) {
    append(batch, h, false, std::move(done));
    return;
  }
  std::lock_guard order(order_mu_);
  bool load_inline = false;
  {
    std::lock_guard g(state_mu_);
    if (load_ != Load::kDone) {
      if (!env_ || !env_->loader) {
        load_inline = true;  // no loader thread (unit tests): read here
      } else {
        queued_.push_back({std::vector<uint8_t>(batch.begin(), batch.end()), std::move(done)});
        if (load_ == Load::kNot) {
          load_ = Load::kRunning;
          env_->loader->submit([self = shared_from_this()] { self->finish_load(); });
        }
        return;
      }
    }
  }
  if (load_inline) {
    int64_t complete_to = 0;
    ProducerStateTable table = read_producer_state(complete_to);
    (void)install(std::move(table), complete_to);  // nothing waits without a loader
  }
  produce_idempotent(batch, h, std::move(done));
}

void PartitionLog::produce_idempotent(std::span<const uint8_t> batch, const storage::BatchHeader& h,
                                      std::function<void(const ProduceOutcome&)> done) {
  ProducerStateTable::Check c;
  {
    std::lock_guard g(state_mu_);
    const int64_t now = core::wall_ms();
    c = producers_.check(h.producer_id, h.producer_epoch, h.base_sequence, h.record_count, now);
    housekeeping_locked(now);
  }
  switch (c.verdict) {
    case ProducerStateTable::Verdict::kAppend:
      append(batch, h, true, std::move(done));  // under order_mu_: offsets follow sequences
      return;
    case ProducerStateTable::Verdict::kDuplicate:
      done({ErrorCode::kNone, c.base_offset, -1, stream_->earliest_offset()});
      return;
    case ProducerStateTable::Verdict::kDuplicatePending:
      done({ErrorCode::kDuplicateSequenceNumber});
      return;
    case ProducerStateTable::Verdict::kOutOfOrder:
      done({ErrorCode::kOutOfOrderSequenceNumber});
      return;
    case ProducerStateTable::Verdict::kStaleEpoch:
      done({ErrorCode::kInvalidProducerEpoch});
      return;
  }
}

// Expiry now and then, and the gauge. state_mu_ held.
void PartitionLog::housekeeping_locked(int64_t now_ms) {
  const int64_t ttl =
      env_ ? env_->producer_id_expiration_ms : PartitionLogEnv{}.producer_id_expiration_ms;
  if (now_ms >= next_expiry_ms_) {
    if (size_t n = producers_.expire(now_ms, ttl); n > 0)
      spdlog::debug("kafka: {}: {} idle producer ids expired", stream_->id().to_string(), n);
    next_expiry_ms_ = now_ms + std::min(ttl, kExpiryCheckIntervalMs);
  }
  count_producers_locked();
}

// Every kSnapshotEveryOffsets of log (any batches: the replay after a crash starts at the
// snapshot, and must stay short) once the state is known. state_mu_ held.
void PartitionLog::maybe_snapshot_locked() {
  if (!keeps_snapshots() || !env_->loader || snapshot_queued_ || dropped_ || load_ != Load::kDone ||
      complete_to_ - snapshot_offset_ < kSnapshotEveryOffsets)
    return;
  snapshot_queued_ = true;
  env_->loader->submit([self = shared_from_this()] { self->save_snapshot(); });
}

void PartitionLog::count_producers_locked() {
  if (!env_ || !env_->producers || producers_.producers() == counted_) return;
  env_->producers->add(int64_t(producers_.producers()) - int64_t(counted_));
  counted_ = producers_.producers();
}

void PartitionLog::save_snapshot() {
  if (!keeps_snapshots()) return;
  std::lock_guard s(snap_mu_);
  std::string value;
  int64_t offset = 0;
  {
    std::lock_guard g(state_mu_);
    snapshot_queued_ = false;
    if (dropped_ || load_ != Load::kDone || complete_to_ == snapshot_offset_) return;
    offset = complete_to_;
    value = producers_.encode(offset);
  }
  if (auto st = env_->kv->put(snapshot_key_, value); !st.ok()) {
    spdlog::warn("kafka: cannot save the producer state of {}: {}", stream_->id().to_string(),
                 st.message);
    return;
  }
  std::lock_guard g(state_mu_);
  snapshot_offset_ = std::max(snapshot_offset_, offset);
}

void PartitionLog::drop_snapshot() {
  std::lock_guard s(snap_mu_);
  {
    std::lock_guard g(state_mu_);
    dropped_ = true;
    producers_ = ProducerStateTable{};
    count_producers_locked();
  }
  if (keeps_snapshots()) (void)env_->kv->del(snapshot_key_);
}

void PartitionLog::append(std::span<const uint8_t> batch, const storage::BatchHeader& h,
                          bool idempotent, std::function<void(const ProduceOutcome&)> done) {
  // The stream copies the bytes (once, into its own buffer); only LogAppendTime needs a
  // stamped copy.
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
    {
      std::lock_guard g(self->state_mu_);
      if (r.status.ok()) {
        if (idempotent)
          self->producers_.completed(h.producer_id, h.producer_epoch, h.base_sequence,
                                     r.base_offset);
        // Callbacks run in offset order, so every idempotent batch below is complete.
        self->complete_to_ = std::max(self->complete_to_, r.base_offset + h.record_count);
        self->maybe_snapshot_locked();
      } else if (idempotent) {
        self->producers_.failed(h.producer_id);
        self->count_producers_locked();
      }
    }
    done(out);
    if (r.status.ok()) self->wake_waiters();
  };
  // The CRC was checked by validate_producer_batch (and recomputed if stamped).
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
