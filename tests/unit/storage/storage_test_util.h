// Helpers shared by the storage tests: temp directories, engines, records, batch walking.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "storage/record_batch.h"
#include "storage/storage_engine.h"
#include "storage/stream.h"

namespace unimq::storage::test {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "unimq-storage-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline StreamConfig small_config(FsyncPolicy fsync = FsyncPolicy::Never) {
  StreamConfig c;
  c.fsync = fsync;
  c.segment_bytes = 1 << 20;
  c.index_interval_bytes = 256;
  return c;
}

inline std::unique_ptr<StorageEngine> open_engine(const std::string& dir,
                                                  Backend backend = Backend::Journal,
                                                  StreamConfig defaults = small_config()) {
  EngineOptions opts;
  opts.data_dir = dir;
  opts.default_backend = backend;
  opts.default_stream = defaults;
  opts.retention_check_ms = 3600 * 1000;  // tests call enforce_retention themselves
  std::unique_ptr<StorageEngine> engine;
  Status st = StorageEngine::open(opts, engine);
  EXPECT_TRUE(st.ok()) << st.message;
  return engine;
}

inline StreamId sid(std::string name = "orders", uint32_t partition = 0) {
  return StreamId{"kafka", std::move(name), partition};
}

// Appends one batch of `count` records "v<i>" with timestamp ts (0 = now); returns its base.
inline int64_t append_values(Stream& s, int count, int64_t ts = 0, const std::string& tag = "v") {
  std::vector<std::string> values;
  for (int i = 0; i < count; ++i) values.push_back(tag + std::to_string(i));
  std::vector<AppendRecord> recs(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    recs[size_t(i)].value = values[size_t(i)];
    recs[size_t(i)].timestamp_ms = ts;
  }
  AppendResult r = s.append_sync(recs);
  EXPECT_TRUE(r.status.ok()) << r.status.message;
  return r.base_offset;
}

// Headers of the batches in a read result, in order.
inline std::vector<BatchHeader> batches_of(const std::vector<uint8_t>& bytes) {
  std::vector<BatchHeader> out;
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty()) {
    BatchHeader h;
    if (!parse_batch_header(rest, h).ok() || h.total_size() > rest.size()) {
      ADD_FAILURE() << "read returned a partial batch";
      break;
    }
    EXPECT_TRUE(validate_batch(rest.first(h.total_size())).ok());
    out.push_back(h);
    rest = rest.subspan(h.total_size());
  }
  return out;
}

// Every record from `from` to the end, by repeated reads.
inline std::vector<Record> read_all(const Stream& s, int64_t from, size_t max_bytes = 1 << 20) {
  std::vector<Record> out;
  int64_t next = from;
  while (next < s.latest_offset()) {
    std::vector<Record> recs;
    Status st = s.read_records(next, max_bytes, recs);
    EXPECT_TRUE(st.ok()) << st.message;
    if (!st.ok() || recs.empty()) break;
    next = recs.back().offset + 1;
    out.insert(out.end(), recs.begin(), recs.end());
  }
  return out;
}

}  // namespace unimq::storage::test
