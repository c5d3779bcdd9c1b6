// The subscription index: a topic trie from filters to subscribers, with shared-subscription
// groups. Single-threaded by design: each shard holds its own replica and applies every
// subscribe/unsubscribe, so matching on publish takes no lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/shared_strategy.h"

namespace unimq::core {

struct SubscriptionOptions {
  uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  uint8_t retain_handling = 0;
  uint32_t subscription_id = 0;  // 0 = none
};

// Who a subscription belongs to: the session id (unique for the process lifetime) and the
// shard that owns the session.
// Stable across replicas: the same filter and group give the same key on every shard (never 0).
uint64_t share_group_key(std::string_view filter, std::string_view group);

struct SubscriberRef {
  uint64_t session_id = 0;
  uint32_t shard = 0;
  bool operator==(const SubscriberRef&) const = default;
};

struct Match {
  SubscriberRef subscriber;
  SubscriptionOptions options;
  bool shared = false;  // delivered as one member of a share group (no-local does not apply)
  // Identifies the share group (filter + group name) on every shard's replica; 0 if not shared.
  uint64_t share_key = 0;
};

// Context for choosing a shared-group member (publisher's client id for the hash strategy).
struct MatchContext {
  std::string_view publisher_client_id;
};

class SubscriptionIndex {
 public:
  explicit SubscriptionIndex(SharedStrategy strategy = SharedStrategy::RoundRobin,
                             uint64_t seed = 0);
  ~SubscriptionIndex();
  SubscriptionIndex(const SubscriptionIndex&) = delete;
  SubscriptionIndex& operator=(const SubscriptionIndex&) = delete;

  // Adds or replaces (same subscriber, same filter, same group) a subscription.
  // `filter` is the real filter (already stripped of "$share/{group}/"); group empty = not
  // shared. Returns true if it was new, false if it replaced an existing one.
  bool add(std::string_view filter, std::string_view group, SubscriberRef who,
           const SubscriptionOptions& opts);
  // Returns true if it existed.
  bool remove(std::string_view filter, std::string_view group, SubscriberRef who);
  // Removes every subscription of a session (returns how many).
  size_t remove_all(uint64_t session_id);

  // Appends every match for a topic name: each plain subscription, plus one chosen member per
  // matching share group. Does not deduplicate per session (the caller merges overlaps).
  void match(std::string_view topic, const MatchContext& ctx, std::vector<Match>& out);
  // Picks another member of the share group `share_key` for a message on `topic` whose chosen
  // member (`gone_session`) is gone; false if the group has no other member.
  bool pick_shared(std::string_view topic, uint64_t share_key, uint64_t gone_session,
                   const MatchContext& ctx, Match& out);
  // True if any subscription (plain or shared) matches; picks nobody (no strategy state moves).
  bool any_match(std::string_view topic);

  size_t size() const;  // number of (filter, group, subscriber) entries

  struct Entry {
    std::string filter;
    std::string group;
    SubscriberRef subscriber;
    SubscriptionOptions options;
  };
  // All entries (admin API; not for hot paths).
  std::vector<Entry> list() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unimq::core
