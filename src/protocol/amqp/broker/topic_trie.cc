#include "protocol/amqp/broker/topic_trie.h"

#include <algorithm>

namespace unimq::amqp {

struct TopicTrie::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> children;  // words, "*", "#"
  std::vector<uint32_t> values;
  bool empty() const { return children.empty() && values.empty(); }
};

namespace {

// As RabbitMQ: "" has no words at all; "a..b" has an empty middle word.
std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> words;
  if (s.empty()) return words;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      words.push_back(s.substr(start));
      return words;
    }
    words.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

}  // namespace

TopicTrie::TopicTrie() : root_(std::make_unique<Node>()) {}
TopicTrie::~TopicTrie() = default;

void TopicTrie::insert(std::string_view key, uint32_t value) {
  Node* n = root_.get();
  for (std::string_view w : split(key)) {
    auto it = n->children.find(w);
    if (it == n->children.end())
      it = n->children.emplace(std::string(w), std::make_unique<Node>()).first;
    n = it->second.get();
  }
  n->values.push_back(value);
}

void TopicTrie::erase(std::string_view key, uint32_t value) {
  std::vector<std::pair<Node*, std::string_view>> path;
  Node* n = root_.get();
  for (std::string_view w : split(key)) {
    auto it = n->children.find(w);
    if (it == n->children.end()) return;
    path.emplace_back(n, w);
    n = it->second.get();
  }
  auto v = std::find(n->values.begin(), n->values.end(), value);
  if (v != n->values.end()) n->values.erase(v);
  // Prune empty nodes bottom-up.
  for (auto p = path.rbegin(); p != path.rend(); ++p) {
    auto it = p->first->children.find(p->second);
    if (!it->second->empty()) break;
    p->first->children.erase(it);
  }
}

bool TopicTrie::empty() const { return root_->empty(); }

namespace {

void walk(const TopicTrie::Node* n, const std::vector<std::string_view>& words, size_t i,
          std::vector<uint32_t>& out);

}  // namespace

void TopicTrie::match(std::string_view routing_key, std::vector<uint32_t>& out) const {
  const std::vector<std::string_view> words = split(routing_key);
  walk(root_.get(), words, 0, out);
}

namespace {

void walk(const TopicTrie::Node* n, const std::vector<std::string_view>& words, size_t i,
          std::vector<uint32_t>& out) {
  if (i == words.size()) out.insert(out.end(), n->values.begin(), n->values.end());
  if (auto h = n->children.find(std::string_view("#")); h != n->children.end()) {
    // "#" swallows zero or more of the remaining words.
    for (size_t j = i; j <= words.size(); ++j) walk(h->second.get(), words, j, out);
  }
  if (i == words.size()) return;
  if (auto s = n->children.find(std::string_view("*")); s != n->children.end())
    walk(s->second.get(), words, i + 1, out);
  if (words[i] != "*" && words[i] != "#")
    if (auto w = n->children.find(words[i]); w != n->children.end())
      walk(w->second.get(), words, i + 1, out);
}

}  // namespace

}  // namespace unimq::amqp
