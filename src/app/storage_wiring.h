// Config -> storage engine, key-value store and the MQTT store on top of them.
#pragma once

#include <memory>

#include "app/config.h"

namespace unimq::storage {
class StorageEngine;
class KvStore;
}  // namespace unimq::storage

namespace unimq::mqtt {
class MqttStore;
}

namespace unimq::app {

struct StorageStack {
  std::unique_ptr<storage::StorageEngine> engine;
  std::unique_ptr<storage::KvStore> kv;
  std::unique_ptr<mqtt::MqttStore> mqtt;
  ~StorageStack();
};

// Opens <data_dir>/journal and <data_dir>/meta. Throws std::runtime_error with a clear
// message (path and reason) when the data directory cannot be used.
std::unique_ptr<StorageStack> open_storage(const Config& config, size_t shards);

}  // namespace unimq::app
