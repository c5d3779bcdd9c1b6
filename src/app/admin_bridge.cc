#include "app/admin_bridge.h"

#include <map>

#include "core/topic.h"
#include "protocol/mqtt/broker.h"

namespace unimq::app {

std::vector<admin::ClientInfo> AdminBridge::clients() {
  std::vector<admin::ClientInfo> out;
  for (auto& c : broker_.clients()) {
    admin::ClientInfo i;
    i.client_id = c.client_id;
    i.peer = c.peer;
    i.username = c.username;
    i.protocol = "mqtt";
    i.protocol_version = c.protocol_version;
    i.connected = c.connected;
    i.clean_start = c.clean_start;
    i.session_expiry = c.session_expiry;
    i.keep_alive = c.keep_alive;
    i.subscriptions = c.subscriptions;
    i.inflight = c.inflight;
    i.queued = c.queued;
    i.connected_at_ms = c.connected_at_ms;
    out.push_back(std::move(i));
  }
  return out;
}

std::vector<admin::SubscriptionInfo> AdminBridge::subscriptions() {
  std::vector<admin::SubscriptionInfo> out;
  for (auto& s : broker_.subscriptions()) {
    admin::SubscriptionInfo i;
    i.client_id = s.client_id;
    i.filter = s.filter;
    i.share_group = s.group;
    i.qos = s.options.qos;
    i.no_local = s.options.no_local;
    i.retain_as_published = s.options.retain_as_published;
    i.retain_handling = s.options.retain_handling;
    i.subscription_id = s.options.subscription_id;
    out.push_back(std::move(i));
  }
  return out;
}

// Topics known to the broker: those with a retained message and those named exactly by a
// subscription filter, each with the number of subscriptions matching it.
std::vector<admin::TopicInfo> AdminBridge::topics() {
  std::map<std::string, admin::TopicInfo> by_topic;
  for (auto& m : broker_.retained().all()) {
    auto& t = by_topic[m->topic];
    t.topic = m->topic;
    t.retained = true;
    t.retained_bytes = m->payload.size();
  }
  auto subs = broker_.subscriptions();
  for (auto& s : subs) {
    if (!core::has_wildcard(s.filter)) by_topic[s.filter].topic = s.filter;
  }
  std::vector<admin::TopicInfo> out;
  for (auto& [name, t] : by_topic) {
    for (auto& s : subs) {
      if (core::topic_matches(s.filter, name)) ++t.subscribers;
    }
    out.push_back(t);
  }
  return out;
}

bool AdminBridge::healthy() { return !broker_.shutting_down(); }

}  // namespace unimq::app
