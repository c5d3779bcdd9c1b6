// Fuzzes the AMQP 0-9-1 front end behind the frame codec: the connection handshake, channels,
// content assembly, the handlers and the broker model (exchanges, queues, consumers, confirms,
// transactions). Each input is what a client sends after the protocol header (seeds: pika
// sessions, recorded); it is fed to a connection handler on a running event loop, over a fresh
// broker on memory storage, and then the client hangs up. The broker must not crash, hang or
// leak, whatever the frames say.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/event_loop.h"
#include "protocol/amqp/broker/broker.h"
#include "protocol/amqp/session/amqp_connection.h"
#include "protocol/amqp/session/server_context.h"
#include "storage/kv_store.h"
#include "storage/storage_engine.h"
#include "support/fake_connection.h"
#include "support/loop_driver.h"

using namespace unimq;

namespace {

net::EventLoopGroup& loops() {
  static net::EventLoopGroup* g = [] {
    spdlog::set_level(spdlog::level::off);
    auto* group = new net::EventLoopGroup(1);  // lives for the whole run
    group->start();
    return group;
  }();
  return *g;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  static const uint8_t kHeader[] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
  std::vector<uint8_t> in(kHeader, kHeader + sizeof kHeader);
  in.insert(in.end(), data, data + size);

  storage::EngineOptions eo;
  eo.default_backend = storage::Backend::Memory;
  eo.max_streams = 64;
  std::unique_ptr<storage::StorageEngine> engine;
  std::unique_ptr<storage::KvStore> kv;
  if (!storage::StorageEngine::open(eo, engine).ok()) abort();
  if (!storage::open_kv_store(storage::KvBackend::Memory, "", kv).ok()) abort();
  auto broker = std::make_unique<amqp::Broker>(amqp::BrokerOptions{}, engine.get(), kv.get());
  amqp::SessionOptions so;
  so.users = {{"guest", "guest"}};
  auto server = std::make_unique<amqp::ServerContext>(so);
  server->set_broker(broker.get());

  test::serve_connection(loops().loop(0), in, [&](net::Connection& c) {
    return std::make_unique<amqp::AmqpConnection>(*server, c);
  });
  broker->stop();
  test::run_on_loop(loops().loop(0), [] {});  // what stopping posted
  server.reset();
  broker.reset();
  engine->close();
  return 0;
}
