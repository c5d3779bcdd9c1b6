// SUBSCRIBE: validate each filter, record it in the session, apply it to every shard's
// index replica, and only then answer SUBACK and send matching retained messages.
#include <spdlog/spdlog.h>

#include "core/topic.h"
#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/session/session.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

// A reason string on a SUBACK that refused something, unless the client asked for none.
Properties MqttConnection::suback_properties(const std::vector<uint8_t>& codes) const {
  Properties p;
  if (version_ != Version::V5 || !problem_info_) return p;
  for (uint8_t c : codes) {
    if (c < 0x80) continue;
    switch (c) {
      case reason::TopicFilterInvalid:
        p.reason_string = "invalid topic filter";
        break;
      case reason::SharedSubscriptionsNotSupported:
        p.reason_string = "shared subscriptions are disabled";
        break;
      case reason::WildcardSubscriptionsNotSupported:
        p.reason_string = "wildcard subscriptions are disabled";
        break;
      default:
        p.reason_string = "subscription refused";
    }
    break;
  }
  return p;
}

void MqttConnection::handle_subscribe(Subscribe& s) {
  const MqttOptions& o = broker_.options();
  uint32_t sub_id =
      s.props.subscription_identifiers.empty() ? 0 : s.props.subscription_identifiers[0];
  const uint8_t invalid = version_ == Version::V5 ? reason::TopicFilterInvalid : 0x80;
  std::vector<uint8_t> codes;
  std::vector<SessionSubscriptionRequest> accepted;
  for (auto& t : s.topics) {
    core::SharedFilter sf = core::parse_shared(t.filter);
    if (!sf.valid || !core::valid_topic_filter(sf.filter)) {
      spdlog::info("client_id={} invalid topic filter '{}'", client_id_, t.filter);
      codes.push_back(invalid);
      continue;
    }
    if (sf.shared && !o.shared_subscriptions) {
      codes.push_back(version_ == Version::V5 ? reason::SharedSubscriptionsNotSupported : 0x80);
      continue;
    }
    if (core::has_wildcard(sf.filter) && !o.wildcard_subscriptions) {
      codes.push_back(version_ == Version::V5 ? reason::WildcardSubscriptionsNotSupported : 0x80);
      continue;
    }
    if (sf.shared && t.no_local) {
      return fail(reason::ProtocolError, "no-local on a shared subscription");
    }
    uint8_t qos = std::min(t.qos, o.max_qos);
    SessionSubscriptionRequest req;
    req.key = t.filter;
    req.sub.filter = std::string(sf.filter);
    req.sub.group = std::string(sf.group);
    req.sub.options = core::SubscriptionOptions{qos, t.no_local, t.retain_as_published,
                                                t.retain_handling, sub_id};
    req.is_new = session_->subscriptions.count(req.key) == 0;
    if (req.is_new) broker_.metrics().subscriptions.add(1);
    (*session_->subscriptions)[req.key] = req.sub;
    codes.push_back(qos);
    accepted.push_back(std::move(req));
  }
  if (accepted.empty()) {
    return send(Suback{s.packet_id, suback_properties(codes), std::move(codes)});
  }
  core::SubscriberRef who{session_->id(), session_->shard().index()};
  std::weak_ptr<bool> alive = alive_token();
  auto subs = std::make_shared<std::vector<SessionSubscriptionRequest>>(std::move(accepted));
  broker_.for_each_shard(
      [who, subs](Shard& sh) {
        for (auto& r : *subs) {
          sh.index_replica().add(r.sub.filter, r.sub.group, who, r.sub.options);
        }
      },
      [this, alive, subs, pid = s.packet_id, codes = std::move(codes)]() mutable {
        if (alive.expired() || !session_) return;
        if (session_->expiry_interval > 0) session_->shard().persist_session(*session_);
        complete_subscribe(pid, std::move(codes), std::move(*subs));
      });
}

void MqttConnection::complete_subscribe(uint16_t packet_id, std::vector<uint8_t> codes,
                                        std::vector<SessionSubscriptionRequest> accepted) {
  send(Suback{packet_id, suback_properties(codes), std::move(codes)});
  std::vector<core::MessagePtr> retained;
  for (auto& r : accepted) {
    const auto& opt = r.sub.options;
    // Retain handling 2: never; 1: only for a new subscription. Shared subscriptions get none.
    if (opt.retain_handling == 2 || (opt.retain_handling == 1 && !r.is_new)) continue;
    if (!r.sub.group.empty()) continue;
    retained.clear();
    broker_.retained().match(r.sub.filter, retained);
    std::vector<uint32_t> ids;
    if (opt.subscription_id) ids.push_back(opt.subscription_id);
    for (auto& m : retained) {
      session_->deliver(m, std::min(m->qos, opt.qos), true, ids);
    }
  }
}

}  // namespace unimq::mqtt
