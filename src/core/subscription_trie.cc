#include "core/subscription_trie.h"

#include <utility>

namespace unimq::core::detail {

std::ptrdiff_t PlainSubList::find(SubscriberRef who) const {
  if (pos_) {
    auto it = pos_->find(who);
    return it == pos_->end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
  }
  for (size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].who == who) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

bool PlainSubList::upsert(SubscriberRef who, const SubscriptionOptions& opts) {
  const std::ptrdiff_t i = find(who);
  if (i >= 0) {
    items_[static_cast<size_t>(i)].options = opts;
    return false;
  }
  items_.push_back(PlainSub{who, opts});
  if (pos_) {
    pos_->emplace(who, static_cast<uint32_t>(items_.size() - 1));
  } else if (items_.size() > kIndexThreshold) {
    pos_ = std::make_unique<std::unordered_map<SubscriberRef, uint32_t, SubscriberRefHash>>();
    pos_->reserve(items_.size() * 2);
    for (size_t k = 0; k < items_.size(); ++k) {
      pos_->emplace(items_[k].who, static_cast<uint32_t>(k));
    }
  }
  return true;
}

bool PlainSubList::erase(SubscriberRef who) {
  const std::ptrdiff_t i = find(who);
  if (i < 0) return false;
  // Order of plain subscribers is irrelevant: swap-and-pop keeps erase O(1).
  const size_t idx = static_cast<size_t>(i);
  if (idx + 1 != items_.size()) {
    items_[idx] = items_.back();
    if (pos_) (*pos_)[items_[idx].who] = static_cast<uint32_t>(idx);
  }
  items_.pop_back();
  if (pos_) {
    pos_->erase(who);
    if (items_.empty()) pos_.reset();
  }
  return true;
}

ShareGroup* Node::find_group(std::string_view name) {
  for (auto& g : groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

Node* Node::find_child(std::string_view lvl) const {
  if (big_children) {
    auto it = big_children->find(lvl);
    return it == big_children->end() ? nullptr : it->second.get();
  }
  for (const auto& c : small_children) {
    if (c->level == lvl) return c.get();
  }
  return nullptr;
}

Node* Node::ensure_child(std::string_view lvl) {
  if (Node* c = find_child(lvl)) return c;
  auto child = std::make_unique<Node>(this, NodeKind::kLiteral, lvl);
  Node* raw = child.get();
  if (big_children) {
    big_children->emplace(std::string_view(raw->level), std::move(child));
    return raw;
  }
  small_children.push_back(std::move(child));
  if (small_children.size() > kSmallChildren) {
    big_children = std::make_unique<ChildMap>();
    for (auto& c : small_children) {
      const std::string_view key = c->level;
      big_children->emplace(key, std::move(c));
    }
    small_children.clear();
    small_children.shrink_to_fit();
  }
  return raw;
}

void Node::erase_child(const Node* child) {
  if (big_children) {
    big_children->erase(big_children->find(std::string_view(child->level)));
    if (big_children->empty()) big_children.reset();
    return;
  }
  for (auto& c : small_children) {
    if (c.get() == child) {
      c = std::move(small_children.back());
      small_children.pop_back();
      return;
    }
  }
}

void Node::take_children(std::vector<std::unique_ptr<Node>>& out) {
  if (big_children) {
    for (auto& [key, child] : *big_children) out.push_back(std::move(child));
    big_children.reset();
  }
  for (auto& c : small_children) out.push_back(std::move(c));
  small_children.clear();
  if (plus) out.push_back(std::move(plus));
  if (hash) out.push_back(std::move(hash));
}

}  // namespace unimq::core::detail
