// O_DIRECT appends (journal/direct_writer.h): every byte written reads back through the
// page cache at once, the zero padding never outlives a clean close, and a stream copied
// mid-run (what kill -9 leaves) recovers every acknowledged append.
#include "storage/journal/direct_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "storage/journal/file_util.h"
#include "storage/journal/staging.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

using journal::DirectWriter;

std::string log_file(const std::string& root) {
  return root + "/journal/kafka/orders-0/00000000000000000000.log";
}

TEST(DirectIo, WritesAtAnyPositionFromAnyAddressReadBackBuffered) {
  TempDir dir;
  const std::string path = dir.path() + "/seg.log";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  std::string why;
  auto w = DirectWriter::open(path, why);
  if (!w) GTEST_SKIP() << "no O_DIRECT here: " << why;
  std::mt19937 rng(7);
  std::vector<uint8_t> expect;
  auto staging = journal::take_staging(0);
  for (int i = 0; i < 300; ++i) {
    // Sizes from a few bytes to several blocks; data aligned like the file end (the
    // stream's staging) every other time, arbitrary otherwise (the bounce copy).
    const size_t n = 1 + rng() % (i % 3 == 0 ? 20000 : 700);
    const size_t lead =
        i % 2 == 0 ? expect.size() % DirectWriter::kBlock : size_t(rng() % DirectWriter::kBlock);
    staging->reset(lead);
    std::vector<uint8_t> bytes(n);
    for (auto& b : bytes) b = uint8_t(rng());
    staging->append(bytes);
    ASSERT_TRUE(w->write(fd, expect.size(), staging->data(), n).ok()) << i;
    expect.insert(expect.end(), bytes.begin(), bytes.end());
    const uint64_t padded = (expect.size() + 4095) / 4096 * 4096;
    ASSERT_EQ(std::filesystem::file_size(path), padded);
    std::vector<uint8_t> got(expect.size());
    ASSERT_EQ(journal::pread_all(fd, got.data(), got.size(), 0), ssize_t(got.size()));
    ASSERT_EQ(got, expect) << "after write " << i;
  }
  // The file was cut elsewhere: the writer reads the partial block back.
  ASSERT_EQ(::ftruncate(fd, 5000), 0);
  expect.resize(5000);
  w->forget_tail();
  const std::vector<uint8_t> more(10, 0xAB);
  ASSERT_TRUE(w->write(fd, 5000, more.data(), more.size()).ok());
  expect.insert(expect.end(), more.begin(), more.end());
  std::vector<uint8_t> got(expect.size());
  ASSERT_EQ(journal::pread_all(fd, got.data(), got.size(), 0), ssize_t(got.size()));
  EXPECT_EQ(got, expect);
  journal::give_staging(std::move(staging));
  ::close(fd);
}

// Batches of many sizes through the stream, read back while written; after a clean close
// the file ends exactly at the last batch.
TEST(DirectIo, JournalAppendsReadBackAndCloseTrimsThePadding) {
  TempDir dir;
  int64_t next = 0;
  {
    auto engine = open_engine(dir.path());
    auto s = engine->get_or_create(sid());
    for (int i = 0; i < 200; ++i) {
      const int count = 1 + i % 7;
      std::vector<std::string> values;
      std::vector<AppendRecord> recs(static_cast<size_t>(count));
      for (int k = 0; k < count; ++k)
        values.push_back(std::string(size_t(1 + (i * 37 + k) % 900), 'a' + char(k)));
      for (int k = 0; k < count; ++k) recs[size_t(k)].value = values[size_t(k)];
      AppendResult r = s->append_sync(recs);
      ASSERT_TRUE(r.status.ok()) << r.status.message;
      ASSERT_EQ(r.base_offset, next);
      next += count;
      std::vector<Record> got;
      ASSERT_TRUE(s->read_records(r.base_offset, 1 << 20, got).ok());
      ASSERT_EQ(got.size(), size_t(count));
      EXPECT_EQ(got.back().value, values.back());
    }
    engine->close();
  }
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  EXPECT_EQ(s->latest_offset(), next);
  ReadResult all = s->read(0, 64 << 20);
  ASSERT_TRUE(all.status.ok());
  EXPECT_EQ(all.next_offset, next);
  EXPECT_EQ(std::filesystem::file_size(log_file(dir.path())), all.bytes.size());
}

// The files as a kill -9 leaves them (padding included): every acknowledged append is back.
TEST(DirectIo, CopyTakenMidRunRecoversEveryAcknowledgedAppend) {
  TempDir dir, copy;
  auto engine = open_engine(dir.path());
  auto s = engine->get_or_create(sid());
  int64_t acked = 0;
  for (int i = 0; i < 50; ++i) acked = append_values(*s, 3) + 3;
  std::filesystem::copy(dir.path() + "/journal", copy.path() + "/journal",
                        std::filesystem::copy_options::recursive);
  std::string why;
  if (DirectWriter::open(log_file(dir.path()), why)) {  // else buffered: no padding
    EXPECT_EQ(std::filesystem::file_size(log_file(copy.path())) % 4096, 0u);
  }
  auto again = open_engine(copy.path());
  auto s2 = again->get_or_create(sid());
  EXPECT_EQ(s2->latest_offset(), acked);
  EXPECT_EQ(read_all(*s2, 0).size(), size_t(acked));
  // And appends continue after the recovered end.
  EXPECT_EQ(append_values(*s2, 2), acked);
  EXPECT_EQ(read_all(*s2, 0).size(), size_t(acked + 2));
}

// Appends queued faster than they are written fill several staging chunks, and segments roll
// by size between them: every chunk is still staged at its file position's offset within a
// block, so no direct write needs a bounce copy (a misprediction once cost a copy of most of
// the log: every chunk after a roll was staged for the old segment's position).
TEST(DirectIo, StagingFollowsSegmentRollsSoWritesNeedNoBounceCopy) {
  TempDir dir;
  auto engine = open_engine(dir.path());  // 1 MiB segments
  auto s = engine->get_or_create(sid());
  const uint64_t writes0 = DirectWriter::total_writes(), bounces0 = DirectWriter::bounce_copies();
  const std::string value(2999, 'q');
  std::atomic<int> done{0}, failed{0};
  constexpr int kBatches = 3000;  // ~9 MB: several chunks and segments
  for (int i = 0; i < kBatches; ++i) {
    AppendRecord rec;
    rec.value = value;
    s->append(std::span<const AppendRecord>(&rec, 1), [&](const AppendResult& r) {
      if (!r.status.ok()) failed.fetch_add(1);
      done.fetch_add(1);
    });
  }
  while (done.load() < kBatches) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(s->latest_offset(), kBatches);
  size_t segments = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/journal/kafka/orders-0"))
    segments += e.path().extension() == ".log";
  EXPECT_GE(segments, 8u);
  if (DirectWriter::total_writes() == writes0) GTEST_SKIP() << "no O_DIRECT here";
  EXPECT_EQ(DirectWriter::bounce_copies() - bounces0, 0u);
  const auto all = read_all(*s, 0);
  ASSERT_EQ(all.size(), size_t(kBatches));
  EXPECT_EQ(all.back().value, value);
}

}  // namespace
}  // namespace unimq::storage::test
