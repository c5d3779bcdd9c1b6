// RocksDB backend: the durable default for broker metadata (sessions, subscriptions,
// retained messages, offsets). Values are small and the working set fits in memory, so the
// options favour a small footprint over throughput.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <system_error>

#include "base/logging.h"
#include "storage/kv/kv_backends.h"

namespace unimq::storage {
namespace {

// The broker needs most of the 20,000 open files for connections; RocksDB keeps one fd per
// SST it has open, so it gets a fixed slice (table readers beyond this are re-opened).
constexpr int kMaxOpenFiles = 256;
constexpr size_t kBlockCacheBytes = 8 << 20;
constexpr size_t kWriteBufferBytes = 8 << 20;

rocksdb::Slice to_slice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view to_view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

Status from_rocksdb(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsNotFound()) return Status::Error(Errc::NotFound, std::move(msg));
  if (s.IsNoSpace()) return Status::Error(Errc::DiskFull, std::move(msg));
  if (s.IsShutdownInProgress()) return Status::Error(Errc::Closed, std::move(msg));
  if (s.IsInvalidArgument()) return Status::Error(Errc::InvalidArgument, std::move(msg));
  return Status::Error(Errc::IoError, std::move(msg));  // IOError, Corruption, Busy, ...
}

// Smallest key greater than every key starting with prefix; empty = no such bound (the
// prefix is empty or all 0xff).
std::string prefix_successor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(s.back());
    if (last != 0xff) {
      ++last;
      return s;
    }
    s.pop_back();
  }
  return s;
}

rocksdb::Options make_options() {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.max_open_files = kMaxOpenFiles;
  o.max_background_jobs = 2;  // the machine's cores belong to the broker
  // Metadata values are small and mostly unique: compression saves little and costs CPU.
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kNoCompression;
  o.write_buffer_size = kWriteBufferBytes;
  o.max_write_buffer_number = 2;
  o.target_file_size_base = kWriteBufferBytes;
  o.max_bytes_for_level_base = 4 * kWriteBufferBytes;
  o.level_compaction_dynamic_level_bytes = true;
  // Keep the info LOG bounded and quiet.
  o.keep_log_file_num = 3;
  o.max_log_file_size = 4 << 20;
  o.stats_dump_period_sec = 0;

  rocksdb::BlockBasedTableOptions t;
  t.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
  // Point lookups (get session by client id) dominate: a Bloom filter skips most SSTs.
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.cache_index_and_filter_blocks = true;  // their memory counts against the cache bound
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

class RocksDbKvStore final : public KvStore {
 public:
  RocksDbKvStore(rocksdb::DB* db, std::string dir) : db_(db), dir_(std::move(dir)) {}

  ~RocksDbKvStore() override {
    rocksdb::Status s = db_->Close();
    if (!s.ok()) spdlog::warn("kv close failed path={} error={}", dir_, log_value(s.ToString()));
    delete db_;
  }

  Status put(std::string_view key, std::string_view value, bool sync) override {
    return from_rocksdb(db_->Put(write_options(sync), to_slice(key), to_slice(value)), "kv put");
  }

  Status del(std::string_view key, bool sync) override {
    return from_rocksdb(db_->Delete(write_options(sync), to_slice(key)), "kv delete");
  }

  Status write(const std::vector<KvWrite>& batch, bool sync) override {
    rocksdb::WriteBatch wb;
    for (const KvWrite& w : batch) {
      rocksdb::Status s = w.op == KvWrite::Op::Put ? wb.Put(w.key, w.value) : wb.Delete(w.key);
      if (!s.ok()) return from_rocksdb(s, "kv write batch");
    }
    return from_rocksdb(db_->Write(write_options(sync), &wb), "kv write");
  }

  std::optional<std::string> get(std::string_view key) override {
    std::string value;
    Status st = lookup(key, value);
    if (st.ok()) return value;
    if (st.code != Errc::NotFound) {
      spdlog::error("kv get failed path={} key={} error={}", dir_, log_value(key),
                    log_value(st.message));
    }
    return std::nullopt;
  }

  Status lookup(std::string_view key, std::string& value) override {
    return from_rocksdb(db_->Get(rocksdb::ReadOptions(), to_slice(key), &value), "kv get");
  }

  Status scan(std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    // The upper bound stops the iterator at the end of the prefix range instead of walking
    // into (and skipping tombstones of) the next one. The iterator reads a snapshot, so fn
    // may write to the store.
    std::string upper = prefix_successor(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    for (it->Seek(to_slice(prefix)); it->Valid(); it->Next()) {
      std::string_view k = to_view(it->key());
      if (!k.starts_with(prefix)) break;
      if (!fn(k, to_view(it->value()))) break;
    }
    return from_rocksdb(it->status(), "kv scan");
  }

 private:
  static rocksdb::WriteOptions write_options(bool sync) {
    // sync: the WAL is fdatasync'ed before the write returns; RocksDB's write group lets
    // concurrent sync writers share one fdatasync.
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return wo;
  }

  rocksdb::DB* db_;
  std::string dir_;
};

}  // namespace

Status open_rocksdb_kv_store(const std::string& dir, std::unique_ptr<KvStore>& out) {
  if (dir.empty()) {
    return Status::Error(Errc::InvalidArgument, "key-value store directory is not set");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::Error(Errc::IoError,
                         "cannot create key-value store directory " + dir + ": " + ec.message());
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(make_options(), dir, &db);
  if (!s.ok()) {
    // A held LOCK means another broker (or tool) has this data directory open.
    return from_rocksdb(s, "cannot open RocksDB key-value store at " + dir);
  }
  out = std::make_unique<RocksDbKvStore>(db, dir);
  return Status::Ok();
}

}  // namespace unimq::storage
