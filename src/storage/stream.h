// A stream (one topic partition) of record batches. Implemented by the memory and journal
// backends. Thread-safe: appends may come from any shard; reads are concurrent with appends.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "storage/status.h"
#include "storage/types.h"

namespace unimq::storage {

struct AppendResult {
  Status status;
  int64_t base_offset = -1;  // offset of the first record appended
  int64_t last_offset = -1;
  int64_t log_append_time_ms = 0;
};

// Called once the append is durable per the stream's fsync policy. It runs on a storage
// thread: post back to your own loop before touching loop-owned state.
using AppendCallback = std::function<void(const AppendResult&)>;

// Raw batches read from a stream, in order. The first batch may start before the requested
// offset (Kafka semantics: the consumer skips records below its offset).
struct ReadResult {
  Status status;
  std::vector<uint8_t> bytes;  // whole batches, concatenated
  int64_t next_offset = 0;     // offset after the last record returned
  int64_t high_watermark = 0;  // latest_offset() at read time
};

// A read whose bytes are shared, not owned (Stream::read_shared): `bytes` (whole batches)
// lives as long as `owner`, which a sender keeps until the bytes are written.
struct SharedReadResult {
  Status status;
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;
  int64_t next_offset = 0;
  int64_t high_watermark = 0;
};

class Stream {
 public:
  virtual ~Stream() = default;
  virtual const StreamId& id() const = 0;
  virtual const StreamConfig& config() const = 0;
  virtual void set_retention(int64_t retention_ms, int64_t retention_bytes) = 0;

  // Encodes the records into one batch and appends it.
  virtual void append(std::span<const AppendRecord> records, AppendCallback done) = 0;
  // Appends a prebuilt RecordBatch v2 (e.g. from a Kafka producer): validated (CRC32C),
  // offsets assigned in place, stored as is. A bad batch completes with CorruptBatch.
  // The stream copies the bytes before returning (the caller's buffer, e.g. a connection's
  // request buffer, may be reused at once). crc_checked: the caller verified the CRC of
  // exactly these bytes (Kafka's produce path does, before its idempotence check); only the
  // header is checked again.
  virtual void append_batch(std::span<const uint8_t> batch, AppendCallback done,
                            bool crc_checked = false) = 0;
  // Blocking convenience for both (tests, tools, start-up).
  AppendResult append_sync(std::span<const AppendRecord> records);

  // Whole batches from `offset` on, up to about max_bytes (at least one batch if any).
  // May block on file I/O: event loops call read_cached() first.
  virtual ReadResult read(int64_t offset, size_t max_bytes) const = 0;
  // As read(), from memory only, never blocking on the disk: nullopt when the batches at
  // `offset` are only in files (then read() them from a thread that may block). The answer
  // may hold fewer batches than read() would (those cached), never different ones. Backends
  // that keep everything in memory answer read() itself.
  virtual std::optional<ReadResult> read_cached(int64_t offset, size_t max_bytes) const {
    return read(offset, max_bytes);
  }
  // Decodes records from `offset` on (uncompressed batches), up to max_bytes of batches.
  Status read_records(int64_t offset, size_t max_bytes, std::vector<Record>& out) const;
  // As read(), for a sender that keeps the bytes only until written (a Kafka fetch answer):
  // batches still in memory are copied as by read(); the journal reads batches from its files
  // with O_DIRECT straight into the buffer sent from (journal/direct_reader.h), stopping at
  // the end of a segment. The default moves read()'s bytes into a shared buffer.
  virtual SharedReadResult read_shared(int64_t offset, size_t max_bytes) const;
  // Hint after a read_shared() from the files: the reader will ask for `offset` next. The
  // journal reads that range now (O_DIRECT, one reader per stream, 64 MiB in all), while the
  // answer before it travels; read_shared() of that offset then takes it (or waits for it).
  // From a thread that may block. The default does nothing.
  virtual void read_ahead(int64_t offset, size_t max_bytes) const {
    (void)offset;
    (void)max_bytes;
  }
  // A ReadResult as a SharedReadResult (its bytes moved into the owner).
  static SharedReadResult shared(ReadResult r);

  virtual int64_t earliest_offset() const = 0;  // first readable offset
  virtual int64_t latest_offset() const = 0;    // next offset to be assigned
  // First offset whose batch max timestamp >= ts (Kafka ListOffsets); nullopt if none.
  virtual std::optional<int64_t> offset_for_timestamp(int64_t ts_ms) const = 0;

  // Removes every record at or after `offset` (divergent tail).
  virtual Status truncate(int64_t offset) = 0;
  // Makes records before `offset` unreadable; whole segments below it are deleted.
  virtual Status delete_before(int64_t offset) = 0;
  // Applies time/size retention now (also run periodically by the engine).
  virtual void enforce_retention(int64_t now_ms) = 0;
  // Forces an fdatasync of what was appended so far.
  virtual Status flush() = 0;
};

}  // namespace unimq::storage
