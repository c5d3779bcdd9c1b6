// Route registration, one function per route group (routes/*.cc). Internal to admin/.
#pragma once

#include <nlohmann/json.hpp>

#include "admin/broker_view.h"
#include "metrics/registry.h"

namespace httplib {
class Response;
class Server;
}  // namespace httplib

namespace unimq::admin::routes {

void register_health(httplib::Server& server, BrokerView& view);
void register_metrics(httplib::Server& server, metrics::Registry& registry);
void register_clients(httplib::Server& server, BrokerView& view);
void register_subscriptions(httplib::Server& server, BrokerView& view);
void register_topics(httplib::Server& server, BrokerView& view);

// Sets a JSON body with the right content type. Invalid UTF-8 (e.g. from a misbehaving
// client) is replaced rather than failing the whole response.
void send_json(httplib::Response& res, int status, const nlohmann::json& body);

}  // namespace unimq::admin::routes
