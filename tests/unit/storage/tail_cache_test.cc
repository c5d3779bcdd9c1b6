// The journal's tail cache (journal/tail_cache.h): reads at the tail are served from the
// chunks just written, byte for byte what the disk holds, only while the stream has readers,
// within its memory bound, and never after a truncation rewrote the offsets.
#include "storage/journal/tail_cache.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "storage/journal/journal_stream.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

using journal::JournalStream;
using journal::TailCache;

JournalStream& js(const std::shared_ptr<Stream>& s) { return dynamic_cast<JournalStream&>(*s); }

struct Probe {
  int64_t offset;
  size_t max_bytes;
};

TEST(TailCache, TailReadsComeFromMemoryAndMatchWhatTheDiskHolds) {
  TempDir dir;
  std::vector<Probe> probes;
  std::vector<ReadResult> cached;
  {
    auto engine = open_engine(dir.path());  // 1 MiB segments: the cache spans rolls
    auto s = engine->get_or_create(sid());
    (void)s->read(0, 1);  // a reader: the stream starts keeping what it writes
    for (int i = 0; i < 400; ++i) {
      const int count = 1 + i % 9;
      const std::string tag(size_t(1 + (i * 37) % 3000), char('a' + i % 26));
      const int64_t base = append_values(*s, count, 0, tag);
      // The batch just written, from its first, middle and last record, with budgets below,
      // at and above its size (a read returns at least one whole batch).
      for (const size_t max : {size_t(1), size_t(4000), size_t(20000), size_t(1) << 20}) {
        for (const int64_t at : {base, base + count / 2, base + count - 1}) {
          probes.push_back({at, max});
          // And from an older batch, to cross several batches and chunks.
          probes.push_back({std::max<int64_t>(0, base - 7), max});
        }
      }
      for (size_t p = cached.size(); p < probes.size(); ++p)
        cached.push_back(s->read(probes[p].offset, probes[p].max_bytes));
    }
    EXPECT_GT(js(s).tail_cache().hits(), probes.size() / 2);
    EXPECT_GT(js(s).tail_cache().bytes(), 0u);
  }
  // Reopened, every read comes from the files.
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  for (size_t p = 0; p < probes.size(); ++p) {
    ASSERT_TRUE(cached[p].status.ok()) << cached[p].status.message;
    const ReadResult disk = s->read(probes[p].offset, probes[p].max_bytes);
    ASSERT_TRUE(disk.status.ok());
    // The log has grown since: the read then is a prefix of the read now, and the same read
    // when it stopped for the budget rather than at the end of the log.
    const auto& then = cached[p];
    ASSERT_LE(then.bytes.size(), disk.bytes.size()) << "offset " << probes[p].offset;
    ASSERT_TRUE(std::equal(then.bytes.begin(), then.bytes.end(), disk.bytes.begin()))
        << "offset " << probes[p].offset << " max " << probes[p].max_bytes;
    if (then.next_offset < then.high_watermark) {
      ASSERT_EQ(then.bytes.size(), disk.bytes.size())
          << "offset " << probes[p].offset << " max " << probes[p].max_bytes;
      ASSERT_EQ(then.next_offset, disk.next_offset) << "offset " << probes[p].offset;
    }
  }
  EXPECT_EQ(js(s).tail_cache().hits(), 0u);
}

// read_cached() is what an event loop may call: it answers from memory or not at all, and
// what it answers is what read() would.
TEST(TailCache, ReadCachedNeverTouchesTheFilesAndAgreesWithRead) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  for (int i = 0; i < 20; ++i) append_values(*s, 5);  // no reader yet: nothing cached
  ASSERT_FALSE(s->read_cached(0, 1 << 20).has_value());
  ASSERT_FALSE(s->read_cached(97, 1).has_value());
  // Out of range or at the end: an answer without data (no disk needed to say so).
  auto end = s->read_cached(100, 1 << 20);
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE(end->status.ok());
  EXPECT_TRUE(end->bytes.empty());
  EXPECT_EQ(end->high_watermark, 100);
  auto past = s->read_cached(101, 1 << 20);
  ASSERT_TRUE(past.has_value());
  EXPECT_EQ(past->status.code, Errc::OffsetOutOfRange);
  // The reads above were reader interest: what is written now is cached.
  for (int i = 0; i < 20; ++i) append_values(*s, 5);
  for (int64_t at : {int64_t(100), int64_t(117), int64_t(199)}) {
    auto c = s->read_cached(at, 1 << 20);
    ASSERT_TRUE(c.has_value()) << at;
    const ReadResult r = s->read(at, 1 << 20);
    ASSERT_TRUE(c->status.ok());
    EXPECT_EQ(c->bytes, r.bytes) << at;
    EXPECT_EQ(c->next_offset, 200);
  }
  EXPECT_FALSE(s->read_cached(99, 1 << 20).has_value());  // written before the readers came
}

TEST(TailCache, KeepsNothingForAStreamWithoutReaders) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  for (int i = 0; i < 50; ++i) append_values(*s, 10);
  EXPECT_EQ(js(s).tail_cache().bytes(), 0u);
  // A reader appears: what is written from then on is kept.
  (void)s->read(0, 1);
  for (int i = 0; i < 5; ++i) append_values(*s, 10);
  EXPECT_GT(js(s).tail_cache().bytes(), 0u);
  const auto recs = read_all(*s, 0);
  EXPECT_EQ(recs.size(), 550u);
}

TEST(TailCache, StaysWithinItsBoundUnderAFastWriter) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  const std::string value(100000, 'z');
  for (int i = 0; i < 300; ++i) {  // 30 MB
    (void)s->read(s->latest_offset(), 1);
    AppendRecord rec;
    rec.value = value;
    ASSERT_TRUE(s->append_sync(std::span<const AppendRecord>(&rec, 1)).status.ok());
    ASSERT_LE(js(s).tail_cache().bytes(), EngineOptions{}.tail_cache_stream_bytes);
  }
  EXPECT_GT(js(s).tail_cache().bytes(), 0u);
  // The newest record comes from memory, the oldest ones (no longer cached) from the files.
  const uint64_t hits = js(s).tail_cache().hits();
  const ReadResult last = s->read(299, 1);
  ASSERT_TRUE(last.status.ok());
  ASSERT_EQ(batches_of(last.bytes).size(), 1u);
  EXPECT_EQ(batches_of(last.bytes)[0].base_offset, 299);
  EXPECT_EQ(js(s).tail_cache().hits(), hits + 1);
  EXPECT_EQ(read_all(*s, 0).size(), 300u);
}

// storage.tail_cache_stream_bytes and storage.tail_cache_bytes: one ring's size, and the rings
// an engine may hold at once (a stream beyond them reads from the files, still correctly).
TEST(TailCache, RingSizeAndEngineBudgetAreConfigurable) {
  TempDir dir;
  EngineOptions opts;
  opts.data_dir = dir.path();
  opts.default_stream = small_config();
  opts.tail_cache_stream_bytes = 256 << 10;
  opts.tail_cache_bytes = 512 << 10;  // two rings
  std::unique_ptr<StorageEngine> engine;
  ASSERT_TRUE(StorageEngine::open(opts, engine).ok());
  std::vector<std::shared_ptr<Stream>> streams;
  for (uint32_t p = 0; p < 3; ++p) {
    streams.push_back(engine->get_or_create(StreamId{"test", "budget", p}));
    (void)streams.back()->read(0, 1);  // a reader on every stream
  }
  const std::string value(10000, 'v');
  for (int i = 0; i < 100; ++i) {  // 1 MB per stream: each ring wraps several times
    for (auto& s : streams) {
      (void)s->read(s->latest_offset(), 1);  // still a reader, however slow the disk
      append_values(*s, 1, 0, value);
    }
  }
  EXPECT_GT(js(streams[0]).tail_cache().bytes(), 0u);
  EXPECT_GT(js(streams[1]).tail_cache().bytes(), 0u);
  EXPECT_EQ(js(streams[2]).tail_cache().bytes(), 0u);  // over the budget: no ring
  for (auto& s : streams) {
    EXPECT_LE(js(s).tail_cache().bytes(), size_t(256) << 10);
    EXPECT_EQ(read_all(*s, 0).size(), 100u);
  }
  // Once a stream loses its readers its ring goes back to the budget for another one. Only
  // streams[2] is read from now on (read_all above was the last read of the others).
  std::this_thread::sleep_for(std::chrono::milliseconds(journal::TailCache::kInterestMs + 100));
  (void)streams[2]->read(streams[2]->latest_offset(), 1);
  for (auto& s : {streams[0], streams[1], streams[2]}) append_values(*s, 1, 0, value);
  EXPECT_EQ(js(streams[0]).tail_cache().bytes(), 0u);
  EXPECT_EQ(js(streams[1]).tail_cache().bytes(), 0u);
  EXPECT_GT(js(streams[2]).tail_cache().bytes(), 0u);
}

TEST(TailCache, ZeroRingBytesTurnsTheCacheOff) {
  TempDir dir;
  EngineOptions opts;
  opts.data_dir = dir.path();
  opts.default_stream = small_config();
  opts.tail_cache_stream_bytes = 0;
  std::unique_ptr<StorageEngine> engine;
  ASSERT_TRUE(StorageEngine::open(opts, engine).ok());
  auto s = engine->get_or_create(sid());
  (void)s->read(0, 1);
  for (int i = 0; i < 20; ++i) append_values(*s, 5);
  EXPECT_EQ(js(s).tail_cache().bytes(), 0u);
  EXPECT_FALSE(s->read_cached(50, 1 << 20).has_value());
  EXPECT_EQ(read_all(*s, 0).size(), 100u);
}

TEST(TailCache, TruncationDropsCachedBatchesSoRewrittenOffsetsReadTheNewRecords) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  (void)s->read(0, 1);
  for (int i = 0; i < 10; ++i) append_values(*s, 1, 0, "old");
  ASSERT_EQ(read_all(*s, 0).size(), 10u);
  ASSERT_TRUE(s->truncate(5).ok());
  EXPECT_EQ(js(s).tail_cache().bytes(), 0u);
  for (int i = 0; i < 5; ++i) append_values(*s, 1, 0, "new");
  const auto recs = read_all(*s, 0);
  ASSERT_EQ(recs.size(), 10u);
  for (size_t i = 0; i < recs.size(); ++i)
    EXPECT_EQ(recs[i].value, i < 5 ? "old0" : "new0") << "offset " << i;
  EXPECT_GT(js(s).tail_cache().bytes(), 0u);
}

}  // namespace
}  // namespace unimq::storage::test
