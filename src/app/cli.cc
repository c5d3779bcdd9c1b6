#include "app/cli.h"

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "base/logging.h"

#ifndef UNIMQ_VERSION
#define UNIMQ_VERSION "0.0.0"
#endif

namespace unimq::app {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A flag that is a shorthand for one config key; kept as text so that it goes through the
// same parsing and validation (and error messages) as --set.
struct KeyFlag {
  const char* flag;
  const char* key;
  const char* type_name;
  const char* help;
  std::optional<std::string> value;
};

}  // namespace

const char* version() { return UNIMQ_VERSION; }

int run_cli(int argc, char** argv, std::function<int(const Config&)> run_server) {
  CLI::App app{"UniMQ message broker (MQTT 3.1/3.1.1/5.0)", "unimq"};
  app.set_version_flag("-V,--version", std::string("unimq ") + version(),
                       "Print the version and exit");
  app.require_subcommand(1);
  app.footer("Run 'unimq server --help' for the server options.");

  CLI::App* server = app.add_subcommand("server", "Run the broker");
  server->footer(
      "Precedence: built-in defaults < --config file < flags above < --set.\n"
      "Every key is documented in config/unimq.toml; --print-config shows the result.");
  std::string config_path;
  server
      ->add_option("-c,--config", config_path,
                   "TOML config file (see config/unimq.toml). Without this flag the built-in "
                   "defaults are used; a given file must exist")
      ->type_name("FILE");

  std::vector<KeyFlag> key_flags = {
      {"--data-dir", "server.data_dir", "DIR", "Data directory (server.data_dir)", {}},
      {"--mqtt-port", "mqtt.port", "PORT", "MQTT TCP port, 0 disables (mqtt.port)", {}},
      {"--mqtt-ws-port",
       "mqtt.ws_port",
       "PORT",
       "MQTT over WebSocket port, 0 disables (mqtt.ws_port)",
       {}},
      {"--kafka-port", "kafka.port", "PORT", "Kafka port, 0 disables (kafka.port)", {}},
      {"--amqp-port", "amqp.port", "PORT", "AMQP port, 0 disables (amqp.port)", {}},
      {"--http-port", "http.port", "PORT", "Admin HTTP API port, 0 disables (http.port)", {}},
      {"--log-level",
       "server.log_level",
       "LEVEL",
       "trace, debug, info, warn, error or off (server.log_level)",
       {}},
      {"--workers",
       "server.workers",
       "N",
       "Event-loop threads, 0 = one per core, one on <= 2 cores (server.workers)",
       {}},
  };
  for (auto& kf : key_flags)
    server->add_option(kf.flag, kf.value, kf.help)->type_name(kf.type_name);

  std::vector<std::string> sets;
  // One KEY=VALUE per --set (repeatable); a bare value after it is then a usage error.
  server
      ->add_option("--set", sets,
                   "Override any config key, e.g. --set mqtt.max_inflight=64 (repeatable; "
                   "applied after the other flags)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  bool print_config = false;
  server->add_flag("--print-config", print_config,
                   "Print the effective configuration as TOML and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help/version or the error
    return code == 0 ? 0 : kExitUsage;
  }

  Config config;
  try {
    if (!config_path.empty()) config = load_config(config_path);
    for (const auto& kf : key_flags) {
      if (!kf.value) continue;
      try {
        apply_override(config, kf.key, *kf.value);
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("{}: {}", kf.flag, e.what()));
      }
    }
    for (const auto& s : sets) {
      try {
        apply_override(config, s);
      } catch (const ConfigError& e) {
        throw ConfigError(fmt::format("--set: {}", e.what()));
      }
    }
    validate(config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "unimq: configuration error: %s\n", e.what());
    return kExitUsage;
  }

  if (print_config) {
    std::fputs(dump_config(config).c_str(), stdout);
    return 0;
  }

  try {
    init_logging(config.server.log_level, config.log.file, config.log.format);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unimq: cannot initialise logging: %s\n", e.what());
    return kExitUsage;
  }

  try {
    spdlog::info("unimq {} starting config={} data_dir={} workers={}", version(),
                 log_value(config_path.empty() ? "<defaults>" : config_path),
                 log_value(config.server.data_dir), config.effective_workers());
    return run_server(config);
  } catch (const std::exception& e) {
    spdlog::critical("server failed: {}", e.what());
    spdlog::shutdown();
    return kExitFailure;
  }
}

}  // namespace unimq::app
