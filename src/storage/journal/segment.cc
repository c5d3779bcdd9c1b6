#include "storage/journal/segment.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "storage/journal/file_util.h"
#include "storage/journal/format.h"
#include "storage/journal/recovery.h"
#include "storage/journal/segment_files.h"

namespace unimq::storage::journal {
namespace {

std::shared_ptr<const int> share_fd(int fd) {
  return std::shared_ptr<const int>(new int(fd), [](const int* p) {
    ::close(*p);
    delete p;
  });
}

}  // namespace

Segment::Segment(std::string dir, int64_t base, uint32_t interval, int fd)
    : dir_(std::move(dir)),
      base_(base),
      interval_(interval),
      fd_(share_fd(fd)),
      committed_next_(base) {
  st_.next_offset = base;
}

Segment::~Segment() { SegmentFiles::instance().forget(this); }

std::shared_ptr<const int> Segment::file(Status* why) const {
  std::unique_lock lock(fd_mu_);
  used_.store(true, std::memory_order_relaxed);
  if (fd_) return fd_;
  const std::string path = log_path();
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (why) {
      *why = err == ENOENT ? Status::Error(Errc::OffsetOutOfRange,
                                           "segment " + path + " was deleted while being read")
                           : errno_status("cannot open segment", path, err);
    }
    return nullptr;
  }
  fd_ = share_fd(fd);
  std::shared_ptr<const int> out = fd_;
  lock.unlock();
  SegmentFiles::instance().count_reopen();
  SegmentFiles::instance().admit(const_cast<Segment*>(this));
  return out;
}

void Segment::close_file() {
  std::lock_guard lock(fd_mu_);
  fd_.reset();
}

Status Segment::create(const std::string& dir, int64_t base_offset, uint32_t index_interval,
                       std::shared_ptr<Segment>& out) {
  std::string path = dir + "/" + segment_file_name(base_offset, kLogSuffix);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status("cannot create segment", path, errno);
  out.reset(new Segment(dir, base_offset, index_interval, fd));
  // Index files of a previous segment with the same base would be stale.
  remove_file(out->index_path());
  remove_file(out->time_index_path());
  return Status::Ok();
}

Status Segment::open(const std::string& dir, int64_t base_offset, uint32_t index_interval,
                     std::shared_ptr<Segment>& out) {
  std::string path = dir + "/" + segment_file_name(base_offset, kLogSuffix);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno_status("cannot open segment", path, errno);
  out.reset(new Segment(dir, base_offset, index_interval, fd));
  return Status::Ok();
}

std::string Segment::log_path() const { return dir_ + "/" + segment_file_name(base_, kLogSuffix); }
std::string Segment::index_path() const {
  return dir_ + "/" + segment_file_name(base_, kIndexSuffix);
}
std::string Segment::time_index_path() const {
  return dir_ + "/" + segment_file_name(base_, kTimeIndexSuffix);
}

Status Segment::write(std::span<const iovec> iov, size_t bytes, int inject_errno) {
  if (direct_) direct_->forget_tail();  // a buffered write changes the block it keeps
  std::vector<iovec> rest(iov.begin(), iov.end());
  size_t done = 0, first = 0;
  int err = 0;
  while (done < bytes) {
    int cnt = int(std::min<size_t>(rest.size() - first, IOV_MAX));
    ssize_t n;
    if (inject_errno != 0) {
      // Simulated failure: write part of the first batch, then report the error.
      n = ::pwrite(*fd_, rest[first].iov_base, rest[first].iov_len / 2, off_t(st_.size));
      err = inject_errno;
      break;
    }
    n = ::pwritev(*fd_, rest.data() + first, cnt, off_t(st_.size + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    done += size_t(n);
    // Skip fully written iovecs; advance into a partially written one.
    while (n > 0 && first < rest.size()) {
      if (size_t(n) >= rest[first].iov_len) {
        n -= ssize_t(rest[first].iov_len);
        ++first;
      } else {
        rest[first].iov_base = static_cast<char*>(rest[first].iov_base) + n;
        rest[first].iov_len -= size_t(n);
        n = 0;
      }
    }
  }
  if (err == 0) return Status::Ok();
  // Cut off whatever part made it, so the file ends at the last whole batch again.
  if (::ftruncate(*fd_, off_t(st_.size)) != 0) {
    // Recovery will cut the torn tail on the next start; readers never see it.
  }
  return errno_status("cannot write", log_path(), err);
}

Status Segment::write(const uint8_t* data, size_t bytes, bool direct, int inject_errno) {
  if (direct && inject_errno == 0 && !direct_failed_) {
    if (!direct_) {
      std::string why;
      direct_ = DirectWriter::open(log_path(), why);
      if (!direct_) {
        direct_failed_ = true;
        spdlog::info("journal: {}: {}; buffered writes", log_path(), why);
      }
    }
    if (direct_) {
      Status st = direct_->write(*fd_, st_.size, data, bytes);
      if (st.ok()) {
        padded_ = (st_.size + bytes) % DirectWriter::kBlock != 0;
        return st;
      }
      spdlog::warn("journal: {}: {}; buffered writes from now on", log_path(), st.message);
      direct_.reset();
      direct_failed_ = true;
      trim_padding();
      if (::ftruncate(*fd_, off_t(st_.size)) != 0) {
        // The buffered write below overwrites it; recovery cuts what is left.
      }
    }
  }
  iovec v{const_cast<uint8_t*>(data), bytes};
  return write(std::span<const iovec>(&v, 1), bytes, inject_errno);
}

void Segment::start_tail_writeback() {
  if (auto f = file()) cache_.start_tail_writeback(f, st_.size);
}

void Segment::release_cache() {
  if (auto f = file()) cache_.release(f, committed_size());
}

void Segment::trim_padding() {
  if (!padded_) return;
  padded_ = false;
  if (::ftruncate(*fd_, off_t(st_.size)) != 0) {
    // Zeros after the last batch: recovery cuts them like a torn tail.
  }
}

void Segment::on_batch(const BatchHeader& h, uint32_t size) {
  const uint32_t rel = uint32_t(h.base_offset - base_);
  st_.max_timestamp = std::max(st_.max_timestamp, h.max_timestamp);
  if (st_.size == 0 || st_.bytes_since_index >= interval_) {
    index_.append(rel, uint32_t(st_.size));
    time_index_.append(st_.max_timestamp, rel);
    st_.bytes_since_index = 0;
  }
  st_.bytes_since_index += size;
  st_.size += size;
  st_.next_offset = h.last_offset() + 1;
  st_.last_batch_rel = rel;
  st_.index_entries = index_.size();
  st_.time_entries = time_index_.size();
}

void Segment::publish() {
  committed_max_ts_.store(st_.max_timestamp, std::memory_order_release);
  committed_next_.store(st_.next_offset, std::memory_order_release);
  committed_size_.store(st_.size, std::memory_order_release);
}

void Segment::restore(const SegmentState& s) {
  index_.resize(s.index_entries);
  time_index_.resize(s.time_entries);
  st_ = s;
  padded_ = false;
  if (direct_) direct_->forget_tail();
  if (::ftruncate(*fd_, off_t(s.size)) != 0) {
    // As in write(): recovery cuts an unpublished tail on the next start.
  }
}

Status Segment::sync(uint64_t upto, bool& synced) {
  synced = false;
  const uint64_t target = upto;
  if (synced_size_.load(std::memory_order_acquire) >= target) return Status::Ok();
  Status opened;
  const std::shared_ptr<const int> f = file(&opened);  // a sealed segment's may be closed
  if (!f) return opened;
  if (::fdatasync(*f) != 0) return errno_status("cannot fdatasync", log_path(), errno);
  synced = true;
  uint64_t cur = synced_size_.load();
  while (cur < target && !synced_size_.compare_exchange_weak(cur, target)) {
  }
  return Status::Ok();
}

Status Segment::seal(bool write_files) {
  seal_in_memory();
  return finish_seal(write_files);
}

void Segment::seal_in_memory() {
  if (st_.size > 0) time_index_.append(st_.max_timestamp, st_.last_batch_rel);
  st_.time_entries = time_index_.size();
  sealed_.store(true, std::memory_order_release);
}

Status Segment::finish_seal(bool write_files) {
  trim_padding();
  direct_.reset();                       // no more appends
  SegmentFiles::instance().admit(this);  // the descriptor may be closed from now on
  if (!write_files) return Status::Ok();
  Status st = index_.write_file(index_path());
  if (st.ok()) st = time_index_.write_file(time_index_path());
  if (!st.ok()) {
    // Indexes are caches: without them recovery rescans this segment.
    remove_file(index_path());
    remove_file(time_index_path());
  }
  return st;
}

Status Segment::truncate_to(uint64_t pos) {
  // Files first: stale index files must never outlive the data they describe.
  remove_file(index_path());
  remove_file(time_index_path());
  // Active again: no longer the cache's to close (sealed is cleared first: see admit()).
  sealed_.store(false, std::memory_order_release);
  SegmentFiles::instance().forget(this);
  Status opened;
  std::shared_ptr<const int> f = file(&opened);
  if (!f) return opened;
  padded_ = false;
  if (direct_) direct_->forget_tail();
  if (::ftruncate(*f, off_t(pos)) != 0) return errno_status("cannot truncate", log_path(), errno);
  cache_.cut(pos);
  index_.truncate_at_position(uint32_t(std::min<uint64_t>(pos, UINT32_MAX)));
  SegmentRecovery info;
  Status st = rebuild_tail(true, true, info);
  if (st.ok() && info.truncated_bytes > 0) {
    return Status::Error(Errc::CorruptBatch, "segment " + log_path() + ": " + info.reason);
  }
  synced_size_.store(std::min(synced_size_.load(), st_.size));
  return st;
}

void Segment::remove_files() {
  remove_file(index_path());
  remove_file(time_index_path());
  remove_file(log_path());
}

std::optional<uint64_t> Segment::find_position(int64_t offset, Status* why) const {
  const uint64_t end = committed_size();
  if (offset >= next_offset() || end == 0) return std::nullopt;
  const std::shared_ptr<const int> f = file(why);
  if (!f) return std::nullopt;
  uint64_t start = offset <= base_ ? 0 : index_.lookup(uint32_t(offset - base_)).pos;
  if (start >= end) start = 0;
  std::optional<uint64_t> found;
  auto visit = [&](const BatchHeader& h, uint64_t pos) {
    if (h.last_offset() < offset) return true;
    found = pos;
    return false;
  };
  ScanEnd e = scan_batches(*f, start, end, false, base_, INT64_MAX, visit);
  if (!found && !e.error.empty() && start != 0) {
    scan_batches(*f, 0, end, false, base_, INT64_MAX, visit);  // distrust the index entry
  }
  return found;
}

Status Segment::read_batches(uint64_t pos, size_t max_bytes, int64_t continue_at,
                             int64_t end_offset, std::vector<uint8_t>& out, size_t& appended,
                             int64_t& next_offset) const {
  appended = 0;
  const uint64_t end = committed_size();
  if (pos + kBatchHeaderSize > end) return Status::Ok();
  Status opened;
  const std::shared_ptr<const int> f = file(&opened);
  if (!f) return opened;
  uint8_t hdr[kBatchHeaderSize];
  BatchHeader h;
  if (pread_all(*f, hdr, sizeof(hdr), pos) != ssize_t(sizeof(hdr))) {
    return errno_status("cannot read", log_path(), errno ? errno : EIO);
  }
  Status st = parse_batch_header(hdr, h);
  if (!st.ok()) return Status::Error(Errc::CorruptBatch, log_path() + ": " + st.message);
  const bool at_least_one = continue_at < 0;
  if (h.base_offset >= end_offset) return Status::Ok();
  if (!at_least_one && (h.base_offset != continue_at || h.total_size() > max_bytes)) {
    return Status::Ok();
  }
  size_t len = size_t(std::min<uint64_t>(std::max<uint64_t>(max_bytes, h.total_size()), end - pos));
  const size_t start = out.size();
  out.resize(start + len);
  ssize_t got = pread_all(*f, out.data() + start, len, pos);
  if (got < 0) {
    out.resize(start);
    return errno_status("cannot read", log_path(), errno);
  }
  len = size_t(got);  // shorter if a concurrent truncate cut the file
  cache_.after_read(*f, pos, len);
  // Keep whole batches only (len is within max_bytes, or the first batch).
  const size_t used = whole_batches({out.data() + start, len}, end_offset, SIZE_MAX, next_offset);
  out.resize(start + used);
  appended = used;
  if (used == 0) return Status::Error(Errc::CorruptBatch, log_path() + ": unreadable batch");
  return Status::Ok();
}

Status Segment::read_batches_direct(uint64_t pos, size_t max_bytes, int64_t end_offset,
                                    DirectRead& out, int64_t& next_offset,
                                    bool& unsupported) const {
  out = DirectRead{};
  unsupported = false;
  const uint64_t end = committed_size();
  if (pos + kBatchHeaderSize > end) return Status::Ok();
  size_t want =
      size_t(std::min<uint64_t>(std::max<size_t>(max_bytes, kBatchHeaderSize), end - pos));
  Status st;
  const std::shared_ptr<const int> f = file(&st);
  if (!f) return st;
  DirectRead dr;
  st = direct_read(*f, pos, want, dr, unsupported);
  if (!st.ok() || unsupported) return st;
  BatchHeader h;
  if (dr.bytes.size() < kBatchHeaderSize || !parse_batch_header(dr.bytes, h).ok()) {
    return Status::Error(Errc::CorruptBatch, log_path() + ": unreadable batch");
  }
  if (h.base_offset >= end_offset) return Status::Ok();
  // The first batch is returned whole even when larger than max_bytes.
  if (h.total_size() > dr.bytes.size() && pos + h.total_size() <= end) {
    st = direct_read(*f, pos, h.total_size(), dr, unsupported);
    if (!st.ok() || unsupported) return st;
  }
  // dr.bytes is within max_bytes, or the first batch.
  const size_t used = whole_batches(dr.bytes, end_offset, SIZE_MAX, next_offset);
  if (used == 0) return Status::Error(Errc::CorruptBatch, log_path() + ": unreadable batch");
  out.owner = std::move(dr.owner);
  out.bytes = dr.bytes.first(used);
  return Status::Ok();
}

std::optional<int64_t> Segment::find_timestamp(int64_t ts) const {
  const uint64_t end = committed_size();
  if (end == 0 || max_timestamp() < ts) return std::nullopt;
  const std::shared_ptr<const int> f = file();
  if (!f) return std::nullopt;
  std::optional<uint32_t> rel = time_index_.last_before(ts);
  uint64_t start = rel ? index_.lookup(*rel).pos : 0;
  if (start >= end) start = 0;
  std::optional<int64_t> found;
  scan_batches(*f, start, end, false, base_, INT64_MAX, [&](const BatchHeader& h, uint64_t) {
    if (h.max_timestamp < ts) return true;
    found = h.base_offset;
    return false;
  });
  return found;
}

}  // namespace unimq::storage::journal
