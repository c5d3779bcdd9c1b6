// Producer id allocation for InitProducerId, durable in the KV store: ids are reserved in
// blocks ("meta/producer/next_id" holds the first id not yet reserved), so a restart never
// hands out an id twice. Transactional ids map to a (producer id, epoch) under
// "meta/producer/txn/<id>" and bump the epoch on every InitProducerId. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "storage/kv_store.h"

namespace unimq::kafka {

class ProducerIds {
 public:
  static constexpr int64_t kBlock = 1000;

  explicit ProducerIds(storage::KvStore& kv) : kv_(kv) {}

  struct Ident {
    int64_t id = -1;
    int16_t epoch = -1;
  };
  // transactional_id nullopt: a fresh id with epoch 0. Otherwise the stored id with the
  // epoch bumped (a new id when the epoch would overflow). nullopt on a KV failure.
  std::optional<Ident> init(const std::optional<std::string>& transactional_id);

 private:
  std::optional<int64_t> next_id_locked();

  storage::KvStore& kv_;
  std::mutex mu_;
  int64_t next_ = 0;
  int64_t reserved_until_ = 0;  // ids below this are reserved in the KV store
  bool loaded_ = false;
};

}  // namespace unimq::kafka
