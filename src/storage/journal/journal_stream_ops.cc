// JournalStream: reads, offset lookups, truncation, delete_before and retention.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "storage/journal/direct_reader.h"
#include "storage/journal/file_util.h"
#include "storage/journal/format.h"
#include "storage/journal/journal_stream.h"
#include "storage/record_batch.h"

namespace unimq::storage::journal {

int64_t JournalStream::earliest_locked() const {
  return std::min(std::max(log_start_.load(), segments_.front()->base_offset()),
                  next_offset_.load());
}

int64_t JournalStream::earliest_offset() const {
  std::shared_lock lock(segs_mu_);
  return earliest_locked();
}

int64_t JournalStream::latest_offset() const {
  return next_offset_.load(std::memory_order_acquire);
}

std::vector<int64_t> JournalStream::segment_bases() const {
  std::shared_lock lock(segs_mu_);
  std::vector<int64_t> out;
  for (const auto& s : segments_) out.push_back(s->base_offset());
  return out;
}

std::shared_ptr<Segment> JournalStream::segment_for(int64_t offset, size_t& index) const {
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](int64_t o, const auto& s) { return o < s->base_offset(); });
  index = it == segments_.begin() ? 0 : size_t(it - segments_.begin()) - 1;
  return segments_[index];
}

// Readers take the segment list lock only to pick a segment, never across file I/O: the
// rwlock prefers readers, so long reads under it could starve the writer's segment roll.
// A segment deleted meanwhile stays readable through its open fd.
std::shared_ptr<Segment> JournalStream::segment_after(int64_t offset, int64_t prev_base) const {
  std::shared_lock lock(segs_mu_);
  size_t idx;
  segment_for(offset, idx);
  while (idx < segments_.size() && segments_[idx]->base_offset() <= prev_base) ++idx;
  return idx < segments_.size() ? segments_[idx] : nullptr;
}

bool JournalStream::begin_read(int64_t offset, ReadResult& r, int64_t& latest) const {
  if (!open_.load()) {
    r.status = Status::Error(Errc::Closed, "stream " + id_.to_string() + " is closed");
    return false;
  }
  int64_t earliest;
  {
    std::shared_lock lock(segs_mu_);
    latest = next_offset_.load(std::memory_order_acquire);
    earliest = earliest_locked();
  }
  r.high_watermark = latest;
  r.next_offset = offset;
  if (offset < earliest || offset > latest) {
    r.status = Status::Error(Errc::OffsetOutOfRange, "offset " + std::to_string(offset) +
                                                         " outside [" + std::to_string(earliest) +
                                                         ", " + std::to_string(latest) + "]");
    return false;
  }
  return true;
}

std::optional<ReadResult> JournalStream::read_cached(int64_t offset, size_t max_bytes) const {
  ReadResult r;
  int64_t latest;
  if (!begin_read(offset, r, latest)) return r;
  bool more = false;
  // A partial answer (the next batch is published but not cached yet) is still an answer:
  // the reader asks again from its next_offset. A read at the end counts as reader interest
  // too (a consumer waiting there wants the next batches cached).
  if (tail_.read(offset, max_bytes, latest, r, more, wall_ms()) || offset == latest) return r;
  return std::nullopt;
}

ReadResult JournalStream::read(int64_t offset, size_t max_bytes) const {
  ReadResult r;
  int64_t latest;
  if (!begin_read(offset, r, latest)) return r;
  // At the tail: from the batches just written, still in memory (tail_cache.h), and from the
  // files only for a batch published but not cached yet.
  size_t budget = max_bytes;
  bool more = false;
  if (tail_.read(offset, max_bytes, latest, r, more, wall_ms())) {
    if (!more || r.bytes.size() + kBatchHeaderSize > max_bytes) return r;
    budget = max_bytes - r.bytes.size();
  }
  int64_t prev_base = INT64_MIN;
  std::shared_lock cut(cut_mu_);
  // Whole batches, continuing into later segments while the budget allows.
  while (r.next_offset < latest) {
    std::shared_ptr<Segment> seg = segment_after(r.next_offset, prev_base);
    if (!seg) break;
    prev_base = seg->base_offset();
    Status opened;
    std::optional<uint64_t> pos = seg->find_position(r.next_offset, &opened);
    if (!opened.ok()) {
      if (r.bytes.empty()) r.status = opened;
      break;
    }
    if (!pos) continue;
    size_t got = 0;
    int64_t next = r.next_offset;
    // A continuation must start exactly where the previous segment ended.
    const int64_t expect = r.bytes.empty() ? -1 : r.next_offset;
    Status st = seg->read_batches(*pos, budget, expect, latest, r.bytes, got, next);
    if (!st.ok()) {
      if (r.bytes.empty()) r.status = st;
      break;
    }
    if (got == 0) break;
    r.next_offset = next;
    budget = got >= budget ? 0 : budget - got;
    if (budget < kBatchHeaderSize) break;
  }
  return r;
}

namespace {
// Read-ahead buffers of all streams together (readers far behind the tail).
constexpr size_t kReadAheadBytes = 64u << 20;
// The engine's retention pass (every retention_check_ms) drops read-aheads older than this.
constexpr int64_t kReadAheadExpiryMs = 10'000;
std::atomic<size_t> g_read_ahead_bytes{0};
std::atomic<uint64_t> g_read_aheads{0};
}  // namespace

uint64_t read_aheads_total() { return g_read_aheads.load(std::memory_order_relaxed); }
size_t read_ahead_bytes() { return g_read_ahead_bytes.load(std::memory_order_relaxed); }

bool JournalStream::read_files_direct(int64_t offset, size_t max_bytes, int64_t latest,
                                      SharedReadResult& r) const {
  int64_t prev_base = INT64_MIN;
  // One segment's batches (as Kafka's FileRecords slice): the reader asks again for the rest.
  while (offset < latest) {
    std::shared_ptr<Segment> seg = segment_after(offset, prev_base);
    if (!seg) break;
    prev_base = seg->base_offset();
    Status opened;
    std::optional<uint64_t> pos = seg->find_position(offset, &opened);
    if (!opened.ok()) {
      r.status = opened;
      break;
    }
    if (!pos) continue;
    DirectRead dr;
    bool unsupported = false;
    int64_t next = offset;
    Status st = seg->read_batches_direct(*pos, max_bytes, latest, dr, next, unsupported);
    if (unsupported) {
      if (!direct_reads_refused_.exchange(true)) {
        spdlog::warn("stream {}: the file system refuses O_DIRECT reads; reading buffered",
                     id_.to_string());
      }
      return false;
    }
    if (!st.ok()) {
      r.status = st;
    } else if (!dr.bytes.empty()) {
      r.bytes = dr.bytes;
      r.owner = std::move(dr.owner);
      r.next_offset = next;
    }
    break;
  }
  return true;
}

void JournalStream::drop_read_ahead_locked() const {
  g_read_ahead_bytes.fetch_sub(ra_.r.bytes.size());
  ra_.r = SharedReadResult{};
  ra_.offset = -1;
}

bool JournalStream::take_read_ahead(int64_t offset, size_t max_bytes, SharedReadResult& r) const {
  std::unique_lock lock(ra_mu_);
  // The read ahead of this very offset is under way: it answers sooner than a read of our own.
  ra_cv_.wait(lock, [&] { return ra_.loading != offset; });
  if (ra_.offset != offset || ra_.r.bytes.empty()) return false;
  // Whole batches within max_bytes (at least one); the rest stays for the next read.
  std::span<const uint8_t> all = ra_.r.bytes;
  int64_t next = offset;
  const size_t used = whole_batches(all, INT64_MAX, max_bytes, next);
  if (used == 0) {
    drop_read_ahead_locked();
    return false;
  }
  r.bytes = all.first(used);
  r.owner = ra_.r.owner;
  r.next_offset = next;
  if (used == all.size()) {
    drop_read_ahead_locked();
  } else {
    g_read_ahead_bytes.fetch_sub(used);
    ra_.r.bytes = all.subspan(used);
    ra_.offset = next;
  }
  return true;
}

SharedReadResult JournalStream::read_shared(int64_t offset, size_t max_bytes) const {
  if (auto cached = read_cached(offset, max_bytes)) return shared(std::move(*cached));
  if (!config_snapshot().direct_io || direct_reads_refused_.load(std::memory_order_relaxed)) {
    return shared(read(offset, max_bytes));
  }
  ReadResult head;
  int64_t latest;
  if (!begin_read(offset, head, latest)) return shared(std::move(head));
  SharedReadResult r = shared(std::move(head));
  if (take_read_ahead(offset, max_bytes, r)) return r;
  std::shared_lock cut(cut_mu_);
  if (read_files_direct(offset, max_bytes, latest, r)) return r;
  cut.unlock();
  return shared(read(offset, max_bytes));
}

void JournalStream::read_ahead(int64_t offset, size_t max_bytes) const {
  if (!open_.load() || !config_snapshot().direct_io ||
      direct_reads_refused_.load(std::memory_order_relaxed) || tail_.holds(offset)) {
    return;
  }
  const int64_t latest = next_offset_.load(std::memory_order_acquire);
  if (offset >= latest || offset < earliest_offset()) return;
  // Reserve the bytes first: at most kReadAheadBytes in all streams' buffers.
  if (g_read_ahead_bytes.fetch_add(max_bytes) + max_bytes > kReadAheadBytes) {
    g_read_ahead_bytes.fetch_sub(max_bytes);
    return;
  }
  {
    std::lock_guard lock(ra_mu_);
    if (ra_.loading >= 0 || ra_.offset == offset) {
      g_read_ahead_bytes.fetch_sub(max_bytes);
      return;
    }
    drop_read_ahead_locked();  // the reader moved elsewhere
    ra_.loading = offset;
  }
  SharedReadResult r;
  // Stored under the cut lock: a truncation after it drops the buffer.
  std::shared_lock cut(cut_mu_);
  const bool direct = read_files_direct(offset, max_bytes, latest, r);
  std::lock_guard lock(ra_mu_);
  g_read_ahead_bytes.fetch_sub(max_bytes);
  ra_.loading = -1;
  if (direct && r.status.ok() && !r.bytes.empty()) {
    g_read_ahead_bytes.fetch_add(r.bytes.size());
    ra_.r = std::move(r);
    ra_.offset = offset;
    ra_.at_ms = wall_ms();
    g_read_aheads.fetch_add(1, std::memory_order_relaxed);
  }
  ra_cv_.notify_all();
}

std::optional<int64_t> JournalStream::offset_for_timestamp(int64_t ts_ms) const {
  if (!open_.load()) return std::nullopt;
  // Timestamps need not increase across batches: the first segment whose max reaches ts.
  int64_t prev_base = INT64_MIN;
  std::shared_lock cut(cut_mu_);
  for (;;) {
    std::shared_ptr<Segment> seg;
    int64_t earliest;
    {
      std::shared_lock lock(segs_mu_);
      earliest = earliest_locked();
      for (const auto& s : segments_) {
        if (s->base_offset() > prev_base && s->max_timestamp() >= ts_ms) {
          seg = s;
          break;
        }
      }
    }
    if (!seg) return std::nullopt;
    prev_base = seg->base_offset();
    std::optional<int64_t> o = seg->find_timestamp(ts_ms);
    if (o) return std::max(*o, earliest);
  }
}

void JournalStream::persist_log_start(int64_t offset) {
  Status st = write_file_atomic(dir_ + "/" + kLogStartFileName, std::to_string(offset) + "\n");
  if (!st.ok()) spdlog::error("journal: stream={} {}", id_.to_string(), st.message);
}

void JournalStream::drop_segments(std::vector<std::shared_ptr<Segment>> victims, const char* why) {
  for (const auto& seg : victims) {
    spdlog::info("journal: stream={} deleting segment base={} next_offset={} bytes={} ({})",
                 id_.to_string(), seg->base_offset(), seg->next_offset(), seg->committed_size(),
                 why);
    seg->remove_files();  // open readers keep the file alive through their fd
  }
}

Status JournalStream::truncate(int64_t offset) {
  if (offset < 0) return Status::Error(Errc::InvalidArgument, "negative offset");
  if (!open_.load()) return Status::Error(Errc::Closed, "stream is closed");
  std::vector<std::shared_ptr<Segment>> victims;
  Status st;
  {
    std::lock_guard w(write_mu_);
    finish_seals();  // a segment cut back to active must not be sealed later
    tail_.clear();   // the offsets cut off may be written again with other batches
    std::unique_lock cut(cut_mu_);
    {
      std::lock_guard ra(ra_mu_);
      drop_read_ahead_locked();
    }
    std::unique_lock lock(segs_mu_);
    if (offset >= next_offset_.load()) return Status::Ok();
    // Sealed segments kept cached for tail readers: no longer at the tail. Reads drop
    // behind them (the one that may become active again is cut back to warm below).
    for (const auto& r : retiring_) r.segment->mark_cold();
    retiring_.clear();
    if (offset <= segments_.front()->base_offset()) {
      // Everything goes; the log restarts empty at `offset`.
      std::shared_ptr<Segment> fresh;
      // Removed right here: the new segment may reuse the first one's file name.
      drop_segments(segments_, "truncate");
      st = Segment::create(dir_, offset, config_snapshot().index_interval_bytes, fresh);
      if (!st.ok()) return st;
      segments_.assign(1, fresh);
    } else {
      size_t idx;
      std::shared_ptr<Segment> seg = segment_for(offset, idx);
      std::optional<uint64_t> pos = seg->find_position(offset, &st);
      if (!st.ok()) return st;
      victims.assign(segments_.begin() + ptrdiff_t(idx) + 1, segments_.end());
      segments_.resize(idx + 1);
      st = seg->truncate_to(pos ? *pos : seg->committed_size());
      // A sealed segment becoming active again starts its segment_ms clock now.
      if (seg->state().roll_base_ms == 0) seg->set_roll_base(wall_ms());
    }
    next_offset_.store(segments_.back()->next_offset(), std::memory_order_release);
    if (log_start_.load() > next_offset_.load()) {
      log_start_.store(next_offset_.load());
      persist_log_start(log_start_.load());
    }
  }
  drop_segments(std::move(victims), "truncate");
  spdlog::info("journal: stream={} truncated to offset={} next_offset={}", id_.to_string(), offset,
               next_offset_.load());
  return st;
}

Status JournalStream::delete_before(int64_t offset) {
  if (!open_.load()) return Status::Error(Errc::Closed, "stream is closed");
  std::vector<std::shared_ptr<Segment>> victims;
  {
    std::lock_guard w(write_mu_);
    finish_seals();  // before their files may be removed
    std::unique_lock lock(segs_mu_);
    if (offset > next_offset_.load()) {
      return Status::Error(Errc::OffsetOutOfRange,
                           "offset " + std::to_string(offset) + " is beyond the end of the log");
    }
    if (offset <= earliest_locked()) return Status::Ok();
    Status st = write_file_atomic(dir_ + "/" + kLogStartFileName, std::to_string(offset) + "\n");
    if (!st.ok()) return st;
    log_start_.store(offset);
    while (segments_.size() > 1 && segments_.front()->next_offset() <= offset) {
      victims.push_back(segments_.front());
      segments_.erase(segments_.begin());
    }
  }
  drop_segments(std::move(victims), "delete_before");
  return Status::Ok();
}

void JournalStream::enforce_retention(int64_t now_ms) {
  if (!open_.load()) return;
  {
    // A read-ahead nobody came for (the consumer stopped): give its share of the budget back.
    std::lock_guard lock(ra_mu_);
    if (ra_.offset >= 0 && now_ms - ra_.at_ms > kReadAheadExpiryMs) drop_read_ahead_locked();
  }
  const StreamConfig cfg = config_snapshot();
  if (cfg.retention_ms < 0 && cfg.retention_bytes < 0) return;
  std::vector<std::shared_ptr<Segment>> victims;
  {
    // The writer only appends to the last segment, which is never deleted here.
    std::unique_lock lock(segs_mu_);
    if (cfg.retention_ms >= 0) {
      while (segments_.size() > 1 &&
             segments_.front()->max_timestamp() < now_ms - cfg.retention_ms) {
        victims.push_back(segments_.front());
        segments_.erase(segments_.begin());
      }
    }
    if (cfg.retention_bytes >= 0) {
      uint64_t total = 0;
      for (const auto& s : segments_) total += s->committed_size();
      // Like Kafka: delete oldest segments while what remains is still >= retention_bytes.
      while (segments_.size() > 1 &&
             total - segments_.front()->committed_size() >= uint64_t(cfg.retention_bytes)) {
        total -= segments_.front()->committed_size();
        victims.push_back(segments_.front());
        segments_.erase(segments_.begin());
      }
    }
  }
  drop_segments(std::move(victims), "retention");
}

}  // namespace unimq::storage::journal
