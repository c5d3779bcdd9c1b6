// Page-cache recycling of journal segments (journal/page_cache.h): which ranges of a segment
// file stay resident, checked with mincore() on a mapping of the file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "storage/journal/format.h"
#include "storage/journal/journal_stream.h"
#include "storage/journal/page_cache.h"
#include "storage_test_util.h"

namespace unimq::storage::test {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kPage = 4096;
constexpr size_t kValueBytes = 60000;

std::string seg_file(const std::string& dir, int64_t base) {
  return dir + "/journal/kafka/orders-0/" + journal::segment_file_name(base, ".log");
}

// Resident pages of path in [from, to) (bytes, rounded out to pages).
size_t resident_pages(const std::string& path, uint64_t from, uint64_t to) {
  journal::wait_page_cache_drops();  // drops run on a background thread
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  struct stat sb;
  EXPECT_EQ(::fstat(fd, &sb), 0);
  const size_t size = size_t(sb.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  EXPECT_NE(map, MAP_FAILED);
  std::vector<unsigned char> vec((size + kPage - 1) / kPage);
  EXPECT_EQ(::mincore(map, size, vec.data()), 0);
  ::munmap(map, size);
  size_t n = 0;
  for (uint64_t p = from / kPage; p < std::min<uint64_t>(vec.size(), (to + kPage - 1) / kPage);
       ++p) {
    n += vec[p] & 1;
  }
  return n;
}

std::string value_for(int i) {
  return std::string(kValueBytes, char('a' + i % 26)) + std::to_string(i);
}

// Appends records (one ~60 KB record per batch) until the stream holds `bytes`; returns how
// many. Recycling runs after the callbacks: wait until the writer is idle.
int append_bytes(Stream& s, uint64_t bytes, int first = 0) {
  int i = first;
  for (uint64_t done = 0; done < bytes; ++i) {
    std::string v = value_for(i);
    AppendRecord r;
    r.value = v;
    AppendResult res = s.append_sync(std::span(&r, 1));
    EXPECT_TRUE(res.status.ok()) << res.status.message;
    done += kValueBytes;
  }
  auto& js = dynamic_cast<journal::JournalStream&>(s);
  for (int w = 0; w < 1000 && js.pending_bytes() > 0; ++w) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(js.pending_bytes(), 0u);
  return i - first;
}

struct Fixture {
  explicit Fixture(uint64_t window, uint64_t segment_bytes = 64 * kMiB) {
    StreamConfig c = small_config();
    c.segment_bytes = segment_bytes;
    c.index_interval_bytes = 4096;
    c.page_cache_window_bytes = window;
    c.direct_io = false;  // recycling is about buffered writes
    engine = open_engine(dir.path(), Backend::Journal, c);
    stream = engine->get_or_create(sid());
  }
  bool page_cache_observable() const {
    struct statfs fs;
    return ::statfs(dir.path().c_str(), &fs) == 0 && fs.f_type != TMPFS_MAGIC;
  }
  TempDir dir;
  std::unique_ptr<StorageEngine> engine;
  std::shared_ptr<Stream> stream;
};

void expect_values(const Stream& s, int count) {
  std::vector<Record> recs = read_all(s, 0, 2 * kMiB);
  ASSERT_EQ(recs.size(), size_t(count));
  for (int i = 0; i < count; ++i) {
    ASSERT_EQ(recs[size_t(i)].offset, i);
    ASSERT_EQ(recs[size_t(i)].value, value_for(i)) << i;
  }
}

TEST(PageCache, DropsWhatLiesTwoWindowsBehindTheEnd) {
  Fixture f(kMiB);
  if (!f.page_cache_observable()) GTEST_SKIP() << "tmpfs has no page cache to drop";
  append_bytes(*f.stream, 8 * kMiB + kMiB / 2);  // whole windows: 8, kept from 6 MiB
  const std::string log = seg_file(f.dir.path(), 0);
  EXPECT_EQ(resident_pages(log, 0, 6 * kMiB), 0u);
  EXPECT_EQ(resident_pages(log, 6 * kMiB, 8 * kMiB), 2 * kMiB / kPage);
  EXPECT_GT(resident_pages(log, 8 * kMiB, 9 * kMiB), 0u);
}

TEST(PageCache, WindowZeroKeepsEverythingWritten) {
  Fixture f(0);
  if (!f.page_cache_observable()) GTEST_SKIP() << "tmpfs has no page cache to drop";
  append_bytes(*f.stream, 8 * kMiB);
  EXPECT_EQ(resident_pages(seg_file(f.dir.path(), 0), 0, 8 * kMiB), 8 * kMiB / kPage);
}

TEST(PageCache, SealedSegmentIsDroppedOnceTheNextHasAWindow) {
  Fixture f(kMiB, 4 * kMiB);
  if (!f.page_cache_observable()) GTEST_SKIP() << "tmpfs has no page cache to drop";
  int n = append_bytes(*f.stream, 4 * kMiB + kMiB / 2);  // rolled once, new one < a window
  auto& js = dynamic_cast<journal::JournalStream&>(*f.stream);
  ASSERT_EQ(js.segment_bases().size(), 2u);
  const std::string sealed = seg_file(f.dir.path(), 0);
  EXPECT_GT(resident_pages(sealed, 2 * kMiB, 4 * kMiB), 0u);  // kept for tail readers
  append_bytes(*f.stream, kMiB, n);
  EXPECT_EQ(resident_pages(sealed, 0, 4 * kMiB), 0u);
}

TEST(PageCache, WindowsLargerThanSegmentsStillDropSealedSegments) {
  Fixture f(4 * kMiB, 2 * kMiB);
  if (!f.page_cache_observable()) GTEST_SKIP() << "tmpfs has no page cache to drop";
  append_bytes(*f.stream, 16 * kMiB);
  std::vector<int64_t> bases = dynamic_cast<journal::JournalStream&>(*f.stream).segment_bases();
  ASSERT_GE(bases.size(), 8u);
  for (size_t i = 0; i + 4 < bases.size(); ++i) {
    EXPECT_EQ(resident_pages(seg_file(f.dir.path(), bases[i]), 0, 2 * kMiB), 0u) << i;
  }
  EXPECT_GT(resident_pages(seg_file(f.dir.path(), bases.back()), 0, 2 * kMiB), 0u);
}

TEST(PageCache, ReadsOfDroppedRangesReturnTheBytesAndDropBehind) {
  Fixture f(kMiB);
  if (!f.page_cache_observable()) GTEST_SKIP() << "tmpfs has no page cache to drop";
  int n = append_bytes(*f.stream, 8 * kMiB);
  expect_values(*f.stream, n);
  const std::string log = seg_file(f.dir.path(), 0);
  // Cold range read: not kept (bar the page straddling each read's end); the warm windows
  // stay.
  EXPECT_LT(resident_pages(log, 0, 5 * kMiB), 16u);
  EXPECT_EQ(resident_pages(log, 6 * kMiB, 7 * kMiB), kMiB / kPage);
}

TEST(PageCache, RecoveryAfterReopenReadsEveryBatch) {
  TempDir keep;
  int n;
  {
    Fixture f(kMiB, 3 * kMiB);
    n = append_bytes(*f.stream, 8 * kMiB);
    f.engine->close();
    f.stream.reset();
    f.engine.reset();
    std::filesystem::rename(f.dir.path() + "/journal", keep.path() + "/journal");
  }
  StreamConfig c = small_config();
  c.segment_bytes = 3 * kMiB;
  c.page_cache_window_bytes = kMiB;
  c.direct_io = false;
  auto engine = open_engine(keep.path(), Backend::Journal, c);
  auto s = engine->get_or_create(sid());
  expect_values(*s, n);
  // Appending after recovery recycles the recovered active segment as well.
  int more = append_bytes(*s, 4 * kMiB, n);
  expect_values(*s, n + more);
}

}  // namespace
}  // namespace unimq::storage::test
