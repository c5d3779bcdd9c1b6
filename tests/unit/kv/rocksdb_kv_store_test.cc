// RocksDB backend: durability, open failures and the tuning that matters in production.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kv_test_util.h"
#include "storage/kv_store.h"

namespace unimq::storage {
namespace {

using testing::describe;
using testing::TempDir;

std::unique_ptr<KvStore> open_rocksdb(const std::string& dir) {
  std::unique_ptr<KvStore> kv;
  Status st = open_kv_store(KvBackend::RocksDb, dir, kv);
  EXPECT_TRUE(st.ok()) << describe(st);
  return kv;
}

size_t count(KvStore& kv, std::string_view prefix) {
  size_t n = 0;
  EXPECT_TRUE(kv.scan(prefix, [&](std::string_view, std::string_view) { return ++n; }).ok());
  return n;
}

TEST(RocksDbKvStore, PersistsAcrossReopen) {
  TempDir tmp;
  const std::string dir = tmp.sub("nested/kv");  // parents are created too
  {
    auto kv = open_rocksdb(dir);
    ASSERT_NE(kv, nullptr);
    ASSERT_TRUE(kv->put("session/a", "A", /*sync=*/true).ok());
    ASSERT_TRUE(kv->put("session/b", "B").ok());  // not synced: still in the WAL on close
    ASSERT_TRUE(kv->put("session/c", "C").ok());
    ASSERT_TRUE(kv->del("session/c").ok());
    ASSERT_TRUE(kv->write({{KvWrite::Op::Put, "offset/g1", "42"},
                           {KvWrite::Op::Delete, "session/b", ""},
                           {KvWrite::Op::Put, "session/b", "B2"}},
                          /*sync=*/true)
                    .ok());
  }
  auto kv = open_rocksdb(dir);
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->get("session/a"), "A");
  EXPECT_EQ(kv->get("session/b"), "B2");
  EXPECT_EQ(kv->get("session/c"), std::nullopt);
  EXPECT_EQ(kv->get("offset/g1"), "42");
  EXPECT_EQ(count(*kv, "session/"), 2u);
}

TEST(RocksDbKvStore, OpenFailsUnderARegularFile) {
  TempDir tmp;
  const std::string file = tmp.sub("not-a-dir");
  std::ofstream(file) << "x";
  const std::string dir = file + "/kv";
  std::unique_ptr<KvStore> kv;
  Status st = open_kv_store(KvBackend::RocksDb, dir, kv);
  EXPECT_EQ(st.code, Errc::IoError) << describe(st);
  EXPECT_NE(st.message.find(dir), std::string::npos) << st.message;
  EXPECT_EQ(kv, nullptr);
}

TEST(RocksDbKvStore, OpenFailsWithoutADirectory) {
  std::unique_ptr<KvStore> kv;
  EXPECT_EQ(open_kv_store(KvBackend::RocksDb, "", kv).code, Errc::InvalidArgument);
  EXPECT_EQ(kv, nullptr);
}

// Another broker holding the directory: RocksDB's LOCK file is an fcntl lock, which only
// conflicts across processes, so a child process takes it.
TEST(RocksDbKvStore, OpenFailsWhenAnotherProcessHoldsTheLock) {
  TempDir tmp;
  const std::string dir = tmp.sub("kv");
  open_rocksdb(dir).reset();  // create the store, then close it

  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const std::string lock_path = dir + "/LOCK";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // child: async-signal-safe calls only
    alarm(30);     // never outlive a stuck parent
    close(ready[0]);
    close(release[1]);  // else the parent's close would not reach us as EOF
    int fd = open(lock_path.c_str(), O_RDWR);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    char ok = (fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0) ? '1' : '0';
    if (write(ready[1], &ok, 1) != 1) _exit(2);
    char c;
    if (read(release[0], &c, 1) < 0) _exit(3);
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  EXPECT_EQ(ok, '1');

  std::unique_ptr<KvStore> kv;
  Status st = open_kv_store(KvBackend::RocksDb, dir, kv);
  EXPECT_EQ(st.code, Errc::IoError) << describe(st);
  EXPECT_NE(st.message.find("LOCK"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find(dir), std::string::npos) << st.message;
  EXPECT_EQ(kv, nullptr);

  close(release[1]);  // child exits, the lock goes with it
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  close(ready[0]);
  EXPECT_NE(open_rocksdb(dir), nullptr);  // free again
}

TEST(RocksDbKvStore, OpenFailsWhenAlreadyOpenInThisProcess) {
  TempDir tmp;
  auto first = open_rocksdb(tmp.path());
  ASSERT_NE(first, nullptr);
  std::unique_ptr<KvStore> second;
  Status st = open_kv_store(KvBackend::RocksDb, tmp.path(), second);
  EXPECT_EQ(st.code, Errc::IoError) << describe(st);
  EXPECT_NE(st.message.find("LOCK"), std::string::npos) << st.message;
  EXPECT_EQ(first->put("still", "usable").ok(), true);
}

// Sync writers from many threads (RocksDB groups them into shared fdatasyncs): every
// acknowledged write is there after reopen.
TEST(RocksDbKvStore, ConcurrentSyncWritersAreAllDurable) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  TempDir tmp;
  {
    auto kv = open_rocksdb(tmp.path());
    ASSERT_NE(kv, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string key = "w" + std::to_string(t) + "/" + std::to_string(i);
          if (i % 4 == 0) {
            EXPECT_TRUE(
                kv->write({{KvWrite::Op::Put, key, key}, {KvWrite::Op::Put, key + "/b", "b"}},
                          /*sync=*/true)
                    .ok());
          } else {
            EXPECT_TRUE(kv->put(key, key, /*sync=*/true).ok());
          }
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  auto kv = open_rocksdb(tmp.path());
  ASSERT_NE(kv, nullptr);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string key = "w" + std::to_string(t) + "/" + std::to_string(i);
      ASSERT_EQ(kv->get(key), key);
    }
  }
  EXPECT_EQ(count(*kv, "w"), size_t(kThreads * (kPerThread + kPerThread / 4)));
}

// The tuning that protects the broker: bounded open files, no compression, few info logs.
TEST(RocksDbKvStore, OptionsAreTunedForSmallMetadata) {
  TempDir tmp;
  ASSERT_NE(open_rocksdb(tmp.path()), nullptr);
  std::string options;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    if (e.path().filename().string().starts_with("OPTIONS-")) {
      std::stringstream ss;
      ss << std::ifstream(e.path()).rdbuf();
      options = ss.str();
    }
  }
  ASSERT_FALSE(options.empty()) << "no OPTIONS file in " << tmp.path();
  EXPECT_NE(options.find("max_open_files=256\n"), std::string::npos);
  EXPECT_NE(options.find("keep_log_file_num=3\n"), std::string::npos);
  EXPECT_NE(options.find("compression=kNoCompression\n"), std::string::npos);
}

}  // namespace
}  // namespace unimq::storage
