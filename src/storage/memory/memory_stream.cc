#include "storage/memory/memory_stream.h"

#include <algorithm>
#include <chrono>

#include "storage/record_batch.h"

namespace unimq::storage {
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

AppendResult failed(Status st) {
  AppendResult r;
  r.status = std::move(st);
  return r;
}

}  // namespace

MemoryStream::MemoryStream(StreamId id, const StreamConfig& config)
    : id_(std::move(id)), config_(config) {}

void MemoryStream::set_retention(int64_t retention_ms, int64_t retention_bytes) {
  std::unique_lock lock(mu_);
  config_.retention_ms = retention_ms;
  config_.retention_bytes = retention_bytes;
}

void MemoryStream::reconfigure(const StreamConfig& config) {
  std::unique_lock lock(mu_);
  config_ = config;
}

void MemoryStream::close() {
  std::unique_lock lock(mu_);
  closed_ = true;
}

uint64_t MemoryStream::memory_bytes() const {
  std::shared_lock lock(mu_);
  return bytes_;
}

void MemoryStream::append(std::span<const AppendRecord> records, AppendCallback done) {
  AppendResult r;
  if (records.empty()) {
    r = failed(Status::Error(Errc::InvalidArgument, "append of zero records"));
  } else {
    std::vector<uint8_t> batch;
    encode_batch(records, now_ms(), batch);
    r = store(std::move(batch));
  }
  if (done) done(r);
}

void MemoryStream::append_batch(std::span<const uint8_t> batch, AppendCallback done,
                                bool crc_checked) {
  Status st = validate_producer_batch(batch, !crc_checked);
  // The stream keeps its own copy: the caller's buffer may be reused once this returns.
  AppendResult r = st.ok() ? store(std::vector<uint8_t>(batch.begin(), batch.end())) : failed(st);
  if (done) done(r);
}

AppendResult MemoryStream::store(std::vector<uint8_t> batch) {
  BatchHeader h;
  parse_batch_header(batch, h);
  const int64_t now = now_ms();
  std::unique_lock lock(mu_);
  if (closed_)
    return failed(Status::Error(Errc::Closed, "stream " + id_.to_string() + " is closed"));
  set_base_offset(batch, next_);
  AppendResult r;
  r.base_offset = next_;
  r.last_offset = next_ + h.last_offset_delta;
  r.log_append_time_ms = now;
  bytes_ += batch.size();
  batches_.push_back({std::move(batch), r.base_offset, r.last_offset, h.max_timestamp});
  next_ = r.last_offset + 1;
  while (bytes_ > config_.max_memory_bytes && batches_.size() > 1) pop_front_locked();
  return r;
}

void MemoryStream::pop_front_locked() {
  bytes_ -= batches_.front().bytes.size();
  batches_.pop_front();
}

int64_t MemoryStream::earliest_locked() const {
  int64_t first = batches_.empty() ? next_ : batches_.front().base;
  return std::min(std::max(log_start_, first), next_);
}

int64_t MemoryStream::earliest_offset() const {
  std::shared_lock lock(mu_);
  return earliest_locked();
}

int64_t MemoryStream::latest_offset() const {
  std::shared_lock lock(mu_);
  return next_;
}

ReadResult MemoryStream::read(int64_t offset, size_t max_bytes) const {
  ReadResult r;
  std::shared_lock lock(mu_);
  if (closed_) {
    r.status = Status::Error(Errc::Closed, "stream " + id_.to_string() + " is closed");
    return r;
  }
  const int64_t earliest = earliest_locked();
  r.high_watermark = next_;
  r.next_offset = offset;
  if (offset < earliest || offset > next_) {
    r.status = Status::Error(Errc::OffsetOutOfRange, "offset " + std::to_string(offset) +
                                                         " outside [" + std::to_string(earliest) +
                                                         ", " + std::to_string(next_) + "]");
    return r;
  }
  auto it = std::lower_bound(batches_.begin(), batches_.end(), offset,
                             [](const Batch& b, int64_t o) { return b.last < o; });
  for (; it != batches_.end(); ++it) {
    if (!r.bytes.empty() && r.bytes.size() + it->bytes.size() > max_bytes) break;
    r.bytes.insert(r.bytes.end(), it->bytes.begin(), it->bytes.end());
    r.next_offset = it->last + 1;
  }
  return r;
}

std::optional<int64_t> MemoryStream::offset_for_timestamp(int64_t ts_ms) const {
  std::shared_lock lock(mu_);
  for (const Batch& b : batches_) {
    if (b.max_timestamp >= ts_ms) return std::max(b.base, earliest_locked());
  }
  return std::nullopt;
}

Status MemoryStream::truncate(int64_t offset) {
  if (offset < 0) return Status::Error(Errc::InvalidArgument, "negative offset");
  std::unique_lock lock(mu_);
  if (offset >= next_) return Status::Ok();
  if (batches_.empty() || offset <= batches_.front().base) {
    batches_.clear();
    bytes_ = 0;
    next_ = offset;
  } else {
    // Like the journal, the batch holding `offset` goes entirely (batches are atomic).
    while (!batches_.empty() && batches_.back().last >= offset) {
      next_ = batches_.back().base;
      bytes_ -= batches_.back().bytes.size();
      batches_.pop_back();
    }
  }
  log_start_ = std::min(log_start_, next_);
  return Status::Ok();
}

Status MemoryStream::delete_before(int64_t offset) {
  std::unique_lock lock(mu_);
  if (offset > next_) {
    return Status::Error(Errc::OffsetOutOfRange,
                         "offset " + std::to_string(offset) + " is beyond the end of the log");
  }
  if (offset <= earliest_locked()) return Status::Ok();
  log_start_ = offset;
  while (batches_.size() > 1 && batches_.front().last < offset) pop_front_locked();
  return Status::Ok();
}

void MemoryStream::enforce_retention(int64_t now_ms) {
  std::unique_lock lock(mu_);
  if (config_.retention_ms >= 0) {
    while (batches_.size() > 1 && batches_.front().max_timestamp < now_ms - config_.retention_ms) {
      pop_front_locked();
    }
  }
  if (config_.retention_bytes >= 0) {
    while (batches_.size() > 1 &&
           bytes_ - batches_.front().bytes.size() >= uint64_t(config_.retention_bytes)) {
      pop_front_locked();
    }
  }
}

}  // namespace unimq::storage
