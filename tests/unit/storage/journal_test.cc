// Journal-specific behaviour: segment files, rolling, indexes, zero-copy ranges, retention
// of whole segments, persistence of delete_before/truncate across restarts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "storage/journal/direct_reader.h"
#include "storage/journal/format.h"
#include "storage/journal/journal_stream.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

namespace fs = std::filesystem;
using journal::direct_reads_total;
using journal::JournalStream;

JournalStream& js(const std::shared_ptr<Stream>& s) { return dynamic_cast<JournalStream&>(*s); }

std::string seg_file(const std::string& dir, int64_t base, const char* suffix) {
  return dir + "/journal/kafka/orders-0/" + journal::segment_file_name(base, suffix);
}

// Size of a one-record batch made by append_values (all have the same size).
size_t one_record_batch_size() {
  AppendRecord r;
  r.value = "v0";
  std::vector<uint8_t> b;
  encode_batch(std::span(&r, 1), 1, b);
  return b.size();
}

TEST(Journal, RollsBySizeWithKafkaFileNames) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config();
  cfg.segment_bytes = 3 * one_record_batch_size();
  auto s = engine->get_or_create(sid(), &cfg);
  for (int i = 0; i < 10; ++i) append_values(*s, 1, 1000 + i);
  EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{0, 3, 6, 9}));
  // A rolled-away segment's files are finished after the acks of the group that rolled.
  for (int i = 0; i < 1000 && js(s).pending_bytes() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int64_t base : {0, 3, 6}) {
    EXPECT_EQ(fs::file_size(seg_file(dir.path(), base, ".log")), cfg.segment_bytes);
    EXPECT_TRUE(fs::exists(seg_file(dir.path(), base, ".index"))) << base;
    EXPECT_TRUE(fs::exists(seg_file(dir.path(), base, ".timeindex"))) << base;
  }
  EXPECT_TRUE(fs::exists(seg_file(dir.path(), 9, ".log")));
  EXPECT_FALSE(fs::exists(seg_file(dir.path(), 9, ".index")));  // active: rebuilt on open
  EXPECT_EQ(fs::path(seg_file(dir.path(), 9, ".log")).filename(), "00000000000000000009.log");
  EXPECT_EQ(read_all(*s, 0).size(), 10u);
}

TEST(Journal, RollsByAge) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config();
  cfg.segment_ms = 1;
  auto s = engine->get_or_create(sid(), &cfg);
  append_values(*s, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  append_values(*s, 1);
  EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{0, 1}));

  StreamConfig slow = small_config();  // default segment_ms: a week
  auto s2 = engine->get_or_create(sid("other"), &slow);
  append_values(*s2, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  append_values(*s2, 1);
  EXPECT_EQ(js(s2).segment_bases(), (std::vector<int64_t>{0}));
}

// Every offset of a multi-segment stream is found by read(), read_shared() and (per batch)
// offset_for_timestamp(), with dense and sparse indexes, before and after a restart (which
// loads the sealed segments' index files).
TEST(Journal, EveryOffsetAndTimestampIsFound) {
  for (uint32_t interval : {0u, 300u, 100000u}) {
    TempDir dir;
    StreamConfig cfg = small_config();
    cfg.segment_bytes = 2048;
    cfg.index_interval_bytes = interval;
    std::vector<std::pair<int64_t, int64_t>> batch_ts;  // base offset, timestamp
    for (int round = 0; round < 2; ++round) {
      auto engine = open_engine(dir.path(), Backend::Journal, cfg);
      auto s = engine->get_or_create(sid(), &cfg);
      if (round == 0) {
        for (int i = 0; i < 120; ++i) {
          int64_t ts = 10'000 + i * 10;
          batch_ts.emplace_back(append_values(*s, 1 + i % 4, ts), ts);
        }
      }
      ASSERT_GE(js(s).segment_bases().size(), 4u);
      for (int64_t o = 0; o < s->latest_offset(); ++o) {
        ReadResult r = s->read(o, 1);
        ASSERT_TRUE(r.status.ok()) << o;
        std::vector<BatchHeader> hs = batches_of(r.bytes);
        ASSERT_EQ(hs.size(), 1u);
        ASSERT_LE(hs[0].base_offset, o);
        ASSERT_GE(hs[0].last_offset(), o);
        SharedReadResult sr = s->read_shared(o, 1);
        ASSERT_TRUE(sr.status.ok()) << o;
        ASSERT_EQ(std::vector<uint8_t>(sr.bytes.begin(), sr.bytes.end()), r.bytes) << o;
        ASSERT_EQ(sr.next_offset, r.next_offset);
      }
      for (auto [base, ts] : batch_ts) {
        ASSERT_EQ(s->offset_for_timestamp(ts), base) << ts;
        ASSERT_EQ(s->offset_for_timestamp(ts - 5), base) << ts;
      }
      EXPECT_EQ(s->offset_for_timestamp(batch_ts.back().second + 1), std::nullopt);
    }
  }
}

std::vector<uint8_t> bytes_of(const SharedReadResult& r) {
  return {r.bytes.begin(), r.bytes.end()};
}

// Batches in files come from an O_DIRECT read into the buffer the answer points at: whole
// batches within max_bytes (the first one whole even when larger), from one segment.
TEST(Journal, ReadSharedReadsFilesDirectWholeBatchesFromOneSegment) {
  TempDir dir;
  StreamConfig cfg = small_config();
  const size_t b = one_record_batch_size();
  cfg.segment_bytes = 6 * b;  // segments [0-5] [6-9]
  auto engine = open_engine(dir.path(), Backend::Journal, cfg);
  auto s = engine->get_or_create(sid(), &cfg);
  for (int i = 0; i < 10; ++i) append_values(*s, 1);
  ASSERT_EQ(js(s).segment_bases(), (std::vector<int64_t>{0, 6}));

  const uint64_t direct_before = direct_reads_total();
  SharedReadResult r = s->read_shared(2, 3 * b + b / 2);
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.bytes.size(), 3 * b);
  EXPECT_EQ(r.next_offset, 5);
  EXPECT_EQ(r.high_watermark, 10);
  EXPECT_EQ(bytes_of(r), s->read(2, 3 * b + b / 2).bytes);
  EXPECT_GT(direct_reads_total(), direct_before);
  // Not copied out: the bytes live in the read buffer, kept alive by the owner.
  ASSERT_TRUE(r.owner);

  // Stops at the end of the segment (read() continues into the next one).
  SharedReadResult to_end = s->read_shared(4, 100 * b);
  EXPECT_EQ(to_end.next_offset, 6);
  EXPECT_EQ(to_end.bytes.size(), 2 * b);
  EXPECT_EQ(s->read(4, 100 * b).next_offset, 10);

  // At least one batch, and the end and beyond it.
  EXPECT_EQ(s->read_shared(7, 1).bytes.size(), b);
  SharedReadResult end = s->read_shared(10, 1000);
  EXPECT_TRUE(end.status.ok());
  EXPECT_TRUE(end.bytes.empty());
  EXPECT_EQ(end.next_offset, 10);
  EXPECT_EQ(s->read_shared(11, 1000).status.code, Errc::OffsetOutOfRange);
}

// A reader behind the tail gets its next range read ahead (read_ahead()), and its next
// read_shared() takes it, whole or in part, with the same bytes as read().
TEST(Journal, ReadAheadIsTakenByTheNextReadWholeOrInPart) {
  const size_t held_before = journal::read_ahead_bytes();
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  for (int i = 0; i < 20; ++i) append_values(*s, 1);
  const size_t b = one_record_batch_size();
  SharedReadResult first = s->read_shared(0, 4 * b);
  ASSERT_EQ(first.next_offset, 4);
  const uint64_t aheads = journal::read_aheads_total();

  s->read_ahead(4, 8 * b);
  ASSERT_EQ(journal::read_aheads_total(), aheads + 1);
  const uint64_t direct_before = direct_reads_total();
  SharedReadResult part = s->read_shared(4, 3 * b);  // part of it
  EXPECT_EQ(part.next_offset, 7);
  EXPECT_EQ(bytes_of(part), s->read(4, 3 * b).bytes);
  SharedReadResult rest = s->read_shared(7, 100 * b);  // the rest, not more
  EXPECT_EQ(rest.next_offset, 12);
  EXPECT_EQ(bytes_of(rest), s->read(7, 5 * b).bytes);
  EXPECT_EQ(direct_reads_total(), direct_before);        // both from the read-ahead
  SharedReadResult after = s->read_shared(12, 100 * b);  // from the files again
  EXPECT_EQ(after.next_offset, 20);
  EXPECT_EQ(direct_reads_total(), direct_before + 1);

  // A read-ahead of another offset is not used, and none is read at the end of the log.
  s->read_ahead(15, 2 * b);
  EXPECT_EQ(bytes_of(s->read_shared(14, 2 * b)), s->read(14, 2 * b).bytes);
  EXPECT_EQ(journal::read_aheads_total(), aheads + 2);
  s->read_ahead(20, 2 * b);
  EXPECT_EQ(journal::read_aheads_total(), aheads + 2);
  // The unused one (offset 15) is still held; closing the stream gives its bytes back.
  EXPECT_EQ(journal::read_ahead_bytes(), held_before + 2 * b);
  s.reset();
  engine.reset();
  EXPECT_EQ(journal::read_ahead_bytes(), held_before);
}

// A truncation drops the read-ahead: the offsets it held are written again with other bytes.
TEST(Journal, TruncateDropsTheReadAhead) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  for (int i = 0; i < 10; ++i) append_values(*s, 1, 0, "old");
  const size_t held_before = journal::read_ahead_bytes();
  const uint64_t aheads = journal::read_aheads_total();
  s->read_ahead(5, 1 << 20);
  ASSERT_EQ(journal::read_aheads_total(), aheads + 1);
  ASSERT_GT(journal::read_ahead_bytes(), held_before);
  ASSERT_TRUE(s->truncate(5).ok());
  EXPECT_EQ(journal::read_ahead_bytes(), held_before);
  for (int i = 0; i < 5; ++i) append_values(*s, 1, 0, "new");
  SharedReadResult r = s->read_shared(5, 1 << 20);
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(bytes_of(r), s->read(5, 1 << 20).bytes);
  std::vector<Record> recs;
  ASSERT_TRUE(s->read_records(5, 1 << 20, recs).ok());
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs[0].value, "new0");
}

// A batch larger than the read asked for is read whole (a second, longer direct read), and a
// read whose range ends at an unaligned end of file returns what is there.
TEST(Journal, ReadSharedReadsALargeFirstBatchWhole) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  const std::string big(20000, 'x');
  std::vector<AppendRecord> recs(3);
  for (auto& rec : recs) rec.value = big;
  ASSERT_TRUE(s->append_sync(recs).status.ok());
  append_values(*s, 1);
  SharedReadResult r = s->read_shared(0, 100);
  ASSERT_TRUE(r.status.ok()) << r.status.message;
  EXPECT_EQ(r.next_offset, 3);
  EXPECT_EQ(bytes_of(r), s->read(0, 100).bytes);
  EXPECT_GT(r.bytes.size(), 60000u);
  SharedReadResult rest = s->read_shared(3, 1 << 20);
  EXPECT_EQ(rest.next_offset, 4);
  EXPECT_EQ(bytes_of(rest), s->read(3, 1 << 20).bytes);
}

// Where the file system refuses O_DIRECT (tmpfs before Linux 6.6), and with
// storage.direct_io off, the stream reads buffered, with the same answers.
TEST(Journal, ReadSharedReadsBufferedWhereODirectIsRefusedOrOff) {
  for (bool refused : {true, false}) {
    TempDir dir;
    StreamConfig cfg = small_config();
    cfg.direct_io = refused;
    auto engine = open_engine(dir.path(), Backend::Journal, cfg);
    auto s = engine->get_or_create(sid(), &cfg);
    for (int i = 0; i < 5; ++i) append_values(*s, 2);
    journal::refuse_direct_reads_for_test(refused);
    const uint64_t direct_before = direct_reads_total();
    SharedReadResult r = s->read_shared(3, 1 << 20);
    SharedReadResult again = s->read_shared(5, 1 << 20);
    journal::refuse_direct_reads_for_test(false);
    ASSERT_TRUE(r.status.ok()) << r.status.message;
    EXPECT_EQ(bytes_of(r), s->read(3, 1 << 20).bytes);
    EXPECT_EQ(r.next_offset, 10);
    EXPECT_EQ(bytes_of(again), s->read(5, 1 << 20).bytes);
    EXPECT_EQ(direct_reads_total(), direct_before) << refused;
    // Refused once, the stream does not try again.
    EXPECT_EQ(bytes_of(s->read_shared(0, 1 << 20)), s->read(0, 1 << 20).bytes);
    EXPECT_EQ(direct_reads_total(), direct_before) << refused;
  }
}

TEST(Journal, RetentionDeletesWholeSegmentsNeverTheActiveOne) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  StreamConfig cfg = small_config();
  const size_t b = one_record_batch_size();
  cfg.segment_bytes = 3 * b;
  auto s = engine->get_or_create(sid(), &cfg);
  const int64_t hour = 3600 * 1000, now = 1000 * hour;
  for (int i = 0; i < 10; ++i) append_values(*s, 1, now - (10 - i) * hour);  // 0..9
  // Segments: [0-2] [3-5] [6-8] [9]. Keep >= 5 batches: only [0-2] can go.
  s->set_retention(-1, int64_t(5 * b));
  s->enforce_retention(now);
  EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{3, 6, 9}));
  EXPECT_EQ(s->earliest_offset(), 3);
  EXPECT_FALSE(fs::exists(seg_file(dir.path(), 0, ".log")));
  EXPECT_FALSE(fs::exists(seg_file(dir.path(), 0, ".index")));
  // By time: segment [3-5] max ts = now-5h, [6-8] = now-2h.
  s->set_retention(3 * hour, -1);
  s->enforce_retention(now);
  EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{6, 9}));
  s->set_retention(0, 0);
  s->enforce_retention(now + 100 * hour);
  EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{9}));
  EXPECT_EQ(read_all(*s, 9).size(), 1u);
  EXPECT_EQ(append_values(*s, 1), 10);
}

TEST(Journal, DeleteBeforeAndTruncatePersistAcrossRestarts) {
  TempDir dir;
  StreamConfig cfg = small_config();
  cfg.segment_bytes = 3 * one_record_batch_size();
  {
    auto engine = open_engine(dir.path(), Backend::Journal, cfg);
    auto s = engine->get_or_create(sid(), &cfg);
    for (int i = 0; i < 12; ++i) append_values(*s, 1);  // [0-2] [3-5] [6-8] [9-11]
    ASSERT_TRUE(s->delete_before(4).ok());
    EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{3, 6, 9}));
    ASSERT_TRUE(s->truncate(7).ok());  // cuts into [6-8], drops [9-11]
    EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{3, 6}));
    EXPECT_EQ(s->latest_offset(), 7);
    EXPECT_FALSE(fs::exists(seg_file(dir.path(), 9, ".log")));
    EXPECT_FALSE(fs::exists(seg_file(dir.path(), 6, ".index")));  // active again
    EXPECT_EQ(append_values(*s, 1), 7);  // goes into [6-]: no roll because it was sealed
    EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{3, 6}));
    ASSERT_TRUE(s->truncate(7).ok());
  }
  auto engine = open_engine(dir.path(), Backend::Journal, cfg);
  auto s = engine->get_or_create(sid(), &cfg);
  EXPECT_EQ(s->earliest_offset(), 4);
  EXPECT_EQ(s->latest_offset(), 7);
  EXPECT_EQ(append_values(*s, 1, 0, "new"), 7);
  EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{3, 6}));
  std::vector<Record> all = read_all(*s, 4);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.front().offset, 4);
  EXPECT_EQ(all.back().value, "new0");
  // [3-5] was sealed by recovery: truncated into, it becomes active without rolling at once.
  ASSERT_TRUE(s->truncate(5).ok());
  EXPECT_EQ(append_values(*s, 1), 5);
  EXPECT_EQ(js(s).segment_bases(), (std::vector<int64_t>{3}));
  // Truncating below the start empties the log and restarts it at that offset.
  ASSERT_TRUE(s->truncate(2).ok());
  EXPECT_EQ(s->latest_offset(), 2);
  EXPECT_EQ(s->earliest_offset(), 2);
  EXPECT_EQ(append_values(*s, 1), 2);
}

TEST(Journal, StreamNamesAreEscapedAndListedAfterRestart) {
  TempDir dir;
  const StreamId odd{"mqtt", "a/b c-%..", 7};
  {
    auto engine = open_engine(dir.path());
    append_values(*engine->get_or_create(odd), 2);
    append_values(*engine->get_or_create(StreamId{"mqtt", "..", 0}), 1);
  }
  auto engine = open_engine(dir.path());
  std::vector<StreamId> ids = engine->list("mqtt");
  ASSERT_EQ(ids.size(), 2u);
  auto s = engine->find(odd);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->latest_offset(), 2);
  // One safe path component per name: no '/', no "." or ".." entries.
  EXPECT_TRUE(fs::is_directory(dir.path() + "/journal/mqtt/a%2Fb%20c-%25..-7"));
  EXPECT_TRUE(fs::is_directory(dir.path() + "/journal/mqtt/%2E.-0"));
}

TEST(Journal, RemoveDeletesTheFiles) {
  TempDir dir;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  append_values(*s, 1);
  ASSERT_TRUE(fs::exists(dir.path() + "/journal/kafka/orders-0"));
  ASSERT_TRUE(engine->remove(sid()).ok());
  EXPECT_FALSE(fs::exists(dir.path() + "/journal/kafka/orders-0"));
  EXPECT_EQ(engine->find(sid()), nullptr);
  EXPECT_EQ(engine->remove(sid()).code, Errc::NotFound);
  EXPECT_EQ(s->append_sync(std::vector<AppendRecord>(1)).status.code, Errc::Closed);
  EXPECT_EQ(engine->get_or_create(sid())->latest_offset(), 0);
}

TEST(Journal, BackendChosenPerNamespace) {
  TempDir dir;
  EngineOptions opts;
  opts.data_dir = dir.path();
  opts.backend_by_namespace = {{"mqtt-transient", Backend::Memory}};
  std::unique_ptr<StorageEngine> engine;
  ASSERT_TRUE(StorageEngine::open(opts, engine).ok());
  auto mem = engine->get_or_create(StreamId{"mqtt-transient", "x", 0});
  auto dur = engine->get_or_create(StreamId{"mqtt", "x", 0});
  EXPECT_EQ(dynamic_cast<JournalStream*>(mem.get()), nullptr);
  EXPECT_NE(dynamic_cast<JournalStream*>(dur.get()), nullptr);
  append_values(*mem, 2);
  EXPECT_EQ(bytes_of(mem->read_shared(0, 100)), mem->read(0, 100).bytes);
  EXPECT_FALSE(fs::exists(dir.path() + "/journal/mqtt-transient"));
  EXPECT_EQ(parse_backend("memory"), Backend::Memory);
  EXPECT_EQ(parse_backend("journal"), Backend::Journal);
  EXPECT_EQ(parse_backend("disk"), std::nullopt);
}

TEST(Journal, StreamsBeyondTheBudgetAreRefusedButRecoveredOnesOpen) {
  TempDir dir;
  EngineOptions opts;
  opts.data_dir = dir.path();
  opts.backend_by_namespace = {{"mqtt-transient", Backend::Memory}};
  opts.max_streams = 4;
  {
    std::unique_ptr<StorageEngine> engine;
    ASSERT_TRUE(StorageEngine::open(opts, engine).ok());
    EXPECT_EQ(engine->streams_left(), 4u);
    for (uint32_t p = 0; p < 3; ++p) ASSERT_NE(engine->get_or_create(sid("a", p)), nullptr);
    // Memory streams count too (memory is finite as well).
    EXPECT_NE(engine->get_or_create(StreamId{"mqtt-transient", "x", 0}), nullptr);
    EXPECT_EQ(engine->streams_left(), 0u);
    EXPECT_EQ(engine->get_or_create(sid("b")), nullptr);
    EXPECT_EQ(engine->get_or_create(StreamId{"mqtt-transient", "y", 0}), nullptr);
    EXPECT_FALSE(fs::exists(dir.path() + "/journal/kafka/b-0"));
    EXPECT_NE(engine->get_or_create(sid("a", 1)), nullptr);  // an open one is still found
    ASSERT_TRUE(engine->remove(sid("a", 2)).ok());
    EXPECT_EQ(engine->streams_left(), 1u);
    EXPECT_NE(engine->get_or_create(sid("b")), nullptr);
  }
  // A start with a smaller budget still opens every stream it has data of.
  opts.max_streams = 1;
  std::unique_ptr<StorageEngine> engine;
  ASSERT_TRUE(StorageEngine::open(opts, engine).ok());
  EXPECT_EQ(engine->list("kafka").size(), 3u);
  EXPECT_NE(engine->find(sid("b")), nullptr);
  EXPECT_EQ(engine->streams_left(), 0u);
  EXPECT_EQ(engine->get_or_create(sid("c")), nullptr);
}

TEST(Journal, StreamBudgetFollowsTheOpenFileLimit) {
  EXPECT_EQ(journal_stream_budget(20000), (20000u - 4096u) / 3);
  EXPECT_EQ(journal_stream_budget(1024), (1024u - 256u) / 3);  // a quarter kept when small
  EXPECT_EQ(journal_stream_budget(1), 1u);
  EXPECT_EQ(journal_stream_budget(1u << 20), ((1u << 20) - 4096u) / 3);
}

}  // namespace
}  // namespace unimq::storage::test
