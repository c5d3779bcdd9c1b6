// Admin HTTP API (health, Prometheus metrics, read-only broker introspection), served by
// cpp-httplib on its own small thread pool so it never touches the broker's event loops.
//
//   GET /health                     200 {"status":"ok"} | 503 {"status":"unhealthy"}
//   GET /metrics                    Prometheus text format 0.0.4
//   GET /api/v1/clients             [ClientInfo...]
//   GET /api/v1/clients/{client_id} ClientInfo | 404 (client_id URL-encoded)
//   GET /api/v1/subscriptions       [SubscriptionInfo...], optional ?client_id=
//   GET /api/v1/topics              [TopicInfo...]
// Anything else: 404 {"error":"not found","path":...}. JSON field names equal the struct fields
// in admin/broker_view.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "admin/broker_view.h"
#include "metrics/registry.h"

namespace httplib {
class Server;
}

namespace unimq::admin {

class AdminServer {
 public:
  // `view` and `registry` must outlive the server.
  AdminServer(std::string bind, uint16_t port, BrokerView& view, metrics::Registry& registry);
  ~AdminServer();  // stops
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts serving on a background thread. Port 0 binds an ephemeral port (tests);
  // port() then reports it. Throws std::runtime_error("cannot listen on <bind>:<port>").
  void start();
  // Idempotent; waits for in-flight requests to finish.
  void stop();
  // The bound port once started, else the configured one.
  uint16_t port() const { return port_; }

 private:
  std::string bind_;
  uint16_t port_;
  BrokerView& view_;
  metrics::Registry& registry_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace unimq::admin
