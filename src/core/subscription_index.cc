#include "core/subscription_index.h"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <utility>

#include "core/subscription_trie.h"

namespace unimq::core {

using detail::Node;
using detail::NodeKind;
using detail::PlainSub;
using detail::ShareGroup;

namespace {

// Calls fn(level) for each '/'-separated level ("a//b" has an empty middle level).
template <typename Fn>
void for_each_level(std::string_view s, Fn&& fn) {
  size_t pos = 0;
  while (true) {
    const size_t end = s.find('/', pos);
    fn(s.substr(pos, end - pos));
    if (end == std::string_view::npos) return;
    pos = end + 1;
  }
}

}  // namespace

uint64_t share_group_key(std::string_view filter, std::string_view group) {
  const uint64_t h = std::hash<std::string_view>{}(filter)*0x9E3779B97F4A7C15ull ^
                     std::hash<std::string_view>{}(group);
  return h ? h : 1;
}

struct SubscriptionIndex::Impl {
  // What a session subscribed to, so remove_all() goes straight to the nodes. Node pointers
  // stay valid: a node holding a subscription is never pruned.
  struct SessionSub {
    Node* node;
    std::string group;
    uint32_t shard;
  };

  SharedStrategy strategy;
  uint64_t seed;
  uint64_t groups_created = 0;
  size_t size = 0;
  Node root{nullptr, NodeKind::kRoot, {}};
  std::unordered_map<uint64_t, std::vector<SessionSub>> by_session;

  Impl(SharedStrategy s, uint64_t sd) : strategy(s), seed(sd) {}

  Node* find_node(std::string_view filter) {
    Node* n = &root;
    bool ok = true;
    for_each_level(filter, [&](std::string_view level) {
      if (!ok) return;
      if (level == "+") {
        n = n->plus.get();
      } else if (level == "#") {
        n = n->hash.get();
      } else {
        n = n->find_child(level);
      }
      ok = n != nullptr;
    });
    return ok ? n : nullptr;
  }

  Node* ensure_node(std::string_view filter) {
    Node* n = &root;
    for_each_level(filter, [&](std::string_view level) {
      if (level == "+") {
        if (!n->plus) n->plus = std::make_unique<Node>(n, NodeKind::kPlus, level);
        n = n->plus.get();
      } else if (level == "#") {
        if (!n->hash) n->hash = std::make_unique<Node>(n, NodeKind::kHash, level);
        n = n->hash.get();
      } else {
        n = n->ensure_child(level);
      }
    });
    return n;
  }

  // Detaches empty nodes from `n` up to the root, so unsubscribed filters cost no memory.
  void prune(Node* n) {
    while (n != &root && n->empty()) {
      Node* parent = n->parent;
      switch (n->kind) {
        case NodeKind::kPlus:
          parent->plus.reset();
          break;
        case NodeKind::kHash:
          parent->hash.reset();
          break;
        case NodeKind::kLiteral:
          parent->erase_child(n);
          break;
        case NodeKind::kRoot:
          return;
      }
      n = parent;
    }
  }

  // Removes `who` from `n` (plain if group empty, else from the share group); no pruning.
  bool remove_at(Node* n, std::string_view group, SubscriberRef who) {
    if (group.empty()) return n->subs.erase(who);
    ShareGroup* g = n->find_group(group);
    if (!g) return false;
    auto it = std::find_if(g->members.begin(), g->members.end(),
                           [&](const PlainSub& m) { return m.who == who; });
    if (it == g->members.end()) return false;
    const size_t idx = static_cast<size_t>(it - g->members.begin());
    g->members.erase(it);  // keep order: picker positions are indices
    g->picker.on_member_removed(idx, g->members.size());
    if (g->members.empty()) {
      n->groups.erase(n->groups.begin() + (g - n->groups.data()));
    }
    return true;
  }

  void forget_session_sub(SubscriberRef who, Node* n, std::string_view group) {
    auto it = by_session.find(who.session_id);
    if (it == by_session.end()) return;
    auto& subs = it->second;
    for (size_t i = 0; i < subs.size(); ++i) {
      if (subs[i].node == n && subs[i].shard == who.shard && subs[i].group == group) {
        subs[i] = std::move(subs.back());
        subs.pop_back();
        break;
      }
    }
    if (subs.empty()) by_session.erase(it);
  }

  void collect(Node* n, const MatchContext& ctx, std::vector<Match>& out) {
    for (const PlainSub& s : n->subs.items()) out.push_back(Match{s.who, s.options, false});
    for (ShareGroup& g : n->groups) {
      const size_t i = g.picker.pick(g.members.size(), ctx.publisher_client_id);
      const PlainSub& m = g.members[i];
      out.push_back(Match{m.who, m.options, true, g.key});
    }
  }

  bool pick_shared(std::string_view topic, uint64_t key, uint64_t gone, const MatchContext& ctx,
                   Match& out) {
    bool found = false;
    walk(topic, [&](Node* n) {
      for (ShareGroup& g : n->groups) {
        if (g.key != key) continue;
        const size_t count = g.members.size();
        const size_t first = g.picker.pick(count, ctx.publisher_client_id);
        // The gone member may still be listed (its removal is a task not yet run here).
        for (size_t k = 0; k < count; ++k) {
          const PlainSub& m = g.members[(first + k) % count];
          if (m.who.session_id == gone) continue;
          out = Match{m.who, m.options, true, g.key};
          found = true;
          break;
        }
        return true;  // one group per key
      }
      return false;
    });
    return found;
  }

  // Iterative walk (explicit stack, reused across calls) so a deep topic cannot overflow the
  // thread stack. Each frame: `n` matched the topic levels before `pos`; `done` means the
  // topic has no levels left.
  struct Frame {
    Node* n;
    size_t pos;
    bool done;
  };
  std::vector<Frame> stack;

  // Visits every node whose subscribers match `topic`; stops early when visit returns true.
  template <typename Visit>
  bool walk(std::string_view topic, Visit&& visit) {
    // The '$' rule: no leading wildcard reaches a '$'-topic.
    const bool dollar = !topic.empty() && topic.front() == '$';
    stack.clear();
    stack.push_back(Frame{&root, 0, false});
    while (!stack.empty()) {
      const Frame f = stack.back();
      stack.pop_back();
      if (f.done) {
        if (visit(f.n)) return true;
        if (f.n->hash && visit(f.n->hash.get())) return true;  // "a/#" also matches "a"
        continue;
      }
      const bool wildcards_ok = !(dollar && f.n == &root);
      const size_t end = topic.find('/', f.pos);
      const bool last = end == std::string_view::npos;
      const size_t next = last ? topic.size() : end + 1;
      if (wildcards_ok && f.n->hash && visit(f.n->hash.get())) return true;
      if (wildcards_ok && f.n->plus) stack.push_back(Frame{f.n->plus.get(), next, last});
      if (Node* child = f.n->find_child(topic.substr(f.pos, end - f.pos))) {
        stack.push_back(Frame{child, next, last});
      }
    }
    return false;
  }

  void match(std::string_view topic, const MatchContext& ctx, std::vector<Match>& out) {
    walk(topic, [&](Node* n) {
      collect(n, ctx, out);
      return false;
    });
  }

  bool any_match(std::string_view topic) {
    return walk(topic, [](Node* n) { return !n->subs.empty() || !n->groups.empty(); });
  }

  void list(std::vector<Entry>& out) const {
    std::vector<std::pair<const Node*, std::string>> todo;
    todo.emplace_back(&root, std::string());
    while (!todo.empty()) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture those in lambdas.
      const Node* n = todo.back().first;
      std::string path = std::move(todo.back().second);
      todo.pop_back();
      for (const PlainSub& s : n->subs.items()) out.push_back(Entry{path, {}, s.who, s.options});
      for (const ShareGroup& g : n->groups) {
        for (const PlainSub& m : g.members) out.push_back(Entry{path, g.name, m.who, m.options});
      }
      auto push = [&](const Node& c) {
        todo.emplace_back(&c, n == &root ? c.level : path + "/" + c.level);
      };
      n->for_each_child(push);
      if (n->plus) push(*n->plus);
      if (n->hash) push(*n->hash);
    }
  }

  // Tears the trie down bottom-up without recursion (unique_ptr chains would recurse once
  // per level).
  ~Impl() {
    std::vector<std::unique_ptr<Node>> todo;
    root.take_children(todo);
    while (!todo.empty()) {
      std::unique_ptr<Node> n = std::move(todo.back());
      todo.pop_back();
      n->take_children(todo);
    }
  }
};

SubscriptionIndex::SubscriptionIndex(SharedStrategy strategy, uint64_t seed)
    : impl_(std::make_unique<Impl>(strategy, seed)) {}

SubscriptionIndex::~SubscriptionIndex() = default;

bool SubscriptionIndex::add(std::string_view filter, std::string_view group, SubscriberRef who,
                            const SubscriptionOptions& opts) {
  Node* n = impl_->ensure_node(filter);
  bool added;
  if (group.empty()) {
    added = n->subs.upsert(who, opts);
  } else {
    ShareGroup* g = n->find_group(group);
    if (!g) {
      // Distinct seeds per group so random groups do not pick in lockstep.
      const uint64_t seed = impl_->seed ^ std::hash<std::string_view>{}(group) ^
                            (++impl_->groups_created * 0x9E3779B97F4A7C15ull);
      g = &n->groups.emplace_back(group, share_group_key(filter, group), impl_->strategy, seed);
    }
    auto it = std::find_if(g->members.begin(), g->members.end(),
                           [&](const PlainSub& m) { return m.who == who; });
    added = it == g->members.end();
    if (added) {
      g->members.push_back(PlainSub{who, opts});
    } else {
      it->options = opts;
    }
  }
  if (added) {
    ++impl_->size;
    impl_->by_session[who.session_id].push_back(Impl::SessionSub{n, std::string(group), who.shard});
  }
  return added;
}

bool SubscriptionIndex::remove(std::string_view filter, std::string_view group, SubscriberRef who) {
  Node* n = impl_->find_node(filter);
  if (!n || !impl_->remove_at(n, group, who)) return false;
  --impl_->size;
  impl_->forget_session_sub(who, n, group);
  impl_->prune(n);
  return true;
}

size_t SubscriptionIndex::remove_all(uint64_t session_id) {
  auto it = impl_->by_session.find(session_id);
  if (it == impl_->by_session.end()) return 0;
  std::vector<Impl::SessionSub> subs = std::move(it->second);
  impl_->by_session.erase(it);
  // Prune after each removal: every node still listed holds one of this session's entries,
  // so it (and its ancestors) cannot be freed by an earlier prune.
  size_t removed = 0;
  for (const auto& s : subs) {
    if (impl_->remove_at(s.node, s.group, SubscriberRef{session_id, s.shard})) ++removed;
    impl_->prune(s.node);
  }
  impl_->size -= removed;
  return removed;
}

void SubscriptionIndex::match(std::string_view topic, const MatchContext& ctx,
                              std::vector<Match>& out) {
  impl_->match(topic, ctx, out);
}

bool SubscriptionIndex::pick_shared(std::string_view topic, uint64_t share_key,
                                    uint64_t gone_session, const MatchContext& ctx, Match& out) {
  return impl_->pick_shared(topic, share_key, gone_session, ctx, out);
}

bool SubscriptionIndex::any_match(std::string_view topic) { return impl_->any_match(topic); }

size_t SubscriptionIndex::size() const { return impl_->size; }

std::vector<SubscriptionIndex::Entry> SubscriptionIndex::list() const {
  std::vector<Entry> out;
  out.reserve(impl_->size);
  impl_->list(out);
  return out;
}

}  // namespace unimq::core
