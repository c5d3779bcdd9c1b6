#include "core/retained_store.h"

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace unimq::core {

namespace {

struct RNode {
  RNode(RNode* p, std::string_view lvl) : parent(p), level(lvl) {}
  RNode* parent;
  std::string level;
  // Keys are views into the child's own `level` (stable: nodes are heap-allocated).
  std::unordered_map<std::string_view, std::unique_ptr<RNode>> children;
  MessagePtr msg;
};

// Topic level after `pos` and where the next one starts; `last` if it is the final level.
struct Level {
  std::string_view text;
  size_t next;
  bool last;
};

Level level_at(std::string_view s, size_t pos) {
  const size_t end = s.find('/', pos);
  if (end == std::string_view::npos) return {s.substr(pos), s.size(), true};
  return {s.substr(pos, end - pos), end + 1, false};
}

}  // namespace

struct RetainedStore::Impl {
  mutable std::mutex mu;
  RNode root{nullptr, {}};
  size_t count = 0;

  ~Impl() {
    // Bottom-up teardown without recursion (a deep topic would recurse once per level).
    std::vector<std::unique_ptr<RNode>> todo;
    auto take = [&](RNode& n) {
      for (auto& [key, child] : n.children) todo.push_back(std::move(child));
      n.children.clear();
    };
    take(root);
    while (!todo.empty()) {
      std::unique_ptr<RNode> n = std::move(todo.back());
      todo.pop_back();
      take(*n);
    }
  }

  RNode* find(std::string_view topic) {
    RNode* n = &root;
    size_t pos = 0;
    while (true) {
      const Level l = level_at(topic, pos);
      auto it = n->children.find(l.text);
      if (it == n->children.end()) return nullptr;
      n = it->second.get();
      if (l.last) return n;
      pos = l.next;
    }
  }

  RNode* ensure(std::string_view topic) {
    RNode* n = &root;
    size_t pos = 0;
    while (true) {
      const Level l = level_at(topic, pos);
      auto it = n->children.find(l.text);
      if (it == n->children.end()) {
        auto child = std::make_unique<RNode>(n, l.text);
        const std::string_view key = child->level;
        it = n->children.emplace(key, std::move(child)).first;
      }
      n = it->second.get();
      if (l.last) return n;
      pos = l.next;
    }
  }

  // Clears n's message and frees the now-empty branch up to the root.
  void erase(RNode* n) {
    if (n->msg) {
      n->msg.reset();
      --count;
    }
    while (n != &root && !n->msg && n->children.empty()) {
      RNode* parent = n->parent;
      parent->children.erase(parent->children.find(std::string_view(n->level)));
      n = parent;
    }
  }

  // Visits n and every descendant. At the root, '$' levels are skipped (the '$' rule for a
  // leading '#').
  void collect_subtree(RNode* n, Clock::time_point now, std::vector<MessagePtr>& out,
                       std::vector<RNode*>& expired) {
    std::vector<RNode*> todo{n};
    while (!todo.empty()) {
      RNode* cur = todo.back();
      todo.pop_back();
      add(cur, now, out, expired);
      for (auto& [key, child] : cur->children) {
        if (cur == &root && !key.empty() && key.front() == '$') continue;
        todo.push_back(child.get());
      }
    }
  }

  void add(RNode* n, Clock::time_point now, std::vector<MessagePtr>& out,
           std::vector<RNode*>& expired) {
    if (!n->msg) return;
    if (n->msg->expired(now)) {
      expired.push_back(n);
    } else {
      out.push_back(n->msg);
    }
  }

  void match(std::string_view filter, Clock::time_point now, std::vector<MessagePtr>& out,
             std::vector<RNode*>& expired) {
    struct Frame {
      RNode* n;
      size_t pos;
    };
    // Explicit stack: '+' fans out, and deep filters must not recurse per level.
    std::vector<Frame> todo{{&root, 0}};
    while (!todo.empty()) {
      const Frame f = todo.back();
      todo.pop_back();
      const Level l = level_at(filter, f.pos);
      const bool at_root = f.n == &root;
      if (l.text == "#") {
        // "a/#" matches "a" itself and everything below it.
        collect_subtree(f.n, now, out, expired);
        continue;
      }
      auto step = [&](RNode* child) {
        if (l.last) {
          add(child, now, out, expired);
        } else {
          todo.push_back(Frame{child, l.next});
        }
      };
      if (l.text == "+") {
        for (auto& [key, child] : f.n->children) {
          if (at_root && !key.empty() && key.front() == '$') continue;
          step(child.get());
        }
      } else {
        auto it = f.n->children.find(l.text);
        if (it != f.n->children.end()) step(it->second.get());
      }
    }
  }
};

RetainedStore::RetainedStore() : impl_(std::make_unique<Impl>()) {}

RetainedStore::~RetainedStore() = default;

void RetainedStore::put(MessagePtr msg) {
  if (!msg) return;
  std::lock_guard lock(impl_->mu);
  if (msg->payload.empty()) {
    if (RNode* n = impl_->find(msg->topic)) impl_->erase(n);
    return;
  }
  RNode* n = impl_->ensure(msg->topic);
  if (!n->msg) ++impl_->count;
  n->msg = std::move(msg);
}

void RetainedStore::match(std::string_view filter, std::vector<MessagePtr>& out) const {
  const Clock::time_point now = Clock::now();
  std::vector<RNode*> expired;
  std::lock_guard lock(impl_->mu);
  impl_->match(filter, now, out, expired);
  // Lazy purge of what the walk found expired, after the walk so no node is freed
  // mid-iteration. Pruning frees only message-less ancestors, and every listed node still
  // holds its message until its own turn, so the remaining pointers stay valid.
  for (RNode* n : expired) impl_->erase(n);
}

size_t RetainedStore::size() const {
  std::lock_guard lock(impl_->mu);
  return impl_->count;
}

std::vector<MessagePtr> RetainedStore::all() const {
  const Clock::time_point now = Clock::now();
  std::vector<MessagePtr> out;
  std::vector<RNode*> expired;
  std::lock_guard lock(impl_->mu);
  out.reserve(impl_->count);
  // Unlike a '#' filter, the admin listing includes '$' topics: walk from the root's children.
  for (auto& [key, child] : impl_->root.children) {
    impl_->collect_subtree(child.get(), now, out, expired);
  }
  for (RNode* n : expired) impl_->erase(n);
  return out;
}

}  // namespace unimq::core
