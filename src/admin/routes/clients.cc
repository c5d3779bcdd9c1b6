// GET /api/v1/clients and /api/v1/clients/{client_id}.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin/routes/routes.h"

namespace unimq::admin {

void to_json(nlohmann::json& j, const ClientInfo& c) {
  j = {{"client_id", c.client_id},
       {"peer", c.peer},
       {"username", c.username},
       {"protocol", c.protocol},
       {"protocol_version", c.protocol_version},
       {"connected", c.connected},
       {"clean_start", c.clean_start},
       {"session_expiry", c.session_expiry},
       {"keep_alive", c.keep_alive},
       {"subscriptions", c.subscriptions},
       {"inflight", c.inflight},
       {"queued", c.queued},
       {"connected_at_ms", c.connected_at_ms}};
}

namespace routes {

void register_clients(httplib::Server& server, BrokerView& view) {
  server.Get("/api/v1/clients", [&view](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, nlohmann::json(view.clients()));
  });
  // httplib matches against the URL-decoded path, so ids containing '/' or spaces work when
  // the caller percent-encodes them.
  server.Get(
      R"(/api/v1/clients/(.+))", [&view](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        for (const auto& c : view.clients()) {
          if (c.client_id == id) return send_json(res, 200, nlohmann::json(c));
        }
        send_json(res, 404, nlohmann::json{{"error", "client not found"}, {"client_id", id}});
      });
}

}  // namespace routes
}  // namespace unimq::admin
