// One segment of a journal stream: "<base>.log" plus its in-memory offset and time indexes.
//
// Threading: one writer at a time (the stream's writer, or truncate/recovery holding the
// stream's write lock) mutates the append state; readers only see the committed view
// (committed_size/next_offset/max_timestamp, published with release stores after each
// group write), so a reader never sees a partially written batch.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "storage/journal/direct_reader.h"
#include "storage/journal/direct_writer.h"
#include "storage/journal/offset_index.h"
#include "storage/journal/page_cache.h"
#include "storage/journal/time_index.h"
#include "storage/record_batch.h"
#include "storage/status.h"

namespace unimq::storage::journal {

// Writer-side append state; copied before a write so a failed write can be rolled back.
struct SegmentState {
  uint64_t size = 0;           // bytes of whole batches
  int64_t next_offset = 0;     // offset after the last batch
  int64_t max_timestamp = -1;  // -1: no batch yet (Kafka's NO_TIMESTAMP)
  uint32_t last_batch_rel = 0;
  uint64_t bytes_since_index = 0;
  size_t index_entries = 0;
  size_t time_entries = 0;
  int64_t roll_base_ms = 0;  // wall clock of the first write (segment_ms is measured from it)
};

struct SegmentRecovery {
  uint64_t truncated_bytes = 0;
  // What was cut is only a direct write's zero padding: zeros from the end of the last batch
  // to the end of its block. A segment sealed by a roll keeps it until the seal's file work,
  // which runs after the rolling group is acknowledged, so a crash can leave it on an older
  // segment; it is not a hole, and the segments after it stay.
  bool padding_only = false;
  bool index_rebuilt = false;
  std::string reason;  // why the tail was cut / the index rebuilt
};

class Segment {
 public:
  // Creates an empty segment file (replacing a leftover one).
  static Status create(const std::string& dir, int64_t base_offset, uint32_t index_interval,
                       std::shared_ptr<Segment>& out);
  // Opens an existing segment; call recover() before using it.
  static Status open(const std::string& dir, int64_t base_offset, uint32_t index_interval,
                     std::shared_ptr<Segment>& out);
  ~Segment();

  int64_t base_offset() const { return base_; }
  // The file's descriptor, held open for as long as the caller keeps it. A sealed segment's
  // may have been closed (segment_files.h): it is opened again here. nullptr when that fails,
  // with the reason in *why (OffsetOutOfRange: the file was deleted meanwhile).
  std::shared_ptr<const int> file(Status* why = nullptr) const;
  std::string log_path() const;
  std::string index_path() const;
  std::string time_index_path() const;

  // Committed view (any thread).
  uint64_t committed_size() const { return committed_size_.load(std::memory_order_acquire); }
  int64_t next_offset() const { return committed_next_.load(std::memory_order_acquire); }
  int64_t max_timestamp() const { return committed_max_ts_.load(std::memory_order_acquire); }
  bool sealed() const { return sealed_.load(std::memory_order_acquire); }

  // --- writer side (serialised by the stream) ---
  const SegmentState& state() const { return st_; }
  // Writes whole batches at the end; on failure the file is cut back and the state kept.
  // inject_errno != 0 simulates a failure after a partial write (tests).
  Status write(std::span<const iovec> iov, size_t bytes, int inject_errno = 0);
  // The same for bytes in one piece; direct: with O_DIRECT (direct_writer.h) when the file
  // system allows it, else (and after a failed direct write) buffered.
  Status write(const uint8_t* data, size_t bytes, bool direct, int inject_errno = 0);
  // Cuts the zero padding a direct write leaves after the last block (sealed, closed).
  void trim_padding();
  // Records a batch just written at state().size (index entries, offsets, timestamps).
  void on_batch(const BatchHeader& h, uint32_t size);
  // Makes everything written visible to readers.
  void publish();
  // Rolls the append state back (and the file) to a snapshot taken before writing.
  void restore(const SegmentState& s);
  void set_roll_base(int64_t ms) { st_.roll_base_ms = ms; }
  // fdatasync unless the first `upto` bytes are known synced. synced: whether it ran.
  Status sync(uint64_t upto, bool& synced);
  // Final time-index entry (+ index files on disk when write_files); the segment is no
  // longer appended to. seal() = seal_in_memory() then finish_seal(): a rolling writer does
  // the first at once and the file work (padding, O_DIRECT fd, index files: milliseconds)
  // after the appends it was writing are acknowledged.
  Status seal(bool write_files = true);
  void seal_in_memory();
  Status finish_seal(bool write_files = true);
  // Page-cache recycling (page_cache.h): after a group write, when sealed, and once the
  // segment is no longer near the tail of the stream.
  void recycle_cache(uint64_t window) { cache_.after_write(fd_, st_.size, window); }
  void start_tail_writeback();
  void release_cache();
  // A segment recovered as sealed: nobody appends to it, so reads do not keep its pages.
  void mark_cold() { cache_.mark_cold(committed_size()); }
  // Cuts the segment at file position pos (a batch boundary) and makes it active again.
  Status truncate_to(uint64_t pos);
  // Recovery (recovery.cc): full = scan everything with CRC checks (active segment);
  // otherwise trust valid index files and only scan (and check) the tail after their last
  // entry. The first bad batch and everything after it is cut off.
  Status recover(bool full, SegmentRecovery& info);
  void remove_files();

  // --- readers ---
  // File position of the committed batch containing offset (or the first one after it).
  // nullopt also when the file cannot be opened: the reason is then in *why.
  std::optional<uint64_t> find_position(int64_t offset, Status* why = nullptr) const;
  // Appends whole committed batches from pos that start below end_offset (the stream's
  // published end), up to max_bytes. continue_at < 0: the first batch is taken even if
  // larger than max_bytes; otherwise the first batch must start at continue_at (else nothing
  // is read). appended = bytes added; next_offset = after the last batch.
  Status read_batches(uint64_t pos, size_t max_bytes, int64_t continue_at, int64_t end_offset,
                      std::vector<uint8_t>& out, size_t& appended, int64_t& next_offset) const;
  // As read_batches (at least one batch) with O_DIRECT into a pooled buffer (direct_reader.h),
  // without a copy; unsupported: the file system refuses O_DIRECT (read_batches instead).
  Status read_batches_direct(uint64_t pos, size_t max_bytes, int64_t end_offset, DirectRead& out,
                             int64_t& next_offset, bool& unsupported) const;
  // Base offset of the first batch with max timestamp >= ts.
  std::optional<int64_t> find_timestamp(int64_t ts) const;

 private:
  friend class SegmentFiles;
  static constexpr size_t kNoSlot = SIZE_MAX;
  // SegmentFiles evicting this sealed segment: the descriptor closes once readers let go.
  void close_file();

  Segment(std::string dir, int64_t base, uint32_t interval, int fd);
  // Scans from the resume point (after the last trusted index entry, or 0) to the end of
  // the file, validating batches; cuts the file at the first bad one.
  Status rebuild_tail(bool trust_entries, bool check_crc, SegmentRecovery& info);

  const std::string dir_;
  const int64_t base_;
  const uint32_t interval_;
  // Written only while the segment is sealed (closed by SegmentFiles, reopened by file()), so
  // the writer, which only writes the active segment, reads it without fd_mu_.
  mutable std::mutex fd_mu_;
  mutable std::shared_ptr<const int> fd_;
  size_t files_slot_ = kNoSlot;            // index in SegmentFiles (guarded by its lock)
  mutable std::atomic<bool> used_{false};  // read since the eviction hand last passed
  OffsetIndex index_;
  TimeIndex time_index_;
  SegmentState st_;
  std::atomic<uint64_t> committed_size_{0};
  std::atomic<int64_t> committed_next_;
  std::atomic<int64_t> committed_max_ts_{-1};
  std::atomic<uint64_t> synced_size_{0};
  std::atomic<bool> sealed_{false};
  PageCacheWindow cache_;
  std::unique_ptr<DirectWriter> direct_;  // opened on the first direct write
  bool direct_failed_ = false;            // O_DIRECT refused or failed: buffered from now on
  bool padded_ = false;                   // the file runs past st_.size (direct-write padding)
};

}  // namespace unimq::storage::journal
