// The durable backend of Stream: a directory of segments (see format.h, docs/storage.md).
//
// Appends are copied into the stream's staging buffers (staging.h) and queued (bounded by
// kMaxPendingBytes: append() blocks beyond it, except on a writer thread), then written by
// the engine's WriterPool: everything queued goes out in one write per staging chunk
// (kStagingChunk: a writer behind the disk never grows, copies or freshly allocates a buffer)
// and segment, offsets assigned in queue order; with FsyncPolicy::Always one
// fdatasync covers the group before its callbacks run (group commit). Callbacks run on a
// writer thread, in offset order, after the data is visible to readers.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "storage/journal/group_commit.h"
#include "storage/journal/rw_lock.h"
#include "storage/journal/segment.h"
#include "storage/journal/staging.h"
#include "storage/journal/tail_cache.h"
#include "storage/stream.h"

namespace unimq::storage::journal {

// Read-aheads stored by all journal streams, and the bytes their slots hold now (metrics).
uint64_t read_aheads_total();
size_t read_ahead_bytes();

class JournalStream : public Stream, public std::enable_shared_from_this<JournalStream> {
 public:
  // Opens (recovering) or creates the stream in dir.
  static Status open(const std::string& dir, const StreamId& id, const StreamConfig& config,
                     std::shared_ptr<WriterPool> writers,
                     std::shared_ptr<TailCacheBudget> tail_budget,
                     std::shared_ptr<JournalStream>& out);
  ~JournalStream() override;

  const StreamId& id() const override { return id_; }
  const StreamConfig& config() const override { return config_; }
  void set_retention(int64_t retention_ms, int64_t retention_bytes) override;
  void append(std::span<const AppendRecord> records, AppendCallback done) override;
  void append_batch(std::span<const uint8_t> batch, AppendCallback done,
                    bool crc_checked = false) override;
  ReadResult read(int64_t offset, size_t max_bytes) const override;
  std::optional<ReadResult> read_cached(int64_t offset, size_t max_bytes) const override;
  SharedReadResult read_shared(int64_t offset, size_t max_bytes) const override;
  void read_ahead(int64_t offset, size_t max_bytes) const override;
  int64_t earliest_offset() const override;
  int64_t latest_offset() const override;
  std::optional<int64_t> offset_for_timestamp(int64_t ts_ms) const override;
  Status truncate(int64_t offset) override;
  Status delete_before(int64_t offset) override;
  void enforce_retention(int64_t now_ms) override;
  Status flush() override;

  // Replaces the configuration (segment/fsync/retention settings apply to later appends).
  void reconfigure(const StreamConfig& config);
  // Writes what is queued, fdatasyncs and rejects later calls with Closed. From a writer
  // thread (a callback) it does not wait for the queue.
  void close();
  // Flusher hook: fdatasync if the Interval policy says so. False once closed.
  bool flush_if_due(int64_t now_ms);

  const std::string& dir() const { return dir_; }
  // Test/tool introspection.
  uint64_t fsync_count() const { return fsync_count_.load(); }
  // Bytes queued or being written (bounded by kMaxPendingBytes).
  uint64_t pending_bytes() const;
  std::vector<int64_t> segment_bases() const;
  // The recently written batches kept for readers at the tail (tail_cache.h).
  const TailCache& tail_cache() const { return tail_; }
  // The next group write fails with err after a partial write (tests: ENOSPC).
  void inject_write_error(int err) { inject_errno_.store(err); }

 private:
  struct Pending {
    size_t buf = 0;  // which staging buffer (index into the drained chain)
    size_t off = 0;  // in that buffer
    size_t size = 0;
    AppendCallback done;
    Status status;  // not ok: rejected before writing (nothing staged)
  };

  JournalStream(std::string dir, StreamId id, const StreamConfig& config,
                std::shared_ptr<WriterPool> writers, std::shared_ptr<TailCacheBudget> tail_budget);
  // Checks the stream is open and `offset` readable; fills r's status (false), offsets and
  // high watermark; `latest` is the high watermark.
  bool begin_read(int64_t offset, ReadResult& r, int64_t& latest) const;
  // Stages `bytes` (when status is ok) and queues the append.
  void enqueue(std::span<const uint8_t> bytes, Status status, AppendCallback done);
  void schedule_drain(bool requeue = false);
  void drain();
  // Writes items[i..] up to the first segment roll; returns the end of the group.
  // A group lies in one staging buffer.
  size_t write_group(std::vector<std::unique_ptr<StagingBuffer>>& bufs, std::vector<Pending>& items,
                     size_t i, std::vector<AppendResult>& out);
  Status roll(const StreamConfig& cfg);
  // Copies written chunks [from, to) into the tail cache and returns them to the pool;
  // write_mu_ held, so a truncation cannot slip between a chunk's write and its caching.
  void release_chunks(std::vector<std::unique_ptr<StagingBuffer>>& bufs, size_t from, size_t to,
                      const std::vector<std::pair<size_t, size_t>>& chunk_items,
                      const std::vector<Pending>& items, const std::vector<AppendResult>& results);
  int64_t earliest_locked() const;
  // read_shared from the files with O_DIRECT, one segment (cut_mu_ held shared); false when
  // the file system refuses O_DIRECT (r untouched).
  bool read_files_direct(int64_t offset, size_t max_bytes, int64_t latest,
                         SharedReadResult& r) const;
  // The read-ahead's batches from `offset` within max_bytes, if it holds them.
  bool take_read_ahead(int64_t offset, size_t max_bytes, SharedReadResult& r) const;
  void drop_read_ahead_locked() const;  // ra_mu_ held
  StreamConfig config_snapshot() const;
  void persist_log_start(int64_t offset);
  // After a group write: page-cache recycling of the active segment; sealed segments'
  // pages go once the active one has a window of its own.
  void recycle_page_cache();
  // The deferred file work of segments rolled away from (write_mu_ held).
  void finish_seals();
  std::shared_ptr<Segment> segment_for(int64_t offset, size_t& index) const;  // locked
  // The segment holding offset (or the next one), skipping bases <= prev_base.
  std::shared_ptr<Segment> segment_after(int64_t offset, int64_t prev_base) const;
  void drop_segments(std::vector<std::shared_ptr<Segment>> victims, const char* why);

  const std::string dir_;
  const StreamId id_;
  std::shared_ptr<WriterPool> writers_;

  mutable std::mutex cfg_mu_;
  StreamConfig config_;

  // Queue (appenders -> writer).
  mutable std::mutex q_mu_;
  std::condition_variable q_cv_;  // space freed / writer idle
  std::vector<Pending> queue_;
  // The queued appends' bytes: full chunks, then the one being filled (null when none).
  std::vector<std::unique_ptr<StagingBuffer>> staged_;
  std::unique_ptr<StagingBuffer> fill_;
  uint64_t stage_pos_ = 0;  // predicted file position (in its segment) of the next staged byte
  std::atomic<uint64_t> segment_bytes_{0};  // config_.segment_bytes, for that prediction
  uint64_t pending_bytes_ = 0;              // queued + being written
  bool scheduled_ = false;
  bool closed_ = false;

  // Serialises the writer with truncate/delete_before/roll.
  std::mutex write_mu_;
  // Sealed segments whose last windows are still cached, with written_bytes_ when they were
  // sealed: released once the stream has written a window past them (guarded by write_mu_).
  struct Retiring {
    std::shared_ptr<Segment> segment;
    uint64_t sealed_at = 0;
  };
  std::deque<Retiring> retiring_;
  // Segments rolled away from whose seal file work is still to do (finish_seals).
  std::vector<std::shared_ptr<Segment>> sealing_;
  uint64_t written_bytes_ = 0;  // by this writer since open (write_mu_)
  TailCache tail_;
  // Held shared by readers across their file I/O and exclusively by truncate, the only
  // operation that rewrites bytes a reader may be reading. Writer-preferring, so constant
  // reads cannot starve a truncate.
  mutable RwLock cut_mu_;
  // Segment list: shared for readers, exclusive to add/remove segments.
  mutable std::shared_mutex segs_mu_;
  std::vector<std::shared_ptr<Segment>> segments_;
  std::atomic<int64_t> next_offset_{0};
  std::atomic<int64_t> log_start_{0};
  std::atomic<bool> open_{true};
  // The file system refused an O_DIRECT read: read_shared() reads buffered from now on.
  mutable std::atomic<bool> direct_reads_refused_{false};
  // One reader's next range, read from the files while its last answer travels
  // (read_ahead()); taken by the read_shared() that asks for it.
  struct ReadAhead {
    int64_t offset = -1;   // r starts here; -1: empty
    int64_t loading = -1;  // a read_ahead() of this offset is under way
    int64_t at_ms = 0;     // when it was read (wall clock)
    SharedReadResult r;
  };
  mutable std::mutex ra_mu_;
  mutable std::condition_variable ra_cv_;
  mutable ReadAhead ra_;

  std::atomic<uint64_t> fsync_count_{0};
  std::atomic<int64_t> last_flush_ms_{0};
  std::atomic<int> inject_errno_{0};
};

}  // namespace unimq::storage::journal
