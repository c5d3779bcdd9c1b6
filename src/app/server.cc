#include "app/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>

#include "admin/http_server.h"
#include "app/admin_bridge.h"
#include "app/cli.h"
#include "app/mqtt_wiring.h"
#include "app/service.h"
#include "app/storage_wiring.h"
#include "core/bus.h"
#include "metrics/registry.h"
#include "net/event_loop.h"
#include "net/listener.h"
#include "protocol/mqtt/broker.h"
#include "storage/storage_engine.h"

namespace unimq::app {

namespace {
// Blocks SIGINT/SIGTERM in every thread (threads inherit the mask) so that only the main
// thread receives them, synchronously, in sigwait().
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}
}  // namespace

int run_server(const Config& config) {
  // Logging is already set up by run_cli() from the same config.
  std::error_code ec;
  std::filesystem::create_directories(config.server.data_dir, ec);
  if (ec) {
    spdlog::error("cannot create data directory {}: {}", config.server.data_dir, ec.message());
    return 1;
  }
  sigset_t signals = block_shutdown_signals();

  uint32_t workers = config.effective_workers();
  // The journal and the metadata store are always open: Kafka topics, AMQP queues and
  // (with mqtt.persistence) MQTT sessions live there.
  std::unique_ptr<StorageStack> storage;
  try {
    storage = open_storage(config, workers);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  net::EventLoopGroup loops(workers);
  core::Bus bus;  // cross-protocol routing; sinks register below, before the loops start
  mqtt::MqttOptions opts = mqtt_options(config);
  opts.version = version();
  mqtt::MqttBroker broker(loops, opts);
  if (storage->mqtt) broker.attach_store(storage->mqtt.get());
  broker.attach_bus(&bus);
  bus.add_sink(core::Origin::Mqtt, &broker);
  ServiceContext ctx{config, loops, *storage->engine, *storage->kv, bus};
  std::vector<std::unique_ptr<Service>> services;
  for (auto make : {make_kafka_service, make_amqp_service})
    if (auto s = make(ctx)) services.push_back(std::move(s));
  AdminBridge bridge(broker);
  std::unique_ptr<admin::AdminServer> admin;
  std::vector<std::unique_ptr<net::Listener>> listeners;

  loops.start();
  broker.recover();
  try {
    listeners = start_mqtt_listeners(config, loops, broker);
    for (auto& s : services) s->start();
    if (config.http.port != 0) {
      admin = std::make_unique<admin::AdminServer>(config.http.bind, config.http.port, bridge,
                                                   metrics::global_registry());
      admin->start();
      spdlog::info("admin HTTP listening on {}:{}", config.http.bind, admin->port());
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    for (auto& l : listeners) l->stop();
    for (auto& s : services) s->shutdown();
    loops.stop();
    loops.join();
    return 1;
  }
  broker.start();
  spdlog::info("unimq {} started: {} worker(s), data dir {}", version(), workers,
               config.server.data_dir);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");

  for (auto& l : listeners) l->stop();
  broker.shutdown(std::chrono::milliseconds(3000));
  for (auto& s : services) s->shutdown();
  if (admin) admin->stop();
  // Flush the journal while the loops still run its last completion callbacks.
  storage->engine->close();
  loops.stop();
  loops.join();
  spdlog::info("shutdown complete");
  spdlog::shutdown();
  return 0;
}

}  // namespace unimq::app
