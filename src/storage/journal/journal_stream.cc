// JournalStream: opening, the append queue, the group-commit write path, flushing, closing.
// Reads, truncation and retention are in journal_stream_ops.cc.
#include "storage/journal/journal_stream.h"

#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "storage/journal/file_util.h"
#include "storage/journal/format.h"
#include "storage/journal/recovery.h"
#include "storage/record_batch.h"

namespace unimq::storage::journal {
namespace {

StreamConfig normalize(StreamConfig c) {
  c.segment_bytes = std::clamp<uint64_t>(c.segment_bytes, kMinSegmentBytes, kMaxSegmentBytes);
  c.segment_ms = std::max<int64_t>(c.segment_ms, 1);
  c.fsync_interval_ms = std::max<uint32_t>(c.fsync_interval_ms, 1);
  c.page_cache_window_bytes = normalize_page_cache_window(c.page_cache_window_bytes);
  return c;
}

AppendResult failed(Status st) {
  AppendResult r;
  r.status = std::move(st);
  return r;
}

}  // namespace

JournalStream::JournalStream(std::string dir, StreamId id, const StreamConfig& config,
                             std::shared_ptr<WriterPool> writers,
                             std::shared_ptr<TailCacheBudget> tail_budget)
    : dir_(std::move(dir)),
      id_(std::move(id)),
      writers_(std::move(writers)),
      config_(normalize(config)),
      tail_(std::move(tail_budget)) {}

JournalStream::~JournalStream() {
  close();
  std::lock_guard lock(ra_mu_);  // a read-ahead that finished after close()
  drop_read_ahead_locked();
}

Status JournalStream::open(const std::string& dir, const StreamId& id, const StreamConfig& config,
                           std::shared_ptr<WriterPool> writers,
                           std::shared_ptr<TailCacheBudget> tail_budget,
                           std::shared_ptr<JournalStream>& out) {
  const bool existed = ::access(dir.c_str(), F_OK) == 0;
  Status st = make_dirs(dir);
  if (!st.ok()) return st;
  std::shared_ptr<JournalStream> s(
      new JournalStream(dir, id, config, std::move(writers), std::move(tail_budget)));
  StreamRecovery stats;
  st =
      recover_stream_dir(dir, id.to_string(), s->config_.index_interval_bytes, s->segments_, stats);
  if (!st.ok()) return st;
  s->next_offset_.store(stats.next_offset);
  s->stage_pos_ = s->segments_.back()->committed_size();
  s->segment_bytes_.store(s->config_.segment_bytes);
  s->log_start_.store(stats.log_start_offset);
  s->last_flush_ms_.store(wall_ms());
  // segment_ms counts from the active segment's first batch (its timestamp, not the
  // restart time, so frequent restarts do not keep a quiet segment from ever rolling).
  if (s->config_.page_cache_window_bytes > 0) {
    for (size_t i = 0; i + 1 < s->segments_.size(); ++i) s->segments_[i]->mark_cold();
  }
  const auto& active = s->segments_.back();
  if (active->committed_size() > 0) {
    int64_t first_ts = -1;
    scan_batches(*active->file(), 0, active->committed_size(), false, active->base_offset(),
                 INT64_MAX, [&](const BatchHeader& h, uint64_t) {
                   first_ts = h.max_timestamp;
                   return false;
                 });
    const int64_t now = wall_ms();
    active->set_roll_base(first_ts >= 0 && first_ts < now ? first_ts : now);
  }
  if (existed) {
    spdlog::info(
        "journal: recovered stream={} segments={} log_start_offset={} next_offset={} "
        "truncated_bytes={} indexes_rebuilt={} segments_dropped={}",
        id.to_string(), stats.segments, stats.log_start_offset, stats.next_offset,
        stats.truncated_bytes, stats.indexes_rebuilt, stats.segments_dropped);
  }
  out = std::move(s);
  return Status::Ok();
}

void JournalStream::set_retention(int64_t retention_ms, int64_t retention_bytes) {
  std::lock_guard lock(cfg_mu_);
  config_.retention_ms = retention_ms;
  config_.retention_bytes = retention_bytes;
}

void JournalStream::reconfigure(const StreamConfig& config) {
  std::lock_guard lock(cfg_mu_);
  config_ = normalize(config);
  segment_bytes_.store(config_.segment_bytes);
}

StreamConfig JournalStream::config_snapshot() const {
  std::lock_guard lock(cfg_mu_);
  return config_;
}

uint64_t JournalStream::pending_bytes() const {
  std::lock_guard lock(q_mu_);
  return pending_bytes_;
}

void JournalStream::append(std::span<const AppendRecord> records, AppendCallback done) {
  if (records.empty()) {
    enqueue({}, Status::Error(Errc::InvalidArgument, "append of zero records"), std::move(done));
    return;
  }
  thread_local std::vector<uint8_t> encoded;  // reused: no allocation per append
  encoded.clear();
  encode_batch(records, wall_ms(), encoded);
  enqueue(encoded, Status::Ok(), std::move(done));
  if (encoded.capacity() > (1u << 20)) std::vector<uint8_t>().swap(encoded);
}

void JournalStream::append_batch(std::span<const uint8_t> batch, AppendCallback done,
                                 bool crc_checked) {
  Status st = validate_producer_batch(batch, !crc_checked);
  enqueue(batch, std::move(st), std::move(done));
}

void JournalStream::enqueue(std::span<const uint8_t> bytes, Status status, AppendCallback done) {
  const uint64_t size = status.ok() ? bytes.size() : 0;
  std::unique_lock lock(q_mu_);
  // Backpressure; never on a writer thread, which would wait for itself.
  if (!WriterPool::on_writer_thread()) {
    q_cv_.wait(lock, [&] {
      return closed_ || pending_bytes_ == 0 || pending_bytes_ + size <= kMaxPendingBytes;
    });
  }
  if (closed_) {
    lock.unlock();
    if (done) done(failed(Status::Error(Errc::Closed, "stream " + id_.to_string() + " is closed")));
    return;
  }
  Pending p;
  p.status = std::move(status);
  p.done = std::move(done);
  if (size > 0) {
    // The one copy of the batch: into resident memory the writer writes from, at the same
    // offset within a block as its predicted file position, so the direct write needs no
    // bounce copy. The prediction follows the writer's segment rolls by size: a batch that
    // will open a new segment starts a new chunk at position 0.
    uint64_t at = stage_pos_;
    const bool roll = at > 0 && at + size > segment_bytes_.load(std::memory_order_relaxed);
    if (roll) at = 0;
    if (fill_ && fill_->size() > 0 && (roll || fill_->size() + size > kStagingChunk))
      staged_.push_back(std::move(fill_));
    const size_t lead = size_t(at % StagingBuffer::kAlign);
    if (!fill_) {
      fill_ = take_staging(lead);
      fill_->file_pos = at;
    } else if (fill_->size() == 0 && fill_->lead() != lead) {
      fill_->reset(lead);
      fill_->file_pos = at;
    }
    p.buf = staged_.size();
    p.off = fill_->append(bytes);
    stage_pos_ = at + size;
    p.size = size;
  }
  pending_bytes_ += size;
  queue_.push_back(std::move(p));
  if (scheduled_) return;
  scheduled_ = true;
  lock.unlock();
  schedule_drain();
}

void JournalStream::schedule_drain(bool requeue) {
  auto self = shared_from_this();
  if (writers_->schedule([self] { self->drain(); }, requeue)) return;
  // The engine is shutting down: nothing will write these.
  std::vector<Pending> items;
  std::vector<std::unique_ptr<StagingBuffer>> bufs;
  {
    std::lock_guard lock(q_mu_);
    items.swap(queue_);
    bufs.swap(staged_);
    bufs.push_back(std::move(fill_));
    pending_bytes_ = 0;
    scheduled_ = false;
  }
  for (auto& b : bufs) give_staging(std::move(b));
  q_cv_.notify_all();
  for (auto& p : items) {
    if (p.done) p.done(failed(Status::Error(Errc::Closed, "storage engine is shut down")));
  }
}

void JournalStream::drain() {
  // Where the next buffer's bytes will land in the file, so appenders stage them at the same
  // offset within a block (direct writes then go out without a copy; a wrong guess after a
  // roll or a failure only costs one).
  uint64_t end_pos;
  {
    std::lock_guard w(write_mu_);
    std::shared_lock lock(segs_mu_);
    end_pos = segments_.back()->state().size;
  }
  std::vector<Pending> items;
  std::vector<std::unique_ptr<StagingBuffer>> bufs;  // null entries: only rejected appends
  {
    std::lock_guard lock(q_mu_);
    items.swap(queue_);
    bufs.swap(staged_);
    bufs.push_back(std::move(fill_));
    // A wrong prediction (a roll by age, a truncation, a failed write) is corrected here:
    // assume the taken chunks follow end_pos without a roll.
    if (bufs.front() && bufs.front()->file_pos != end_pos) {
      stage_pos_ = end_pos;
      for (const auto& b : bufs) stage_pos_ += b ? b->size() : 0;
    }
  }
  std::vector<AppendResult> results(items.size());
  // The appends each chunk holds, first and last (items are in chunk order; rejected appends
  // hold no bytes), for the tail cache.
  std::vector<std::pair<size_t, size_t>> chunk_items(bufs.size(), {SIZE_MAX, 0});
  for (size_t k = 0; k < items.size(); ++k) {
    if (items[k].size == 0) continue;
    auto& ci = chunk_items[items[k].buf];
    if (ci.first == SIZE_MAX) ci.first = k;
    ci.second = k;
  }
  size_t released = 0;  // chunks [0, released) are written and handed on
  for (size_t i = 0; i < items.size();) {
    size_t end;
    {
      std::lock_guard w(write_mu_);
      end = write_group(bufs, items, i, results);
      // Chunks written out are copied to the tail cache (before the acks: a consumer woken
      // by one finds the batch there) and go back to the pool (before more space is
      // announced: the appenders it wakes reuse them).
      const size_t next_buf =
          std::min(end < items.size() ? items[end].buf : bufs.size(), bufs.size());
      if (next_buf > released) {
        release_chunks(bufs, released, next_buf, chunk_items, items, results);
        released = next_buf;
      }
    }
    uint64_t bytes = 0;
    for (size_t k = i; k < end; ++k) {
      bytes += items[k].size;
      if (!items[k].done) continue;
      try {
        items[k].done(results[k]);
      } catch (const std::exception& e) {
        spdlog::error("journal: stream={} append callback threw: {}", id_.to_string(), e.what());
      } catch (...) {
        spdlog::error("journal: stream={} append callback threw", id_.to_string());
      }
      items[k].done = nullptr;
    }
    {
      // After the callbacks: waiting for an old window's writeback, or sealing a segment
      // rolled away from, never delays an ack.
      std::lock_guard w(write_mu_);
      finish_seals();
      recycle_page_cache();
    }
    {
      std::lock_guard lock(q_mu_);
      pending_bytes_ -= bytes;
    }
    q_cv_.notify_all();
    i = end;
  }
  if (released < bufs.size()) {
    std::lock_guard w(write_mu_);
    release_chunks(bufs, released, bufs.size(), chunk_items, items, results);
  }
  bool again;
  {
    std::lock_guard lock(q_mu_);
    again = !queue_.empty();
    if (!again) scheduled_ = false;
  }
  q_cv_.notify_all();
  if (again) schedule_drain(true);  // to the back of the pool queue: fair to other streams
}

size_t JournalStream::write_group(std::vector<std::unique_ptr<StagingBuffer>>& bufs,
                                  std::vector<Pending>& items, size_t i,
                                  std::vector<AppendResult>& out) {
  if (!open_.load()) {
    for (size_t k = i; k < items.size(); ++k)
      out[k] = failed(Status::Error(Errc::Closed, "stream is closed"));
    return items.size();
  }
  const StreamConfig cfg = config_snapshot();
  const int64_t now = wall_ms();
  std::shared_ptr<Segment> seg;
  {
    std::shared_lock lock(segs_mu_);
    seg = segments_.back();
  }
  int64_t roll_base = seg->state().size > 0 ? seg->state().roll_base_ms : now;
  int64_t next = next_offset_.load();
  std::vector<iovec> iov;
  std::vector<size_t> members;
  uint64_t bytes = 0;
  size_t group_buf = 0;
  // Staged back to back, so a group is one piece of the buffer (checked, not assumed).
  const uint8_t* piece = nullptr;
  bool one_piece = true;
  size_t k = i;
  for (; k < items.size(); ++k) {
    Pending& p = items[k];
    if (!p.status.ok()) {
      out[k] = failed(p.status);
      continue;
    }
    if (!iov.empty() && p.buf != group_buf) break;  // the next chunk is the next group
    StagingBuffer& buf = *bufs[p.buf];
    const std::span<uint8_t> batch(buf.data() + p.off, p.size);
    BatchHeader h;
    parse_batch_header(batch, h);  // validated on enqueue
    const uint64_t used = seg->state().size + bytes;
    const bool full =
        used > 0 && (used + p.size > cfg.segment_bytes || now - roll_base >= cfg.segment_ms ||
                     next + h.last_offset_delta - seg->base_offset() > INT32_MAX);
    if (full) {
      if (!iov.empty()) break;  // a group never spans segments: one fdatasync covers it
      Status st = roll(cfg);
      if (!st.ok()) {
        out[k] = failed(st);
        continue;
      }
      std::shared_lock lock(segs_mu_);
      seg = segments_.back();
      roll_base = now;
    }
    set_base_offset(batch, next);
    out[k].base_offset = next;
    out[k].last_offset = next + h.last_offset_delta;
    out[k].log_append_time_ms = now;
    next += h.last_offset_delta + 1;
    if (iov.empty()) {
      piece = batch.data();
      group_buf = p.buf;
    }
    one_piece = one_piece && batch.data() == piece + bytes;
    iov.push_back({batch.data(), batch.size()});
    members.push_back(k);
    bytes += p.size;
  }
  if (members.empty()) return k;
  const SegmentState before = seg->state();
  if (before.size == 0) seg->set_roll_base(now);
  const int inject = inject_errno_.exchange(0);
  Status st =
      one_piece ? seg->write(piece, bytes, cfg.direct_io, inject) : seg->write(iov, bytes, inject);
  if (st.ok()) {
    for (size_t m : members) {
      BatchHeader h;
      parse_batch_header({bufs[group_buf]->data() + items[m].off, items[m].size}, h);
      seg->on_batch(h, uint32_t(items[m].size));
    }
    if (cfg.fsync == FsyncPolicy::Always) {
      bool synced = false;
      st = seg->sync(seg->state().size, synced);
      if (synced) fsync_count_.fetch_add(1);
      if (!st.ok()) seg->restore(before);  // not durable: not acknowledged, not kept
    }
  }
  if (!st.ok()) {
    spdlog::warn("journal: stream={} append of {} batch(es) failed: {}", id_.to_string(),
                 members.size(), st.message);
    for (size_t m : members) out[m] = failed(st);
    return k;
  }
  seg->publish();
  next_offset_.store(next, std::memory_order_release);
  written_bytes_ += bytes;
  for (size_t m : members) out[m].status = Status::Ok();
  return k;
}

void JournalStream::release_chunks(std::vector<std::unique_ptr<StagingBuffer>>& bufs, size_t from,
                                   size_t to,
                                   const std::vector<std::pair<size_t, size_t>>& chunk_items,
                                   const std::vector<Pending>& items,
                                   const std::vector<AppendResult>& results) {
  const int64_t now = wall_ms();
  for (size_t b = from; b < to; ++b) {
    if (!bufs[b]) continue;
    const auto [first, last] = chunk_items[b];
    bool written = first != SIZE_MAX && open_.load();
    for (size_t k = first; written && k <= last; ++k)
      written = items[k].size == 0 || results[k].status.ok();
    if (written)
      tail_.add(bufs[b]->data() + items[first].off,
                items[last].off + items[last].size - items[first].off, results[first].base_offset,
                results[last].last_offset + 1, now);
    give_staging(std::move(bufs[b]));
  }
}

void JournalStream::recycle_page_cache() {
  const uint64_t window = config_snapshot().page_cache_window_bytes;
  if (window == 0 || !open_.load()) return;
  std::shared_ptr<Segment> active;
  {
    std::shared_lock lock(segs_mu_);
    active = segments_.back();
  }
  active->recycle_cache(window);
  // Across segments too (a window may be as large as a segment).
  while (!retiring_.empty() && written_bytes_ - retiring_.front().sealed_at >= window) {
    retiring_.front().segment->release_cache();
    retiring_.pop_front();
  }
}

Status JournalStream::roll(const StreamConfig& cfg) {
  std::shared_ptr<Segment> old;
  {
    std::shared_lock lock(segs_mu_);
    old = segments_.back();
  }
  // Create the new segment first: if that fails the old one simply stays active.
  std::shared_ptr<Segment> seg;
  Status st = Segment::create(dir_, next_offset_.load(), cfg.index_interval_bytes, seg);
  if (!st.ok()) return st;
  if (cfg.fsync != FsyncPolicy::Never) {
    Status ds = fsync_dir(dir_);
    if (!ds.ok()) spdlog::warn("journal: stream={} {}", id_.to_string(), ds.message);
  }
  {
    std::unique_lock lock(segs_mu_);
    segments_.push_back(seg);
  }
  old->seal_in_memory();
  sealing_.push_back(old);
  if (cfg.page_cache_window_bytes > 0) retiring_.push_back({old, written_bytes_});
  spdlog::debug("journal: stream={} rolled segment base={}", id_.to_string(), seg->base_offset());
  return Status::Ok();
}

void JournalStream::finish_seals() {
  if (sealing_.empty()) return;  // the common case, after every group: no config copy
  const bool recycle = config_snapshot().page_cache_window_bytes > 0;
  for (const auto& seg : sealing_) {
    Status st = seg->finish_seal();
    if (recycle) seg->start_tail_writeback();
    if (!st.ok())
      spdlog::warn("journal: stream={} index not saved: {}", id_.to_string(), st.message);
  }
  sealing_.clear();
}

Status JournalStream::flush() {
  std::vector<std::shared_ptr<Segment>> segs;
  {
    std::shared_lock lock(segs_mu_);
    segs = segments_;
  }
  last_flush_ms_.store(wall_ms());
  for (const auto& seg : segs) {
    bool synced = false;
    Status st = seg->sync(seg->committed_size(), synced);
    if (synced) fsync_count_.fetch_add(1);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

bool JournalStream::flush_if_due(int64_t now_ms) {
  if (!open_.load()) return false;
  StreamConfig cfg = config_snapshot();
  if (cfg.fsync != FsyncPolicy::Interval) return true;
  if (now_ms - last_flush_ms_.load() < int64_t(cfg.fsync_interval_ms)) return true;
  Status st = flush();
  if (!st.ok()) spdlog::error("journal: stream={} interval flush: {}", id_.to_string(), st.message);
  return true;
}

void JournalStream::close() {
  {
    std::unique_lock lock(q_mu_);
    if (closed_) return;
    closed_ = true;
    q_cv_.notify_all();
    if (!WriterPool::on_writer_thread()) q_cv_.wait(lock, [this] { return !scheduled_; });
  }
  {
    std::lock_guard w(write_mu_);
    finish_seals();
    tail_.clear();
    {
      std::lock_guard ra(ra_mu_);
      drop_read_ahead_locked();
    }
    std::shared_lock lock(segs_mu_);
    if (!segments_.empty()) segments_.back()->trim_padding();
  }
  Status st = flush();
  if (!st.ok()) spdlog::error("journal: stream={} close: {}", id_.to_string(), st.message);
  open_.store(false);
}

}  // namespace unimq::storage::journal
