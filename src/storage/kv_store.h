// Key-value metadata store: sessions, subscriptions, retained messages, consumer-group
// offsets, delayed-message schedule. Keys are namespaced by prefix ("mqtt/session/<id>").
// Backends: memory (tests, transient) and RocksDB (default, durable). Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/status.h"

namespace unimq::storage {

struct KvWrite {
  enum class Op { Put, Delete } op = Op::Put;
  std::string key;
  std::string value;
};

class KvStore {
 public:
  virtual ~KvStore() = default;
  // sync = true: durable (fsync'd WAL) before returning; concurrent sync writes share one
  // fsync (RocksDB groups them).
  virtual Status put(std::string_view key, std::string_view value, bool sync = false) = 0;
  virtual Status del(std::string_view key, bool sync = false) = 0;
  // Applies all writes atomically.
  virtual Status write(const std::vector<KvWrite>& batch, bool sync = false) = 0;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  // Like get(), but tells a missing key (NotFound) from a failed read (IoError), for callers
  // that must not mistake a disk error for "no such session".
  virtual Status lookup(std::string_view key, std::string& value) {
    std::optional<std::string> v = get(key);
    if (!v) return Status::Error(Errc::NotFound, "key not found");
    value = std::move(*v);
    return Status::Ok();
  }
  // Calls fn(key, value) for each key starting with prefix, in key order; fn returns false
  // to stop. fn may write to the store; whether a scan sees writes made after it started is
  // unspecified (RocksDB reads a snapshot, memory reads in chunks).
  virtual Status scan(std::string_view prefix,
                      const std::function<bool(std::string_view, std::string_view)>& fn) = 0;
};

enum class KvBackend { Memory, RocksDb };
std::optional<KvBackend> parse_kv_backend(std::string_view s);  // memory|rocksdb

// Opens <dir> (created if missing) for RocksDB; dir is ignored for memory.
Status open_kv_store(KvBackend backend, const std::string& dir, std::unique_ptr<KvStore>& out);

}  // namespace unimq::storage
