// Fuzzes the Kafka front end behind the codec: the handlers, the partition logs, the group
// coordinator. One broker (memory streams, memory KV store, one running event loop) lives
// across inputs, as a server lives across connections. Each input is what one connection
// sends: size-prefixed requests (seeds: one request of each API, and flows such as join, sync,
// commit, leave), fed to a connection handler on the loop; then the client hangs up. Whatever
// the requests ask (2^31 partitions, a long poll of a day, a group join nobody completes), the
// broker must not crash, hang, or leak.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "net/event_loop.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/session/kafka_session.h"
#include "storage/kv_store.h"
#include "storage/storage_engine.h"
#include "support/fake_connection.h"
#include "support/loop_driver.h"

using namespace unimq;

namespace {

struct World {
  net::EventLoopGroup loops{1};
  std::unique_ptr<storage::StorageEngine> engine;
  std::unique_ptr<storage::KvStore> kv;
  std::unique_ptr<kafka::KafkaBroker> broker;

  World() {
    spdlog::set_level(spdlog::level::off);
    storage::EngineOptions eo;
    eo.default_backend = storage::Backend::Memory;
    eo.max_streams = 4096;  // a topic of 2^31 partitions is refused, not allocated
    eo.retention_check_ms = 100;
    if (!storage::StorageEngine::open(eo, engine).ok()) abort();
    if (!storage::open_kv_store(storage::KvBackend::Memory, "", kv).ok()) abort();
    kafka::KafkaOptions ko;
    ko.max_request_size = 1 << 20;
    ko.stream_defaults.retention_bytes = 1 << 20;  // what produces append does not pile up
    broker = std::make_unique<kafka::KafkaBroker>(ko, loops, *engine, *kv);
    broker->load();
    loops.start();
  }
};

World& world() {
  static World* w = new World();  // lives for the whole run, like the server
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  World& w = world();
  test::serve_connection(w.loops.loop(0), {data, size}, [&](net::Connection& c) {
    return std::make_unique<kafka::KafkaConnectionHandler>(*w.broker, c);
  });
  w.broker->groups().tick();  // expires what the closed connection left in groups
  return 0;
}
