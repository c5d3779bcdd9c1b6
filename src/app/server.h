// `unimq server`: wires the all-in-one node (event loops, MQTT listeners, admin HTTP) and
// runs it until SIGTERM/SIGINT, then shuts down gracefully and returns the exit code.
#pragma once

#include "app/config.h"

namespace unimq::app {

int run_server(const Config& config);

}  // namespace unimq::app
