// Command-line entry point:
//   unimq --help | --version
//   unimq server [--config FILE] [--data-dir D] [--mqtt-port N] [--mqtt-ws-port N]
//                [--kafka-port N] [--amqp-port N] [--http-port N] [--log-level L]
//                [--workers N] [--set section.key=value ...] [--print-config]
//
// Exit codes: 0 ok, 1 the server failed (exception from run_server or its own return value),
// 2 bad usage or invalid configuration (message on stderr).
#pragma once

#include <functional>

#include "app/config.h"

namespace unimq::app {

// Parses argv, builds the Config (defaults < --config file < flags < --set), validates it,
// initialises logging from it and calls run_server, returning its result. main() is just:
//   return unimq::app::run_cli(argc, argv, start_server);
int run_cli(int argc, char** argv, std::function<int(const Config&)> run_server);

// "0.1.0", from the CMake project version.
const char* version();

}  // namespace unimq::app
