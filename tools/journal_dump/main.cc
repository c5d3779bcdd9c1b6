// journal_dump: prints journal segments offline - batches, offsets, timestamps, CRC status
// and index consistency. Read-only: never repairs anything (the broker does that on start).
//
//   journal_dump [--records] [--index] PATH...
//     PATH: a <base>.log file, a stream directory, or any directory above (walked
//     recursively, e.g. <data_dir>/journal).
//     --records  also decode and print every record (uncompressed batches)
//     --index    also print every index / time-index entry
// Exit status: 0 if everything is valid, 1 if any batch or index is damaged, 2 on usage or
// I/O errors.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "storage/journal/format.h"
#include "storage/record_batch.h"

namespace fs = std::filesystem;
using namespace unimq::storage;
using namespace unimq::storage::journal;

namespace {

bool g_records = false;
bool g_index = false;
int g_status = 0;

std::string iso_time(int64_t ms) {
  if (ms < 0) return "none";
  time_t secs = time_t(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

std::string preview(const std::optional<std::string>& s) {
  if (!s) return "null";
  std::string out = "\"";
  for (size_t i = 0; i < s->size() && i < 40; ++i) {
    unsigned char c = static_cast<unsigned char>((*s)[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out.push_back(char(c));
    } else {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\x%02x", c);
      out += esc;
    }
  }
  out += s->size() > 40 ? "\"..." : "\"";
  return out + " (" + std::to_string(s->size()) + " bytes)";
}

struct FileMap {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool ok = false;
  explicit FileMap(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "cannot open %s: %s\n", path.c_str(), std::strerror(errno));
      return;
    }
    struct stat st;
    if (::fstat(fd, &st) == 0) size = size_t(st.st_size);
    if (size > 0) {
      void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) data = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
    ok = size == 0 || data != nullptr;
  }
  ~FileMap() {
    if (data) ::munmap(const_cast<uint8_t*>(data), size);
  }
};

// position -> base offset of every valid batch, for index cross-checks.
using BatchMap = std::map<uint64_t, int64_t>;

void dump_index(const std::string& path, int64_t base, const BatchMap& batches) {
  FileMap f(path);
  if (!f.ok) {
    std::printf("  index %s: missing (rebuilt by the broker on start)\n", path.c_str());
    return;
  }
  std::string problem;
  if (f.size % kIndexEntrySize != 0) problem = "size is not a multiple of 8";
  size_t n = f.size / kIndexEntrySize;
  for (size_t i = 0; i < n && problem.empty(); ++i) {
    uint32_t rel = get_be32(f.data + i * 8), pos = get_be32(f.data + i * 8 + 4);
    auto it = batches.find(pos);
    if (g_index)
      std::printf("    index rel=%u offset=%lld pos=%u\n", rel, (long long)(base + rel), pos);
    if (it == batches.end() || it->second != base + rel) {
      problem =
          "entry " + std::to_string(i) + " does not point at batch " + std::to_string(base + rel);
    }
  }
  std::printf("  index entries=%zu %s\n", n, problem.empty() ? "ok" : ("BAD: " + problem).c_str());
  if (!problem.empty()) g_status = 1;
}

void dump_time_index(const std::string& path, int64_t base) {
  FileMap f(path);
  if (!f.ok) {
    std::printf("  timeindex %s: missing\n", path.c_str());
    return;
  }
  std::string problem;
  if (f.size % kTimeIndexEntrySize != 0) problem = "size is not a multiple of 12";
  size_t n = f.size / kTimeIndexEntrySize;
  int64_t prev_ts = INT64_MIN;
  for (size_t i = 0; i < n; ++i) {
    int64_t ts = int64_t(get_be64(f.data + i * 12));
    uint32_t rel = get_be32(f.data + i * 12 + 8);
    if (g_index) {
      std::printf("    timeindex ts=%lld (%s) offset=%lld\n", (long long)ts, iso_time(ts).c_str(),
                  (long long)(base + rel));
    }
    if (ts <= prev_ts && problem.empty())
      problem = "timestamps not increasing at entry " + std::to_string(i);
    prev_ts = ts;
  }
  std::printf("  timeindex entries=%zu %s\n", n,
              problem.empty() ? "ok" : ("BAD: " + problem).c_str());
  if (!problem.empty()) g_status = 1;
}

void dump_segment(const std::string& path) {
  int64_t base = 0;
  std::string name = fs::path(path).filename().string();
  if (!parse_segment_file_name(name, base)) {
    std::fprintf(stderr, "%s: not a segment file name (<20 digits>.log)\n", path.c_str());
    g_status = std::max(g_status, 2);
    return;
  }
  FileMap f(path);
  if (!f.ok) {
    g_status = 2;
    return;
  }
  std::printf("segment %s base=%lld bytes=%zu\n", path.c_str(), (long long)base, f.size);
  BatchMap batches;
  uint64_t pos = 0;
  int64_t next = base, records = 0, max_ts = -1;
  std::string stop;
  while (pos < f.size) {
    BatchHeader h;
    std::span<const uint8_t> rest(f.data + pos, f.size - pos);
    Status st = parse_batch_header(rest, h);
    if (!st.ok()) {
      stop = st.message;
      break;
    }
    if (h.total_size() > rest.size()) {
      stop = "torn batch: needs " + std::to_string(h.total_size()) + " bytes, " +
             std::to_string(rest.size()) + " left";
      break;
    }
    std::span<const uint8_t> batch = rest.first(h.total_size());
    const bool crc_ok = validate_batch(batch).ok();
    const bool order_ok = h.base_offset >= next;
    std::printf(
        "  batch offset=%lld..%lld count=%d pos=%llu size=%zu crc=%s%s attrs=0x%x "
        "compression=%d ts_type=%s base_ts=%s max_ts=%s producer=%lld/%d seq=%d%s%s\n",
        (long long)h.base_offset, (long long)h.last_offset(), h.record_count,
        (unsigned long long)pos, h.total_size(), crc_ok ? "ok" : "BAD",
        order_ok ? "" : " OFFSET-OUT-OF-ORDER", unsigned(uint16_t(h.attributes)), h.compression(),
        (h.attributes & 0x8) ? "log-append" : "create", iso_time(h.base_timestamp).c_str(),
        iso_time(h.max_timestamp).c_str(), (long long)h.producer_id, h.producer_epoch,
        h.base_sequence, (h.attributes & 0x10) ? " transactional" : "",
        (h.attributes & 0x20) ? " control" : "");
    if (!crc_ok || !order_ok) {
      stop = crc_ok ? "offsets go backwards" : "CRC32C mismatch";
      break;
    }
    if (g_records) {
      std::vector<Record> recs;
      Status ds = decode_batch(batch, recs);
      if (!ds.ok()) std::printf("    (records not decoded: %s)\n", ds.message.c_str());
      for (const Record& r : recs) {
        std::printf("    record offset=%lld ts=%s key=%s value=%s headers=%zu\n",
                    (long long)r.offset, iso_time(r.timestamp_ms).c_str(), preview(r.key).c_str(),
                    preview(r.value).c_str(), r.headers.size());
      }
    }
    batches[pos] = h.base_offset;
    records += h.record_count;
    max_ts = std::max(max_ts, h.max_timestamp);
    next = h.last_offset() + 1;
    pos += h.total_size();
  }
  std::printf("  summary batches=%zu records=%lld next_offset=%lld max_ts=%s valid_bytes=%llu",
              batches.size(), (long long)records, (long long)next, iso_time(max_ts).c_str(),
              (unsigned long long)pos);
  if (!stop.empty()) {
    std::printf(" INVALID_TAIL bytes=%llu reason=\"%s\"", (unsigned long long)(f.size - pos),
                stop.c_str());
    g_status = 1;
  }
  std::printf("\n");
  const std::string stem = path.substr(0, path.size() - std::strlen(kLogSuffix));
  if (fs::exists(stem + kIndexSuffix) || fs::exists(stem + kTimeIndexSuffix)) {
    dump_index(stem + kIndexSuffix, base, batches);
    dump_time_index(stem + kTimeIndexSuffix, base);
  } else {
    std::printf("  no index files (active segment, or rebuilt on start)\n");
  }
}

void dump_path(const fs::path& p) {
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) {
    dump_segment(p.string());
    return;
  }
  if (!fs::is_directory(p, ec)) {
    std::fprintf(stderr, "%s: no such file or directory\n", p.c_str());
    g_status = 2;
    return;
  }
  std::vector<fs::path> logs, dirs;
  for (const auto& e : fs::directory_iterator(p, ec)) {
    int64_t base;
    if (e.is_directory()) dirs.push_back(e.path());
    if (e.is_regular_file() && parse_segment_file_name(e.path().filename().string(), base)) {
      logs.push_back(e.path());
    }
  }
  std::sort(logs.begin(), logs.end());
  std::sort(dirs.begin(), dirs.end());
  if (!logs.empty()) {
    std::printf("stream %s", p.c_str());
    FILE* f = std::fopen((p / kLogStartFileName).c_str(), "r");
    long long start = 0;
    if (f && std::fscanf(f, "%lld", &start) == 1) std::printf(" log_start_offset=%lld", start);
    if (f) std::fclose(f);
    std::printf(" segments=%zu\n", logs.size());
  }
  for (const auto& l : logs) dump_segment(l.string());
  for (const auto& d : dirs) dump_path(d);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--records") {
      g_records = true;
    } else if (a == "--index") {
      g_index = true;
    } else if (a == "-h" || a == "--help" || a.starts_with("--")) {
      std::fprintf(stderr, "usage: journal_dump [--records] [--index] PATH...\n");
      return a.starts_with("--h") || a == "-h" ? 0 : 2;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr, "usage: journal_dump [--records] [--index] PATH...\n");
    return 2;
  }
  for (const auto& p : paths) dump_path(p);
  return g_status;
}
