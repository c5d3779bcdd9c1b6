// Start-up recovery: torn and corrupt tails, damaged indexes, corrupt older segments, bad
// data directories.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "storage/journal/format.h"
#include "storage/journal/journal_stream.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

namespace fs = std::filesystem;
using journal::JournalStream;

std::string stream_dir(const std::string& dir) { return dir + "/journal/kafka/orders-0"; }
std::string seg_file(const std::string& dir, int64_t base, const char* suffix) {
  return stream_dir(dir) + "/" + journal::segment_file_name(base, suffix);
}
std::vector<int64_t> bases(const std::shared_ptr<Stream>& s) {
  return dynamic_cast<JournalStream&>(*s).segment_bases();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

StreamConfig cfg_with_segment(uint64_t bytes) {
  StreamConfig c = small_config();
  c.segment_bytes = bytes;
  c.index_interval_bytes = 100;
  return c;
}

// Writes `batches` batches of 1-3 records "r<i>-<k>"; returns the position of each batch
// inside its segment file.
void fill(const std::string& dir, const StreamConfig& cfg, int batches) {
  auto engine = open_engine(dir, Backend::Journal, cfg);
  auto s = engine->get_or_create(sid(), &cfg);
  for (int i = 0; i < batches; ++i)
    append_values(*s, 1 + i % 3, 1000 + i, "r" + std::to_string(i) + "-");
}

// fill(), then the segments it made (their base offsets).
std::vector<int64_t> fill_segments(const std::string& dir, const StreamConfig& cfg, int batches) {
  fill(dir, cfg, batches);
  auto engine = open_engine(dir, Backend::Journal, cfg);
  return bases(engine->get_or_create(sid(), &cfg));
}

// Offsets of the first n batches written by fill().
int64_t offsets_of(int n) {
  int64_t o = 0;
  for (int i = 0; i < n; ++i) o += 1 + i % 3;
  return o;
}

// The last batch is cut at every byte inside it, and separately overwritten with garbage:
// recovery must keep exactly the batches before it and continue at the right offset.
TEST(Recovery, TornTailAtEveryByteOfTheLastBatch) {
  TempDir dir;
  const StreamConfig cfg = cfg_with_segment(600);  // several segments
  const int n = 20;
  const std::vector<int64_t> segs = fill_segments(dir.path(), cfg, n);
  ASSERT_GE(segs.size(), 3u);
  const std::string last = seg_file(dir.path(), segs.back(), ".log");
  const std::string original = slurp(last);
  // Position of the last batch in the active segment.
  size_t pos = 0, last_pos = 0;
  while (pos < original.size()) {
    BatchHeader h;
    ASSERT_TRUE(
        parse_batch_header(
            {reinterpret_cast<const uint8_t*>(original.data()) + pos, original.size() - pos}, h)
            .ok());
    last_pos = pos;
    pos += h.total_size();
  }
  ASSERT_EQ(pos, original.size());
  const int64_t expect_end = offsets_of(n - 1);
  std::mt19937 rng(1);
  for (size_t cut = last_pos; cut < original.size() + (original.size() - last_pos); ++cut) {
    std::string damaged;
    if (cut < original.size()) {
      damaged = original.substr(0, cut);  // torn write
    } else {
      // Garbage over the tail of the last batch (a different split each round).
      damaged = original;
      size_t from = last_pos + (cut - original.size());
      for (size_t i = from; i < damaged.size(); ++i) damaged[i] = char(rng());
      if (from + 8 >= damaged.size()) damaged.back() ^= 0x5A;  // always damage something
    }
    spit(last, damaged);
    auto engine = open_engine(dir.path(), Backend::Journal, cfg);
    auto s = engine->get_or_create(sid(), &cfg);
    ASSERT_EQ(s->latest_offset(), expect_end) << "cut at " << cut;
    ASSERT_EQ(fs::file_size(last), last_pos) << "cut at " << cut;
    if (cut % 7 == 0) {  // full read-back on a sample (it is the slow part)
      std::vector<Record> all = read_all(*s, 0);
      ASSERT_EQ(int64_t(all.size()), expect_end);
      EXPECT_EQ(all.back().value, "r" + std::to_string(n - 2) + "-" + std::to_string((n - 2) % 3));
    }
    AppendResult r = s->append_sync(std::vector<AppendRecord>(1));
    ASSERT_TRUE(r.status.ok());
    ASSERT_EQ(r.base_offset, expect_end);
    engine.reset();
    spit(last, original);  // fresh copy for the next cut
  }
}

TEST(Recovery, GarbageAndZerosAfterTheLastBatchAreCut) {
  for (char fill_byte : {'\0', '\x42'}) {
    TempDir dir;
    const StreamConfig cfg = cfg_with_segment(1 << 20);
    fill(dir.path(), cfg, 5);
    const std::string log = seg_file(dir.path(), 0, ".log");
    const auto size = fs::file_size(log);
    spit(log, slurp(log) + std::string(4096, fill_byte));  // e.g. preallocated blocks
    auto engine = open_engine(dir.path(), Backend::Journal, cfg);
    auto s = engine->get_or_create(sid(), &cfg);
    EXPECT_EQ(s->latest_offset(), offsets_of(5));
    EXPECT_EQ(fs::file_size(log), size);
    EXPECT_EQ(int64_t(read_all(*s, 0).size()), offsets_of(5));
  }
}

// Damaged index files of sealed segments are detected and rebuilt; lookups stay correct.
TEST(Recovery, MissingOrCorruptIndexesAreRebuilt) {
  enum Damage { kMissingIndex, kMissingTime, kGarbageIndex, kOddSize, kBeyondLog, kStale };
  for (Damage d : {kMissingIndex, kMissingTime, kGarbageIndex, kOddSize, kBeyondLog, kStale}) {
    TempDir dir;
    const StreamConfig cfg = cfg_with_segment(700);
    fill(dir.path(), cfg, 30);
    const std::string idx = seg_file(dir.path(), 0, ".index");
    const std::string tidx = seg_file(dir.path(), 0, ".timeindex");
    ASSERT_TRUE(fs::exists(idx));
    const std::string good_idx = slurp(idx), good_tidx = slurp(tidx);
    ASSERT_GE(good_idx.size(), 16u);
    switch (d) {
      case kMissingIndex:
        fs::remove(idx);
        break;
      case kMissingTime:
        fs::remove(tidx);
        break;
      case kGarbageIndex:
        spit(idx, std::string(good_idx.size(), '\x7f'));
        break;
      case kOddSize:
        spit(idx, good_idx.substr(0, good_idx.size() - 3));
        break;
      case kBeyondLog: {
        std::string bad = good_idx;
        bad[bad.size() - 4] = '\x10';  // last entry's position far beyond the file
        spit(idx, bad);
        break;
      }
      case kStale:  // an index "behind" the log: only its first entry survives
        spit(idx, good_idx.substr(0, 8));
        spit(tidx, good_tidx.substr(0, 12));
        break;
    }
    auto engine = open_engine(dir.path(), Backend::Journal, cfg);
    auto s = engine->get_or_create(sid(), &cfg);
    EXPECT_EQ(s->latest_offset(), offsets_of(30)) << d;
    EXPECT_EQ(slurp(idx), good_idx) << "index rebuilt identically, damage " << d;
    EXPECT_EQ(slurp(tidx), good_tidx) << "time index rebuilt identically, damage " << d;
    for (int64_t o = 0; o < s->latest_offset(); ++o) {
      std::vector<BatchHeader> hs = batches_of(s->read(o, 1).bytes);
      ASSERT_EQ(hs.size(), 1u);
      ASSERT_LE(hs[0].base_offset, o);
      ASSERT_GE(hs[0].last_offset(), o);
    }
    for (int i = 0; i < 30; ++i) EXPECT_EQ(s->offset_for_timestamp(1000 + i), offsets_of(i));
  }
}

// A corrupt batch in an older segment (found because its index is gone and it is
// rescanned): the log is cut there and every later segment dropped, like Kafka.
TEST(Recovery, CorruptOlderSegmentCutsTheLogThere) {
  TempDir dir;
  const StreamConfig cfg = cfg_with_segment(600);
  const std::vector<int64_t> segs = fill_segments(dir.path(), cfg, 30);
  ASSERT_GE(segs.size(), 4u);
  const std::string log = seg_file(dir.path(), segs[1], ".log");
  std::string data = slurp(log);
  // Damage the second batch of segment 1.
  BatchHeader h;
  ASSERT_TRUE(
      parse_batch_header({reinterpret_cast<const uint8_t*>(data.data()), data.size()}, h).ok());
  const size_t second = h.total_size();
  data[second + kBatchHeaderSize + 2] ^= 0x01;
  spit(log, data);
  fs::remove(seg_file(dir.path(), segs[1], ".index"));
  auto engine = open_engine(dir.path(), Backend::Journal, cfg);
  auto s = engine->get_or_create(sid(), &cfg);
  EXPECT_EQ(bases(s), (std::vector<int64_t>{segs[0], segs[1]}));
  EXPECT_EQ(s->latest_offset(), h.last_offset() + 1);
  EXPECT_EQ(fs::file_size(log), second);
  for (size_t i = 2; i < segs.size(); ++i) {
    EXPECT_FALSE(fs::exists(seg_file(dir.path(), segs[i], ".log"))) << segs[i];
  }
  EXPECT_EQ(s->append_sync(std::vector<AppendRecord>(1)).base_offset, h.last_offset() + 1);
  EXPECT_EQ(int64_t(read_all(*s, 0).size()), h.last_offset() + 2);
}

// A roll acknowledges the group it writes to the new segment before the old one's padding is
// trimmed (the seal's file work comes after the acks), so kill -9 can leave an older segment
// ending in the zeros of its last direct write, with no index files yet. That is padding, not
// a hole: every segment after it, and the acknowledged records in them, stay.
TEST(Recovery, ZeroPaddingOfAnOlderSegmentKeepsTheSegmentsAfterIt) {
  TempDir dir;
  const StreamConfig cfg = cfg_with_segment(600);
  const std::vector<int64_t> segs = fill_segments(dir.path(), cfg, 30);
  ASSERT_GE(segs.size(), 4u);
  const std::string log = seg_file(dir.path(), segs[1], ".log");
  const size_t size = fs::file_size(log);
  ASSERT_NE(size % 4096, 0u);
  spit(log, slurp(log) + std::string(4096 - size % 4096, '\0'));
  fs::remove(seg_file(dir.path(), segs[1], ".index"));
  fs::remove(seg_file(dir.path(), segs[1], ".timeindex"));
  {
    auto engine = open_engine(dir.path(), Backend::Journal, cfg);
    auto s = engine->get_or_create(sid(), &cfg);
    EXPECT_EQ(bases(s), segs);
    EXPECT_EQ(s->latest_offset(), offsets_of(30));
    EXPECT_EQ(int64_t(read_all(*s, 0).size()), offsets_of(30));
    EXPECT_EQ(fs::file_size(log), size);  // the padding is cut
  }
  // Zeros running past that block are no direct write's padding: a hole, cut there.
  spit(log, slurp(log) + std::string(8192, '\0'));
  fs::remove(seg_file(dir.path(), segs[1], ".index"));
  auto engine = open_engine(dir.path(), Backend::Journal, cfg);
  auto s = engine->get_or_create(sid(), &cfg);
  EXPECT_EQ(bases(s), (std::vector<int64_t>{segs[0], segs[1]}));
  EXPECT_EQ(s->latest_offset(), segs[2]);
}

TEST(Recovery, EmptyActiveSegmentAndLeftoversAreHandled) {
  TempDir dir;
  const StreamConfig cfg = cfg_with_segment(1 << 20);
  fill(dir.path(), cfg, 3);
  const int64_t end = offsets_of(3);
  spit(seg_file(dir.path(), end, ".log"), "");  // rolled, then crashed before writing
  spit(seg_file(dir.path(), 999, ".index"), "orphan");
  spit(stream_dir(dir.path()) + "/log-start-offset.tmp", "7");
  auto engine = open_engine(dir.path(), Backend::Journal, cfg);
  auto s = engine->get_or_create(sid(), &cfg);
  EXPECT_EQ(s->latest_offset(), end);
  EXPECT_EQ(append_values(*s, 1), end);
  EXPECT_FALSE(fs::exists(seg_file(dir.path(), 999, ".index")));
  EXPECT_FALSE(fs::exists(stream_dir(dir.path()) + "/log-start-offset.tmp"));
  EXPECT_EQ(bases(s), (std::vector<int64_t>{0, end}));
}

TEST(Recovery, UnwritableDataDirIsAnIoErrorWithPathAndReason) {
  EngineOptions opts;
  opts.data_dir = "/dev/null/x";
  std::unique_ptr<StorageEngine> engine;
  Status st = StorageEngine::open(opts, engine);
  EXPECT_EQ(st.code, Errc::IoError);
  EXPECT_NE(st.message.find("/dev/null"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("Not a directory"), std::string::npos) << st.message;
  EXPECT_EQ(engine, nullptr);
  opts.data_dir = "";
  EXPECT_EQ(StorageEngine::open(opts, engine).code, Errc::InvalidArgument);
  opts.default_backend = Backend::Memory;  // no journal, no directory needed
  EXPECT_TRUE(StorageEngine::open(opts, engine).ok());
}

TEST(Recovery, OneEnginePerDataDir) {
  TempDir dir;
  auto first = open_engine(dir.path());
  EngineOptions opts;
  opts.data_dir = dir.path();
  std::unique_ptr<StorageEngine> second;
  Status st = StorageEngine::open(opts, second);
  EXPECT_EQ(st.code, Errc::IoError);
  EXPECT_NE(st.message.find("locked"), std::string::npos) << st.message;
  first.reset();
  EXPECT_TRUE(StorageEngine::open(opts, second).ok());
}

TEST(Recovery, NewerFormatIsRefused) {
  TempDir dir;
  { open_engine(dir.path()); }
  EXPECT_EQ(slurp(dir.path() + "/journal/FORMAT"), "unimq-journal 1\n");
  spit(dir.path() + "/journal/FORMAT", "unimq-journal 99\n");
  EngineOptions opts;
  opts.data_dir = dir.path();
  std::unique_ptr<StorageEngine> engine;
  Status st = StorageEngine::open(opts, engine);
  EXPECT_EQ(st.code, Errc::InvalidArgument);
  EXPECT_NE(st.message.find("99"), std::string::npos) << st.message;
}

TEST(Recovery, RecoveredStreamTakesItsFirstUsersConfig) {
  TempDir dir;
  fill(dir.path(), cfg_with_segment(1 << 20), 2);
  auto engine = open_engine(dir.path());
  ASSERT_EQ(engine->list("kafka").size(), 1u);  // recovered before anyone asked
  StreamConfig cfg = cfg_with_segment(1);
  cfg.retention_bytes = 12345;
  auto s = engine->get_or_create(sid(), &cfg);
  EXPECT_EQ(s->config().retention_bytes, 12345);
  append_values(*s, 1);
  append_values(*s, 1);
  EXPECT_EQ(bases(s).size(), 3u);  // segment_bytes = 1 now applies
}

}  // namespace
}  // namespace unimq::storage::test
