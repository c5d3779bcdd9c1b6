// Topic-exchange binding keys compiled into a trie of words, matched as RabbitMQ does:
// "*" is exactly one word, "#" zero or more words, words separated by '.'. Matching walks the
// trie once per routing key (no regex, no per-binding scan).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace unimq::amqp {

class TopicTrie {
 public:
  TopicTrie();
  ~TopicTrie();
  // `value` identifies the binding (the exchange's binding slot); duplicates are allowed.
  void insert(std::string_view key, uint32_t value);
  void erase(std::string_view key, uint32_t value);
  // Appends every value whose key matches `routing_key` (a value may appear once per
  // matching path; callers dedup destinations).
  void match(std::string_view routing_key, std::vector<uint32_t>& out) const;
  bool empty() const;

  struct Node;

 private:
  std::unique_ptr<Node> root_;
};

}  // namespace unimq::amqp
