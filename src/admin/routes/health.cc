// GET /health: liveness/readiness probe for load balancers and orchestrators.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin/routes/routes.h"

namespace unimq::admin::routes {

void register_health(httplib::Server& server, BrokerView& view) {
  server.Get("/health", [&view](const httplib::Request&, httplib::Response& res) {
    bool ok = view.healthy();
    send_json(res, ok ? 200 : 503, nlohmann::json{{"status", ok ? "ok" : "unhealthy"}});
  });
}

}  // namespace unimq::admin::routes
