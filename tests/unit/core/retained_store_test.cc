#include "core/retained_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace unimq::core {
namespace {

MessagePtr msg(std::string topic, std::string payload,
               std::optional<Clock::time_point> expires = std::nullopt) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->retain = true;
  m->expires_at = expires;
  return m;
}

std::vector<std::string> topics(const RetainedStore& store, std::string_view filter) {
  std::vector<MessagePtr> out;
  store.match(filter, out);
  std::vector<std::string> t;
  for (const auto& m : out) t.push_back(m->topic);
  std::sort(t.begin(), t.end());
  return t;
}

using Topics = std::vector<std::string>;

class RetainedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* t :
         {"a", "a/b", "a/b/c", "a/c", "b", "/x", "a//b", "$SYS/up", "$SYS/a/b", "a/$d"}) {
      store.put(msg(t, std::string("v:") + t));
    }
  }
  RetainedStore store;
};

TEST_F(RetainedStoreTest, ExactMatch) {
  EXPECT_EQ(store.size(), 10u);
  std::vector<MessagePtr> out;
  store.match("a/b", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->payload, "v:a/b");
  EXPECT_EQ(topics(store, "a/x"), Topics{});
  EXPECT_EQ(topics(store, "a//b"), Topics{"a//b"});
  EXPECT_EQ(topics(store, "/x"), Topics{"/x"});
}

TEST_F(RetainedStoreTest, PlusMatchesOneLevel) {
  EXPECT_EQ(topics(store, "a/+"), (Topics{"a/$d", "a/b", "a/c"}));
  EXPECT_EQ(topics(store, "+"), (Topics{"a", "b"}));  // not "$SYS" (no message) nor '$'
  EXPECT_EQ(topics(store, "+/x"), Topics{"/x"});      // '+' matches the empty level
  EXPECT_EQ(topics(store, "a/+/b"), Topics{"a//b"});
  EXPECT_EQ(topics(store, "+/+/c"), Topics{"a/b/c"});
}

TEST_F(RetainedStoreTest, HashMatchesSubtreeAndParent) {
  EXPECT_EQ(topics(store, "a/#"), (Topics{"a", "a/$d", "a//b", "a/b", "a/b/c", "a/c"}));
  EXPECT_EQ(topics(store, "a/b/#"), (Topics{"a/b", "a/b/c"}));
  EXPECT_EQ(topics(store, "#"), (Topics{"/x", "a", "a/$d", "a//b", "a/b", "a/b/c", "a/c", "b"}));
  EXPECT_EQ(topics(store, "+/#"), (Topics{"/x", "a", "a/$d", "a//b", "a/b", "a/b/c", "a/c", "b"}));
}

TEST_F(RetainedStoreTest, DollarRule) {
  EXPECT_EQ(topics(store, "$SYS/#"), (Topics{"$SYS/a/b", "$SYS/up"}));
  EXPECT_EQ(topics(store, "$SYS/+"), Topics{"$SYS/up"});
  EXPECT_EQ(topics(store, "+/up"), Topics{});
  for (const auto& t : topics(store, "#")) EXPECT_NE(t.front(), '$') << t;
}

TEST_F(RetainedStoreTest, ReplaceAndDelete) {
  store.put(msg("a/b", "new"));
  EXPECT_EQ(store.size(), 10u);
  std::vector<MessagePtr> out;
  store.match("a/b", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->payload, "new");

  store.put(msg("a/b", ""));  // empty payload deletes
  EXPECT_EQ(store.size(), 9u);
  EXPECT_EQ(topics(store, "a/b"), Topics{});
  // Children survive the deletion of their parent's message.
  EXPECT_EQ(topics(store, "a/b/#"), Topics{"a/b/c"});
  store.put(msg("no/such/topic", ""));  // deleting what is not there is a no-op
  EXPECT_EQ(store.size(), 9u);
}

TEST_F(RetainedStoreTest, AllListsEverythingIncludingDollar) {
  auto all = store.all();
  EXPECT_EQ(all.size(), 10u);
  for (const char* t :
       {"a", "a/b", "a/b/c", "a/c", "b", "/x", "a//b", "$SYS/up", "$SYS/a/b", "a/$d"}) {
    store.put(msg(t, ""));
  }
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(store.all().empty());
  EXPECT_EQ(topics(store, "#"), Topics{});
  // Pruned branches are re-creatable.
  store.put(msg("a/b/c", "again"));
  EXPECT_EQ(topics(store, "a/#"), Topics{"a/b/c"});
}

TEST(RetainedStore, ExpiredMessagesAreSkippedAndPurged) {
  RetainedStore store;
  const auto now = Clock::now();
  store.put(msg("e/past", "x", now - std::chrono::seconds(1)));
  store.put(msg("e/future", "y", now + std::chrono::hours(1)));
  store.put(msg("e/never", "z"));
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(topics(store, "e/#"), (Topics{"e/future", "e/never"}));
  EXPECT_EQ(topics(store, "e/past"), Topics{});
  EXPECT_EQ(store.size(), 2u);  // purged by the match that saw it
  store.put(msg("e/gone", "x", now - std::chrono::seconds(1)));
  auto all = store.all();
  EXPECT_EQ(all.size(), 2u);
  for (const auto& m : all) EXPECT_NE(m->topic, "e/gone");
}

TEST(RetainedStore, ConcurrentPutAndMatch) {
  RetainedStore store;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 500; ++i) {
        store.put(msg("t" + std::to_string(t) + "/" + std::to_string(i), "p"));
        std::vector<MessagePtr> out;
        store.match("t" + std::to_string(t) + "/+", out);
        if (i % 2 == 0) store.put(msg("t" + std::to_string(t) + "/" + std::to_string(i), ""));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store.size(), 4u * 250u);
  EXPECT_EQ(topics(store, "t0/#").size(), 250u);
}

}  // namespace
}  // namespace unimq::core
