#include "app/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>

#include "admin/http_server.h"
#include "app/admin_bridge.h"
#include "app/cli.h"
#include "app/mqtt_wiring.h"
#include "app/storage_wiring.h"
#include "storage/storage_engine.h"
#include "metrics/registry.h"
#include "net/event_loop.h"
#include "net/listener.h"
#include "protocol/mqtt/broker.h"

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
  std::unique_ptr<StorageStack> storage;
  if (config.mqtt.persistence) {
    try {
      storage = open_storage(config, workers);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return 1;
    }
  }
  net::EventLoopGroup loops(workers);
  mqtt::MqttOptions opts = mqtt_options(config);
  opts.version = version();
  mqtt::MqttBroker broker(loops, opts);
  if (storage) broker.attach_store(storage->mqtt.get());
  AdminBridge bridge(broker);
  std::unique_ptr<admin::AdminServer> admin;
  std::vector<std::unique_ptr<net::Listener>> listeners;

  loops.start();
  broker.recover();
  try {
    listeners = start_mqtt_listeners(config, loops, broker);
    if (config.http.port != 0) {
      admin = std::make_unique<admin::AdminServer>(config.http.bind, config.http.port, bridge,
                                                   metrics::global_registry());
      admin->start();
      spdlog::info("admin HTTP listening on {}:{}", config.http.bind, admin->port());
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    for (auto& l : listeners) l->stop();
    loops.stop();
    loops.join();
    return 1;
  }
  if (config.kafka.port != 0) {
    spdlog::info("Kafka listener (port {}) is not available in this build yet", config.kafka.port);
  }
  if (config.amqp.port != 0) {
    spdlog::info("AMQP listener (port {}) is not available in this build yet", config.amqp.port);
  }
  broker.start();
  spdlog::info("unimq {} started: {} worker(s), data dir {}", version(), workers,
               config.server.data_dir);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");

  for (auto& l : listeners) l->stop();
  broker.shutdown(std::chrono::milliseconds(3000));
  if (admin) admin->stop();
  // Flush the journal while the loops still run its last completion callbacks.
  if (storage) storage->engine->close();
  loops.stop();
  loops.join();
  spdlog::info("shutdown complete");
  spdlog::shutdown();
  return 0;
}

}  // namespace unimq::app
