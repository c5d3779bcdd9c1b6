#include "protocol/amqp/broker/topic_trie.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace unimq::amqp {
namespace {

bool matches(const std::string& binding, const std::string& key) {
  TopicTrie t;
  t.insert(binding, 7);
  std::vector<uint32_t> out;
  t.match(key, out);
  return std::find(out.begin(), out.end(), 7u) != out.end();
}

struct Case {
  const char* binding;
  const char* key;
  bool match;
};

// RabbitMQ's topic semantics: "*" one word, "#" zero or more, "" is zero words.
TEST(TopicTrie, RabbitMqTable) {
  const Case cases[] = {
      {"a.b.c", "a.b.c", true},
      {"a.b.c", "a.b", false},
      {"a.*.c", "a.b.c", true},
      {"a.*.c", "a.c", false},
      {"a.*.c", "a.b.b.c", false},
      {"a.#", "a", true},
      {"a.#", "a.b", true},
      {"a.#", "a.b.c", true},
      {"a.#", "b.a", false},
      {"#", "", true},
      {"#", "a", true},
      {"#", "a.b.c", true},
      {"#.b", "b", true},
      {"#.b", "a.a.b", true},
      {"#.b", "b.a", false},
      {"*", "a", true},
      {"*", "", false},
      {"*", "a.b", false},
      {"*.#", "a", true},
      {"*.#", "a.b", true},
      {"*.#", "", false},
      {"#.#", "", true},
      {"#.#", "a.b", true},
      {"a.#.b", "a.b", true},
      {"a.#.b", "a.x.y.b", true},
      {"a.#.b", "a.b.c", false},
      {"#.*.#", "a", true},
      {"#.*.#", "", false},
      {"", "", true},
      {"", "a", false},
      {"*.*", "a.b", true},
      {"*.*", "a", false},
      {"a..b", "a..b", true},
      {"a.*.b", "a..b", true},
      {"*.b.#", "x.b", true},
      {"*.b.#", "b", false},
      {"#.b.#", "b", true},
      {"#.b.#", "x.b.y", true},
      {"#.b.#", "x.c.y", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(matches(c.binding, c.key), c.match) << c.binding << " vs " << c.key;
}

TEST(TopicTrie, EraseKeepsOthers) {
  TopicTrie t;
  t.insert("a.*", 1);
  t.insert("a.*", 2);
  t.insert("a.#", 3);
  t.erase("a.*", 1);
  std::vector<uint32_t> out;
  t.match("a.b", out);
  std::sort(out.begin(), out.end());
  EXPECT_EQ(out, (std::vector<uint32_t>{2, 3}));
  t.erase("a.*", 2);
  t.erase("a.#", 3);
  EXPECT_TRUE(t.empty());
}

}  // namespace
}  // namespace unimq::amqp
