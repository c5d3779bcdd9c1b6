#include "storage/kv/kv_backends.h"

namespace unimq::storage {

Status open_kv_store(KvBackend backend, const std::string& dir, std::unique_ptr<KvStore>& out) {
  switch (backend) {
    case KvBackend::Memory:
      out = make_memory_kv_store();
      return Status::Ok();
    case KvBackend::RocksDb:
      return open_rocksdb_kv_store(dir, out);
  }
  return Status::Error(Errc::InvalidArgument, "unknown key-value backend");
}

}  // namespace unimq::storage
