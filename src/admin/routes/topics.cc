// GET /api/v1/topics.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin/routes/routes.h"

namespace unimq::admin {

void to_json(nlohmann::json& j, const TopicInfo& t) {
  j = {{"topic", t.topic},
       {"retained", t.retained},
       {"retained_bytes", t.retained_bytes},
       {"subscribers", t.subscribers}};
}

namespace routes {

void register_topics(httplib::Server& server, BrokerView& view) {
  server.Get("/api/v1/topics", [&view](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, nlohmann::json(view.topics()));
  });
}

}  // namespace routes
}  // namespace unimq::admin
