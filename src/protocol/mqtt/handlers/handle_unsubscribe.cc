// UNSUBSCRIBE: drop filters from the session and every shard's index, then UNSUBACK.
#include "core/topic.h"
#include "protocol/mqtt/broker.h"
#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/session/session.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

void MqttConnection::handle_unsubscribe(Unsubscribe& u) {
  std::vector<uint8_t> codes;
  auto removed = std::make_shared<std::vector<SessionSubscription>>();
  for (auto& f : u.filters) {
    if (session_->subscriptions.count(f) == 0) {
      codes.push_back(reason::NoSubscriptionExisted);
      continue;
    }
    auto it = session_->subscriptions->find(f);
    removed->push_back(it->second);
    session_->subscriptions->erase(it);
    broker_.metrics().subscriptions.sub(1);
    codes.push_back(reason::Success);
  }
  session_->subscriptions.release_if_empty();
  if (version_ != Version::V5) codes.clear();
  if (removed->empty()) return send(Unsuback{u.packet_id, {}, std::move(codes)});
  core::SubscriberRef who{session_->id(), session_->shard().index()};
  std::weak_ptr<bool> alive = alive_token();
  broker_.for_each_shard(
      [who, removed](Shard& sh) {
        for (auto& r : *removed) sh.index_replica().remove(r.filter, r.group, who);
      },
      [this, alive, pid = u.packet_id, codes = std::move(codes)]() mutable {
        if (alive.expired() || !session_) return;
        if (session_->expiry_interval > 0) session_->shard().persist_session(*session_);
        send(Unsuback{pid, {}, std::move(codes)});
      });
}

}  // namespace unimq::mqtt
