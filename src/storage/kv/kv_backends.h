// Internal: the backend factories behind open_kv_store() (one .cc per backend, so only
// rocksdb_kv_store.cc sees RocksDB headers).
#pragma once

#include <memory>
#include <string>

#include "storage/kv_store.h"

namespace unimq::storage {

std::unique_ptr<KvStore> make_memory_kv_store();
Status open_rocksdb_kv_store(const std::string& dir, std::unique_ptr<KvStore>& out);

}  // namespace unimq::storage
