// Descriptors of sealed segments (journal/segment_files.h): bounded, reopened when read,
// never the active segment's, and a read of a segment deleted meanwhile fails cleanly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>

#include "storage/journal/format.h"
#include "storage/journal/journal_stream.h"
#include "storage/journal/page_cache.h"
#include "storage/journal/segment.h"
#include "storage/journal/segment_files.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

namespace fs = std::filesystem;
using journal::JournalStream;
using journal::Segment;
using journal::SegmentFiles;

JournalStream& js(const std::shared_ptr<Stream>& s) { return dynamic_cast<JournalStream&>(*s); }

// Descriptors of this process open on a .log file under dir, at rest: a page-cache drop
// queued by a read holds its segment's descriptor until the background thread has done it
// (slow under ASan: counted too early, it was one descriptor over the bound).
size_t open_log_files(const std::string& dir) {
  journal::wait_page_cache_drops();
  size_t n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = fs::read_symlink(e.path(), ec).string();
    if (!ec && target.starts_with(dir) && target.ends_with(".log")) ++n;
  }
  return n;
}

// Values of the same width ("r07-0"), so every one-record batch has the same size.
std::string tag(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "r%02d-", i);
  return buf;
}

size_t one_record_batch_size() {
  const std::string value = tag(0) + "0";  // AppendRecord holds a view
  AppendRecord r;
  r.value = value;
  std::vector<uint8_t> b;
  encode_batch(std::span(&r, 1), 1, b);
  return b.size();
}

std::unique_ptr<StorageEngine> open_with_limit(const std::string& dir, uint32_t max_open) {
  EngineOptions opts;
  opts.data_dir = dir;
  opts.default_stream = small_config();
  opts.retention_check_ms = 3600 * 1000;
  opts.max_open_segments = max_open;
  std::unique_ptr<StorageEngine> engine;
  Status st = StorageEngine::open(opts, engine);
  EXPECT_TRUE(st.ok()) << st.message;
  return engine;
}

// 60 one-record batches, 3 a segment: 20 segments, 19 sealed.
std::shared_ptr<Stream> stream_of_20_segments(StorageEngine& engine) {
  StreamConfig cfg = small_config();
  cfg.segment_bytes = 3 * one_record_batch_size();
  auto s = engine.get_or_create(sid(), &cfg);
  for (int i = 0; i < 60; ++i) append_values(*s, 1, 1000 + i, tag(i));
  // Rolled segments are finished (and handed to SegmentFiles) after their group's acks.
  for (int i = 0; i < 1000 && js(s).pending_bytes() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(js(s).segment_bases().size(), 20u);
  return s;
}

// Every record, read in small reads (one segment at a time), as appended.
void expect_all(const Stream& s, size_t n = 60) {
  std::vector<Record> all = read_all(s, 0, 64);
  ASSERT_EQ(all.size(), n);
  for (int i = 0; i < int(n); ++i) {
    EXPECT_EQ(all[size_t(i)].offset, i);
    EXPECT_EQ(all[size_t(i)].value, tag(i) + "0");
  }
}

TEST(SegmentFiles, SealedSegmentsBeyondTheLimitAreClosedAndReopenedWhenRead) {
  TempDir dir;
  auto engine = open_with_limit(dir.path(), 3);
  auto s = stream_of_20_segments(*engine);
  // 3 sealed segments, plus the active one's two descriptors (buffered and O_DIRECT).
  EXPECT_EQ(SegmentFiles::instance().open_files(), 3u);
  EXPECT_LE(open_log_files(dir.path()), 5u);

  const uint64_t reopens = SegmentFiles::instance().reopens_total();
  expect_all(*s);
  EXPECT_GE(SegmentFiles::instance().reopens_total(), reopens + 16);  // most were closed
  EXPECT_LE(open_log_files(dir.path()), 5u);
  // The zero-copy read (O_DIRECT, Kafka's fetch) and the timestamp index reopen them too.
  for (int64_t off : {0, 7, 31, 44}) {
    SharedReadResult r = s->read_shared(off, 1 << 20);
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    ASSERT_FALSE(r.bytes.empty()) << off;
    BatchHeader h;
    ASSERT_TRUE(parse_batch_header(r.bytes, h).ok());
    EXPECT_EQ(h.base_offset, off);
  }
  EXPECT_EQ(s->offset_for_timestamp(1000 + 4), 4);
  EXPECT_EQ(s->offset_for_timestamp(1000 + 59), 59);
  EXPECT_LE(open_log_files(dir.path()), 5u);
  EXPECT_EQ(SegmentFiles::instance().open_files(), 3u);
}

TEST(SegmentFiles, RecoveryOpensEverySegmentButKeepsWithinTheLimit) {
  TempDir dir;
  {
    auto engine = open_with_limit(dir.path(), 0);  // unlimited: all 19 stay open
    auto s = stream_of_20_segments(*engine);
    EXPECT_GE(open_log_files(dir.path()), 20u);
  }
  EXPECT_EQ(open_log_files(dir.path()), 0u);
  auto engine = open_with_limit(dir.path(), 4);
  auto s = engine->get_or_create(sid());
  ASSERT_TRUE(s);
  EXPECT_EQ(js(s).segment_bases().size(), 20u);
  EXPECT_LE(open_log_files(dir.path()), 5u);  // 4 sealed, the active one (no write yet)
  expect_all(*s);
  EXPECT_LE(open_log_files(dir.path()), 5u);
}

TEST(SegmentFiles, LoweringTheLimitClosesDescriptorsAtOnce) {
  TempDir dir;
  auto engine = open_with_limit(dir.path(), 0);
  auto s = stream_of_20_segments(*engine);
  EXPECT_EQ(SegmentFiles::instance().open_files(), 19u);
  SegmentFiles::instance().set_capacity(2);
  EXPECT_EQ(SegmentFiles::instance().open_files(), 2u);
  EXPECT_LE(open_log_files(dir.path()), 4u);
  expect_all(*s);
}

TEST(SegmentFiles, TruncatingIntoAClosedSegmentMakesItActiveAndWritable) {
  TempDir dir;
  {
    auto engine = open_with_limit(dir.path(), 2);
    auto s = stream_of_20_segments(*engine);
    // Offset 10 lies in segment 9, closed long ago: it becomes the active segment again.
    ASSERT_TRUE(s->truncate(10).ok());
    EXPECT_EQ(js(s).segment_bases().back(), 9);
    EXPECT_EQ(s->latest_offset(), 10);
    for (int i = 10; i < 60; ++i) append_values(*s, 1, 1000 + i, tag(i));
    expect_all(*s);
    // However many segments the cache closes meanwhile, the active one keeps its file.
    SegmentFiles::instance().set_capacity(1);
    append_values(*s, 1, 2000, tag(60));
    expect_all(*s, 61);
  }
  auto engine = open_with_limit(dir.path(), 2);
  auto s = engine->get_or_create(sid());
  EXPECT_EQ(s->latest_offset(), 61);
  expect_all(*s, 61);
}

TEST(SegmentFiles, ReadersAndAWriterShareAFewDescriptors) {
  TempDir dir;
  auto engine = open_with_limit(dir.path(), 2);
  auto s = stream_of_20_segments(*engine);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      std::mt19937 rng{static_cast<uint32_t>(t)};
      while (!stop.load()) {
        const int64_t off = int64_t(rng() % 60);
        std::vector<Record> recs;
        Status st;
        if (t % 2) {
          st = s->read_records(off, 64, recs);
        } else {
          SharedReadResult r = s->read_shared(off, 64);  // the O_DIRECT path
          BatchHeader h;
          st = r.status;
          if (st.ok() && parse_batch_header(r.bytes, h).ok())
            st = decode_batch(r.bytes.first(h.total_size()), recs);
        }
        if (!st.ok() || recs.empty() || recs[0].offset > off ||
            recs.back().value != tag(int(recs.back().offset)) + "0") {
          bad.fetch_add(1);
        }
        reads.fetch_add(1);
      }
    });
  }
  // Meanwhile the writer rolls more segments, each handed to the cache when sealed.
  for (int i = 60; i < 150; ++i) append_values(*s, 1, 1000 + i, tag(i));
  while (reads.load() < 4000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_LE(SegmentFiles::instance().open_files(), 2u);
}

// A reader that picked a segment just before retention deleted it, its descriptor closed.
TEST(SegmentFiles, ReadingASegmentDeletedWhileClosedFailsAsOutOfRange) {
  TempDir dir;
  SegmentFiles::instance().set_capacity(1);
  auto sealed_segment = [&](int64_t base) {
    std::shared_ptr<Segment> seg;
    EXPECT_TRUE(Segment::create(dir.path(), base, 256, seg).ok());
    AppendRecord r;
    r.value = "x";
    std::vector<uint8_t> b;
    encode_batch(std::span(&r, 1), 1, b);
    set_base_offset(b, base);
    EXPECT_TRUE(seg->write(b.data(), b.size(), false).ok());
    BatchHeader h;
    EXPECT_TRUE(parse_batch_header(b, h).ok());
    seg->on_batch(h, uint32_t(b.size()));
    seg->publish();
    EXPECT_TRUE(seg->seal().ok());
    return seg;
  };
  auto first = sealed_segment(0);
  auto second = sealed_segment(1);  // closes the first one's descriptor
  EXPECT_EQ(SegmentFiles::instance().open_files(), 1u);
  EXPECT_EQ(open_log_files(dir.path()), 1u);
  first->remove_files();

  Status why;
  EXPECT_FALSE(first->find_position(0, &why).has_value());
  EXPECT_EQ(why.code, Errc::OffsetOutOfRange) << why.message;
  std::vector<uint8_t> out;
  size_t got = 0;
  int64_t next = 0;
  Status st = first->read_batches(0, 1024, -1, 1, out, got, next);
  EXPECT_EQ(st.code, Errc::OffsetOutOfRange) << st.message;
  EXPECT_EQ(got, 0u);
  // The other one still reads.
  EXPECT_EQ(second->find_position(1, &why), std::optional<uint64_t>(0));
}

}  // namespace
}  // namespace unimq::storage::test
