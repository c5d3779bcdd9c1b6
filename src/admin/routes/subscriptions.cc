// GET /api/v1/subscriptions[?client_id=...].
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin/routes/routes.h"

namespace unimq::admin {

void to_json(nlohmann::json& j, const SubscriptionInfo& s) {
  j = {{"client_id", s.client_id},
       {"filter", s.filter},
       {"share_group", s.share_group},
       {"qos", s.qos},
       {"no_local", s.no_local},
       {"retain_as_published", s.retain_as_published},
       {"retain_handling", s.retain_handling},
       {"subscription_id", s.subscription_id}};
}

namespace routes {

void register_subscriptions(httplib::Server& server, BrokerView& view) {
  server.Get("/api/v1/subscriptions", [&view](const httplib::Request& req, httplib::Response& res) {
    auto subs = view.subscriptions();
    if (req.has_param("client_id")) {
      const std::string id = req.get_param_value("client_id");
      std::erase_if(subs, [&](const SubscriptionInfo& s) { return s.client_id != id; });
    }
    send_json(res, 200, nlohmann::json(subs));
  });
}

}  // namespace routes
}  // namespace unimq::admin
