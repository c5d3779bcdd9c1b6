// The KvStore contract, run against every backend.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kv_test_util.h"
#include "storage/kv_store.h"

namespace unimq::storage {
namespace {

using testing::describe;
using testing::TempDir;
using Entries = std::vector<std::pair<std::string, std::string>>;

class KvContractTest : public ::testing::TestWithParam<KvBackend> {
 protected:
  void SetUp() override {
    Status st = open_kv_store(GetParam(), dir_.sub("kv"), kv_);
    ASSERT_TRUE(st.ok()) << describe(st);
    ASSERT_NE(kv_, nullptr);
  }

  Entries scan_all(std::string_view prefix) {
    Entries out;
    Status st = kv_->scan(prefix, [&](std::string_view k, std::string_view v) {
      out.emplace_back(k, v);
      return true;
    });
    EXPECT_TRUE(st.ok()) << describe(st);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<KvStore> kv_;
};

TEST_P(KvContractTest, PutGetOverwrite) {
  EXPECT_EQ(kv_->get("k"), std::nullopt);
  ASSERT_TRUE(kv_->put("k", "v1").ok());
  EXPECT_EQ(kv_->get("k"), "v1");
  ASSERT_TRUE(kv_->put("k", "a longer second value").ok());
  EXPECT_EQ(kv_->get("k"), "a longer second value");
  ASSERT_TRUE(kv_->put("k", "v3", /*sync=*/true).ok());
  EXPECT_EQ(kv_->get("k"), "v3");
}

TEST_P(KvContractTest, LookupTellsMissingFromPresent) {
  std::string v = "untouched";
  EXPECT_EQ(kv_->lookup("missing", v).code, Errc::NotFound);
  EXPECT_EQ(v, "untouched");
  ASSERT_TRUE(kv_->put("present", "").ok());
  Status st = kv_->lookup("present", v);
  EXPECT_TRUE(st.ok()) << describe(st);
  EXPECT_EQ(v, "");
}

TEST_P(KvContractTest, BinaryKeysAndValuesRoundTrip) {
  const std::string key("a\0b\xff", 4);
  const std::string value("\0\x01\xfe\xff tail", 9);
  ASSERT_TRUE(kv_->put(key, value).ok());
  EXPECT_EQ(kv_->get(key), value);
  EXPECT_EQ(kv_->get(std::string("a\0b", 3)), std::nullopt);  // no prefix confusion
  ASSERT_TRUE(kv_->put("empty", "").ok());
  EXPECT_EQ(kv_->get("empty"), "");
}

TEST_P(KvContractTest, DeleteRemovesAndMissingDeleteIsOk) {
  ASSERT_TRUE(kv_->put("a", "1").ok());
  ASSERT_TRUE(kv_->put("b", "2").ok());
  ASSERT_TRUE(kv_->del("a").ok());
  EXPECT_EQ(kv_->get("a"), std::nullopt);
  EXPECT_EQ(kv_->get("b"), "2");
  EXPECT_TRUE(kv_->del("a").ok());
  EXPECT_TRUE(kv_->del("never-existed", /*sync=*/true).ok());
  EXPECT_EQ(scan_all(""), (Entries{{"b", "2"}}));
}

TEST_P(KvContractTest, WriteBatchAppliesInOrder) {
  ASSERT_TRUE(kv_->put("old", "x").ok());
  std::vector<KvWrite> batch = {
      {KvWrite::Op::Put, "a", "1"},     {KvWrite::Op::Put, "b", "2"},
      {KvWrite::Op::Delete, "a", ""},  // later ops win
      {KvWrite::Op::Delete, "old", ""}, {KvWrite::Op::Delete, "c", ""},
      {KvWrite::Op::Put, "c", "3"},     {KvWrite::Op::Put, "b", "2b"},
  };
  Status st = kv_->write(batch, /*sync=*/true);
  ASSERT_TRUE(st.ok()) << describe(st);
  EXPECT_EQ(scan_all(""), (Entries{{"b", "2b"}, {"c", "3"}}));
  EXPECT_TRUE(kv_->write({}).ok());  // empty batch is a no-op
  EXPECT_EQ(scan_all("").size(), 2u);
}

// A reader must never see half a batch: every batch sets all keys to the same generation.
TEST_P(KvContractTest, WriteBatchIsAtomicForReaders) {
  constexpr int kKeys = 10;
  constexpr int kGenerations = 300;
  auto batch_for = [](int gen) {
    std::vector<KvWrite> b;
    for (int i = 0; i < kKeys; ++i) {
      b.push_back({KvWrite::Op::Put, "pair/" + std::to_string(i), std::to_string(gen)});
    }
    return b;
  };
  ASSERT_TRUE(kv_->write(batch_for(0)).ok());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      Entries e = scan_all("pair/");
      if (e.size() != kKeys) ++torn;
      for (const auto& kv : e) {
        if (kv.second != e.front().second) ++torn;
      }
      ++reads;
    }
  });
  while (reads.load() == 0) std::this_thread::yield();  // overlap with the reader
  for (int gen = 1; gen <= kGenerations; ++gen) EXPECT_TRUE(kv_->write(batch_for(gen)).ok());
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(kv_->get("pair/7"), std::to_string(kGenerations));
}

TEST_P(KvContractTest, ScanIsOrderedAndBoundedByPrefix) {
  const std::vector<std::string> keys = {
      "ab\xff", "b", "ab/2", "a", "ac", "ab", "ab/10", "ab/1", "aa\xff", std::string("ab\0", 3)};
  for (const auto& k : keys) ASSERT_TRUE(kv_->put(k, "v:" + k).ok());

  Entries ab = scan_all("ab");
  std::vector<std::string> got;
  for (const auto& [k, v] : ab) {
    EXPECT_EQ(v, "v:" + k);
    got.push_back(k);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"ab", std::string("ab\0", 3), "ab/1", "ab/10", "ab/2",
                                           "ab\xff"}));
  EXPECT_EQ(scan_all("ab/1").size(), 2u);  // "ab/1", "ab/10"
  EXPECT_EQ(scan_all("a").size(), 9u);     // everything but "b"
  EXPECT_EQ(scan_all("").size(), keys.size());
  EXPECT_EQ(scan_all("").front().first, "a");
  EXPECT_EQ(scan_all("").back().first, "b");
  EXPECT_TRUE(scan_all("zz").empty());
  EXPECT_TRUE(scan_all("ab/3").empty());
}

// Prefixes ending in 0xff have no simple successor: the bound must still be right.
TEST_P(KvContractTest, ScanPrefixEndingInFF) {
  for (const std::string k : {"a\xff", "a\xff\xff", "a\xff\xff\x01", "a\xfe\xff", "b", "\xff"}) {
    ASSERT_TRUE(kv_->put(k, "").ok());
  }
  std::vector<std::string> got;
  for (const auto& e : scan_all("a\xff")) got.push_back(e.first);
  EXPECT_EQ(got, (std::vector<std::string>{"a\xff", "a\xff\xff", "a\xff\xff\x01"}));
  EXPECT_EQ(scan_all("\xff").size(), 1u);
  EXPECT_EQ(scan_all("\xff\xff").size(), 0u);
}

TEST_P(KvContractTest, ScanStopsWhenCallbackReturnsFalse) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(kv_->put("k/" + std::to_string(i), "").ok());
  std::vector<std::string> seen;
  Status st = kv_->scan("k/", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 3;
  });
  ASSERT_TRUE(st.ok()) << describe(st);
  EXPECT_EQ(seen, (std::vector<std::string>{"k/0", "k/1", "k/2"}));
}

// More keys than one memory-backend scan chunk: order, completeness, early stop past a chunk.
TEST_P(KvContractTest, LargeScanVisitsEveryKeyOnce) {
  constexpr int kCount = 1000;
  std::vector<KvWrite> batch;
  for (int i = 0; i < kCount; ++i) {
    char key[32];
    snprintf(key, sizeof key, "big/%06d", i);
    batch.push_back({KvWrite::Op::Put, key, std::to_string(i)});
  }
  batch.push_back({KvWrite::Op::Put, "bih", "outside"});
  ASSERT_TRUE(kv_->write(batch).ok());
  Entries all = scan_all("big/");
  ASSERT_EQ(all.size(), size_t(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(all[i].second, std::to_string(i));

  int calls = 0;
  ASSERT_TRUE(
      kv_->scan("big/", [&](std::string_view, std::string_view) { return ++calls < 600; }).ok());
  EXPECT_EQ(calls, 600);
}

// Callbacks may write (e.g. delete expired sessions while scanning) without deadlocking.
TEST_P(KvContractTest, ScanCallbackMayWriteToTheStore) {
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(kv_->put("exp/" + std::to_string(i), "").ok());
  ASSERT_TRUE(kv_->put("keep", "1").ok());
  int visited = 0;
  Status st = kv_->scan("exp/", [&](std::string_view k, std::string_view) {
    ++visited;
    EXPECT_TRUE(kv_->del(k).ok());
    EXPECT_TRUE(kv_->put("log/" + std::string(k), "deleted").ok());
    return true;
  });
  ASSERT_TRUE(st.ok()) << describe(st);
  EXPECT_EQ(visited, 600);
  EXPECT_TRUE(scan_all("exp/").empty());
  EXPECT_EQ(scan_all("log/").size(), 600u);
  EXPECT_EQ(kv_->get("keep"), "1");
}

TEST_P(KvContractTest, ConcurrentWritersAndReaders) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "t" + std::to_string(t) + "/" + std::to_string(i);
        EXPECT_TRUE(kv_->put(key, key).ok());
        EXPECT_EQ(kv_->get(key), key);
        if (i % 10 == 0) {
          EXPECT_TRUE(kv_->del(key).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(scan_all("t").size(), size_t(kThreads * (kPerThread - kPerThread / 10)));
}

INSTANTIATE_TEST_SUITE_P(Backends, KvContractTest,
                         ::testing::Values(KvBackend::Memory, KvBackend::RocksDb),
                         [](const auto& info) {
                           return info.param == KvBackend::Memory ? "Memory" : "RocksDb";
                         });

TEST(KvBackendNames, Parse) {
  EXPECT_EQ(parse_kv_backend("memory"), KvBackend::Memory);
  EXPECT_EQ(parse_kv_backend("rocksdb"), KvBackend::RocksDb);
  EXPECT_EQ(parse_kv_backend("RocksDB"), std::nullopt);
  EXPECT_EQ(parse_kv_backend(""), std::nullopt);
}

}  // namespace
}  // namespace unimq::storage
