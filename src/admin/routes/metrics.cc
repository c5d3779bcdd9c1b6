// GET /metrics: Prometheus scrape endpoint.
#include <httplib.h>

#include "admin/routes/routes.h"

namespace unimq::admin::routes {

void register_metrics(httplib::Server& server, metrics::Registry& registry) {
  server.Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.render_prometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace unimq::admin::routes
