#include "storage/kv_store.h"

namespace unimq::storage {

std::optional<KvBackend> parse_kv_backend(std::string_view s) {
  if (s == "memory") return KvBackend::Memory;
  if (s == "rocksdb") return KvBackend::RocksDb;
  return std::nullopt;
}

}  // namespace unimq::storage
