// The memory backend of Stream: batches in a deque, bounded by config.max_memory_bytes
// (oldest batches dropped beyond it). Same offsets/read/retention semantics as the journal,
// with one batch playing the role of one segment (the newest batch is never dropped by
// retention or the memory bound).
//
// Callbacks run inline, on the appending thread, before append() returns: do not hold a
// lock the callback needs while appending.
#pragma once

#include <deque>
#include <mutex>
#include <shared_mutex>

#include "storage/stream.h"

namespace unimq::storage {

class MemoryStream : public Stream {
 public:
  MemoryStream(StreamId id, const StreamConfig& config);

  const StreamId& id() const override { return id_; }
  const StreamConfig& config() const override { return config_; }
  void set_retention(int64_t retention_ms, int64_t retention_bytes) override;
  void append(std::span<const AppendRecord> records, AppendCallback done) override;
  void append_batch(std::span<const uint8_t> batch, AppendCallback done,
                    bool crc_checked = false) override;
  ReadResult read(int64_t offset, size_t max_bytes) const override;
  int64_t earliest_offset() const override;
  int64_t latest_offset() const override;
  std::optional<int64_t> offset_for_timestamp(int64_t ts_ms) const override;
  Status truncate(int64_t offset) override;
  Status delete_before(int64_t offset) override;
  void enforce_retention(int64_t now_ms) override;
  Status flush() override { return Status::Ok(); }

  void reconfigure(const StreamConfig& config);
  void close();
  uint64_t memory_bytes() const;

 private:
  struct Batch {
    std::vector<uint8_t> bytes;
    int64_t base = 0;
    int64_t last = 0;
    int64_t max_timestamp = 0;
  };

  AppendResult store(std::vector<uint8_t> batch);
  int64_t earliest_locked() const;
  void pop_front_locked();

  const StreamId id_;
  mutable std::shared_mutex mu_;
  StreamConfig config_;
  std::deque<Batch> batches_;
  uint64_t bytes_ = 0;
  int64_t next_ = 0;
  int64_t log_start_ = 0;
  bool closed_ = false;
};

}  // namespace unimq::storage
