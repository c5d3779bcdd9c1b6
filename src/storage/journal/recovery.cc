#include "storage/journal/recovery.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "storage/journal/file_util.h"
#include "storage/journal/format.h"

namespace unimq::storage::journal {

namespace {

// Whether [pos, size) is a direct write's padding: zeros from pos to the end of its block.
// A batch torn inside its first 8 bytes (the base offset, often zero-led) at a block end could
// look so, but a write to an older segment is never torn by kill -9: a roll starts only after
// the writes before it finished.
bool is_padding(int fd, uint64_t pos, uint64_t size) {
  constexpr uint64_t kBlock = 4096;  // DirectWriter::kBlock
  if (size <= pos || size % kBlock != 0 || size - pos >= kBlock) return false;
  uint8_t buf[kBlock];
  const size_t n = size_t(size - pos);
  if (pread_all(fd, buf, n, pos) != ssize_t(n)) return false;
  return std::all_of(buf, buf + n, [](uint8_t b) { return b == 0; });
}

}  // namespace

ScanEnd scan_batches(int fd, uint64_t pos, uint64_t end, bool check_crc, int64_t min_offset,
                     int64_t max_offset,
                     const std::function<bool(const BatchHeader&, uint64_t)>& fn) {
  // Header walks read small chunks; CRC scans stream big ones.
  std::vector<uint8_t> buf(check_crc ? (1u << 20) : (16u << 10));
  uint64_t buf_start = pos;
  size_t buf_len = 0;
  auto ensure = [&](uint64_t p, size_t n) -> bool {
    if (p >= buf_start && p + n <= buf_start + buf_len) return true;
    if (n > buf.size()) buf.resize(n);
    size_t want = size_t(std::min<uint64_t>(buf.size(), end - p));
    ssize_t got = pread_all(fd, buf.data(), want, p);
    buf_start = p;
    buf_len = got < 0 ? 0 : size_t(got);
    return buf_len >= n;
  };
  ScanEnd out;
  while (pos < end) {
    out.pos = pos;
    if (end - pos < kBatchHeaderSize) {
      out.error = "torn batch header at position " + std::to_string(pos);
      return out;
    }
    if (!ensure(pos, kBatchHeaderSize)) {
      out.error = "short read at position " + std::to_string(pos) + ": " + std::strerror(errno);
      return out;
    }
    const uint8_t* p = buf.data() + (pos - buf_start);
    BatchHeader h;
    Status st = parse_batch_header({p, kBatchHeaderSize}, h);
    if (!st.ok()) {
      out.error = st.message + " at position " + std::to_string(pos);
      return out;
    }
    const uint64_t total = h.total_size();
    if (total > end - pos) {
      out.error = "torn batch at position " + std::to_string(pos) + " (" + std::to_string(total) +
                  " bytes, " + std::to_string(end - pos) + " left)";
      return out;
    }
    if (h.base_offset < min_offset || h.last_offset() > max_offset) {
      out.error = "offset " + std::to_string(h.base_offset) + " out of order at position " +
                  std::to_string(pos);
      return out;
    }
    if (check_crc) {
      if (!ensure(pos, size_t(total))) {
        out.error = "short read at position " + std::to_string(pos);
        return out;
      }
      p = buf.data() + (pos - buf_start);
      if (crc32c(p + kBatchCrcCoveredFrom, total - kBatchCrcCoveredFrom) != h.crc) {
        out.error = "CRC32C mismatch at position " + std::to_string(pos);
        return out;
      }
    }
    if (!fn(h, pos)) return out;
    min_offset = h.last_offset() + 1;
    pos += total;
  }
  out.pos = pos;
  return out;
}

Status Segment::recover(bool full, SegmentRecovery& info) {
  struct stat sb;
  if (::fstat(*fd_, &sb) != 0) return errno_status("cannot stat", log_path(), errno);
  bool trust = false;
  if (full) {
    // The active segment's index is rebuilt from the log; stale files must never be
    // trusted later, when this segment has been rolled.
    remove_file(index_path());
    remove_file(time_index_path());
  } else {
    std::string why;
    if (!index_.load_file(index_path(), uint64_t(sb.st_size), why)) {
      info.reason = "offset index: " + why;
    } else if (index_.empty() && sb.st_size > 0) {
      info.reason = "offset index is empty";
    } else if (!time_index_.load_file(time_index_path(), UINT32_MAX, why)) {
      info.reason = "time index: " + why;
    } else {
      trust = true;
    }
    if (!trust) info.index_rebuilt = true;
  }
  if (!trust) {
    index_.clear();
    time_index_.clear();
  }
  return rebuild_tail(trust, true, info);
}

Status Segment::rebuild_tail(bool trust, bool check_crc, SegmentRecovery& info) {
  struct stat sb;
  if (::fstat(*fd_, &sb) != 0) return errno_status("cannot stat", log_path(), errno);
  const uint64_t file_size = uint64_t(sb.st_size);
  const int64_t roll_base = st_.roll_base_ms;
  st_ = SegmentState{};
  st_.next_offset = base_;
  st_.roll_base_ms = roll_base;
  size_t trusted_entries = 0;
  if (trust && !index_.empty()) {
    OffsetIndex::Entry e = index_.last();
    uint8_t hdr[kBatchHeaderSize];
    BatchHeader h;
    if (pread_all(*fd_, hdr, sizeof(hdr), e.pos) == ssize_t(sizeof(hdr)) &&
        parse_batch_header(hdr, h).ok() && h.base_offset == base_ + e.rel) {
      // Resume at the last entry: drop it and re-derive it (and what follows) by scanning.
      trusted_entries = index_.size();
      index_.resize(index_.size() - 1);
      time_index_.drop_after(e.rel);
      auto last_time = time_index_.last();
      st_.size = e.pos;
      st_.next_offset = base_ + e.rel;
      st_.max_timestamp = last_time ? last_time->timestamp : -1;
      st_.bytes_since_index = UINT64_MAX;  // force an index point at the resumed batch
    } else {
      info.index_rebuilt = true;
      info.reason = "last index entry does not point at a batch";
      index_.clear();
      time_index_.clear();
    }
  } else {
    index_.clear();
    time_index_.clear();
  }
  ScanEnd end = scan_batches(*fd_, st_.size, file_size, check_crc, st_.next_offset,
                             base_ + int64_t(UINT32_MAX), [&](const BatchHeader& h, uint64_t) {
                               on_batch(h, uint32_t(h.total_size()));
                               return true;
                             });
  if (!end.error.empty()) {
    info.truncated_bytes = file_size - end.pos;
    info.reason = end.error;
    info.padding_only = is_padding(*fd_, end.pos, file_size);
    if (::ftruncate(*fd_, off_t(end.pos)) != 0) {
      return errno_status("cannot truncate", log_path(), errno);
    }
  }
  if (index_.size() > trusted_entries && trusted_entries > 0) info.index_rebuilt = true;
  st_.index_entries = index_.size();
  st_.time_entries = time_index_.size();
  publish();
  synced_size_.store(st_.size);
  return Status::Ok();
}

int64_t read_log_start(const std::string& dir) {
  std::string text;
  if (!read_small_file(dir + "/" + kLogStartFileName, text).ok()) return 0;
  try {
    return std::max<int64_t>(0, std::stoll(text));
  } catch (...) {
    spdlog::warn("journal: ignoring unreadable {} in {}", kLogStartFileName, dir);
    return 0;
  }
}

namespace {

Status list_segments(const std::string& dir, std::vector<int64_t>& bases) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return errno_status("cannot list", dir, errno);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  for (const std::string& n : names) {
    int64_t base;
    if (parse_segment_file_name(n, base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  // Leftovers: temp files of interrupted atomic writes, indexes without a log.
  for (const std::string& n : names) {
    bool orphan_index = false;
    for (const char* suffix : {kIndexSuffix, kTimeIndexSuffix}) {
      if (!n.ends_with(suffix)) continue;
      std::string log = n.substr(0, n.size() - std::strlen(suffix)) + kLogSuffix;
      orphan_index = ::access((dir + "/" + log).c_str(), F_OK) != 0;
    }
    if (orphan_index || n.ends_with(".tmp")) remove_file(dir + "/" + n);
  }
  return Status::Ok();
}

}  // namespace

Status recover_stream_dir(const std::string& dir, const std::string& stream_name,
                          uint32_t index_interval, std::vector<std::shared_ptr<Segment>>& segments,
                          StreamRecovery& stats) {
  segments.clear();
  std::vector<int64_t> bases;
  Status st = list_segments(dir, bases);
  if (!st.ok()) return st;
  const int64_t log_start = read_log_start(dir);
  auto drop_from = [&](size_t from) {
    for (size_t k = from; k < bases.size(); ++k) {
      std::shared_ptr<Segment> seg;
      if (Segment::open(dir, bases[k], index_interval, seg).ok()) seg->remove_files();
      ++stats.segments_dropped;
    }
    if (from < bases.size()) {
      spdlog::warn("journal: stream={} dropped {} segment(s) from base={} on", stream_name,
                   bases.size() - from, bases[from]);
    }
  };
  bool active_scanned = false;
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    if (!segments.empty() && bases[i] < segments.back()->next_offset()) {
      spdlog::warn("journal: stream={} segment={} overlaps the previous one", stream_name,
                   bases[i]);
      drop_from(i);
      break;
    }
    std::shared_ptr<Segment> seg;
    st = Segment::open(dir, bases[i], index_interval, seg);
    if (!st.ok()) return st;
    SegmentRecovery info;
    st = seg->recover(last, info);
    if (!st.ok()) return st;
    if (info.index_rebuilt) {
      ++stats.indexes_rebuilt;
      spdlog::warn("journal: stream={} segment={} index rebuilt: {}", stream_name, bases[i],
                   info.reason);
    }
    if (info.padding_only) {
      spdlog::info("journal: stream={} segment={} cut {} bytes of zero padding", stream_name,
                   bases[i], info.truncated_bytes);
    } else if (info.truncated_bytes > 0) {
      stats.truncated_bytes += info.truncated_bytes;
      spdlog::warn("journal: stream={} segment={} truncated bytes={}: {}", stream_name, bases[i],
                   info.truncated_bytes, info.reason);
    }
    if (!last && info.truncated_bytes > 0 && !info.padding_only) {
      // A hole in an older segment: later segments cannot follow it (Kafka does the same).
      if (seg->committed_size() > 0) segments.push_back(seg);
      drop_from(i + 1);
      break;
    }
    if (!last && seg->committed_size() == 0) {
      seg->remove_files();  // an empty older segment holds nothing
      ++stats.segments_dropped;
      continue;
    }
    segments.push_back(seg);
    if (last) {
      active_scanned = true;
    } else {
      st = seg->seal(info.index_rebuilt);
      if (!st.ok()) spdlog::warn("journal: stream={} {}", stream_name, st.message);
    }
  }
  if (segments.empty()) {
    std::shared_ptr<Segment> seg;
    int64_t base = std::max<int64_t>(log_start, bases.empty() ? 0 : bases.front());
    st = Segment::create(dir, base, index_interval, seg);
    if (!st.ok()) return st;
    segments.push_back(seg);
  } else if (!active_scanned) {
    // The tail was cut inside an older segment: it is the active one again.
    st = segments.back()->truncate_to(segments.back()->committed_size());
    if (!st.ok()) return st;
  }
  stats.segments = segments.size();
  stats.next_offset = segments.back()->next_offset();
  stats.log_start_offset =
      std::clamp(log_start, segments.front()->base_offset(), stats.next_offset);
  return Status::Ok();
}

}  // namespace unimq::storage::journal
