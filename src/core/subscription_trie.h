// Internal to the subscription index (subscription_index.cc, subscription_trie.cc): the trie
// node and its per-node subscriber containers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/shared_strategy.h"
#include "core/subscription_index.h"

namespace unimq::core::detail {

struct SubscriberRefHash {
  size_t operator()(const SubscriberRef& r) const {
    return std::hash<uint64_t>{}(r.session_id * 0x9E3779B97F4A7C15ull + r.shard);
  }
};

struct PlainSub {
  SubscriberRef who;
  SubscriptionOptions options;
};

// Plain subscribers of one filter. A vector keeps match() a linear copy; a position map is
// built only once the list is large (e.g. thousands on "#"), so add/remove stay O(1) there
// without paying a hash map per node for the common one-subscriber filters.
class PlainSubList {
 public:
  const std::vector<PlainSub>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  // Returns true if new, false if the options of an existing entry were replaced.
  bool upsert(SubscriberRef who, const SubscriptionOptions& opts);
  bool erase(SubscriberRef who);

 private:
  static constexpr size_t kIndexThreshold = 16;
  std::ptrdiff_t find(SubscriberRef who) const;

  std::vector<PlainSub> items_;
  std::unique_ptr<std::unordered_map<SubscriberRef, uint32_t, SubscriberRefHash>> pos_;
};

// One share group on one filter: members keep insertion order because the picker's cursor
// and sticky choice are indices into it.
struct ShareGroup {
  ShareGroup(std::string_view n, uint64_t k, SharedStrategy s, uint64_t seed)
      : name(n), key(k), picker(s, seed) {}
  std::string name;
  uint64_t key;  // share_group_key(filter, name)
  std::vector<PlainSub> members;
  SharedPicker picker;
};

enum class NodeKind : uint8_t { kRoot, kLiteral, kPlus, kHash };

struct Node {
  Node(Node* p, NodeKind k, std::string_view lvl) : parent(p), kind(k), level(lvl) {}

  using ChildMap = std::unordered_map<std::string_view, std::unique_ptr<Node>>;

  bool has_children() const { return big_children || !small_children.empty(); }
  bool empty() const { return subs.empty() && groups.empty() && !has_children() && !plus && !hash; }
  ShareGroup* find_group(std::string_view name);
  Node* find_child(std::string_view lvl) const;
  Node* ensure_child(std::string_view lvl);
  void erase_child(const Node* child);
  template <typename Fn>
  void for_each_child(Fn&& fn) const {
    if (big_children) {
      for (const auto& [key, child] : *big_children) fn(*child);
    }
    for (const auto& child : small_children) fn(*child);
  }
  // Moves every literal child out (non-recursive teardown).
  void take_children(std::vector<std::unique_ptr<Node>>& out);

  Node* parent;
  NodeKind kind;
  // The node's own level; children keys are views into their node's `level`, which never
  // moves (nodes are heap-allocated), so lookups by string_view allocate nothing.
  std::string level;
  // Literal children: a short vector scanned linearly while there are few (the common case:
  // one child per device id level), a hash map past kSmallChildren. A map per node would
  // cost ~250 bytes even with one child, in every shard's replica.
  static constexpr size_t kSmallChildren = 8;
  std::vector<std::unique_ptr<Node>> small_children;
  std::unique_ptr<ChildMap> big_children;
  std::unique_ptr<Node> plus;  // '+' child
  std::unique_ptr<Node> hash;  // '#' child (always a leaf)
  PlainSubList subs;
  std::vector<ShareGroup> groups;
};

}  // namespace unimq::core::detail
