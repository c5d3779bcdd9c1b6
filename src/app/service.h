// A protocol front end (Kafka, AMQP) as the server sees it: built from the shared context,
// started after the loops run, stopped in order at shutdown.
#pragma once

#include <memory>

#include "app/config.h"

namespace unimq::net {
class EventLoopGroup;
}
namespace unimq::storage {
class StorageEngine;
class KvStore;
}  // namespace unimq::storage
namespace unimq::core {
class Bus;
}

namespace unimq::app {

struct ServiceContext {
  const Config& config;
  net::EventLoopGroup& loops;
  storage::StorageEngine& engine;  // journal streams
  storage::KvStore& kv;            // durable metadata (topics, offsets, queues)
  core::Bus& bus;                  // cross-protocol routing
};

class Service {
 public:
  virtual ~Service() = default;
  // Recovers state and binds the listeners; throws std::runtime_error with a clear message.
  // Called on the main thread once the loops run.
  virtual void start() = 0;
  // Stops accepting and closes client connections; called before the storage engine closes.
  virtual void shutdown() = 0;
};

// Each returns nullptr when the front end's port is 0. Defined in app/<protocol>_wiring.cc.
std::unique_ptr<Service> make_kafka_service(const ServiceContext& ctx);
std::unique_ptr<Service> make_amqp_service(const ServiceContext& ctx);

}  // namespace unimq::app
