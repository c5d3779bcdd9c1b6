#include "core/subscription_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace unimq::core {
namespace {

SubscriberRef ref(uint64_t session, uint32_t shard = 0) { return SubscriberRef{session, shard}; }

SubscriptionOptions qos(uint8_t q) {
  SubscriptionOptions o;
  o.qos = q;
  return o;
}

std::vector<Match> match_all(SubscriptionIndex& idx, std::string_view topic,
                             std::string_view client = "") {
  std::vector<Match> out;
  idx.match(topic, MatchContext{client}, out);
  return out;
}

// Sorted session ids of the matches (for order-independent comparisons).
std::vector<uint64_t> sessions(const std::vector<Match>& m) {
  std::vector<uint64_t> ids;
  for (const auto& x : m) ids.push_back(x.subscriber.session_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<uint64_t> matched(SubscriptionIndex& idx, std::string_view topic) {
  return sessions(match_all(idx, topic));
}

using Ids = std::vector<uint64_t>;

TEST(SubscriptionIndex, ExactAndWildcardMatches) {
  SubscriptionIndex idx;
  idx.add("a/b", "", ref(1), {});
  idx.add("a/+", "", ref(2), {});
  idx.add("a/#", "", ref(3), {});
  idx.add("#", "", ref(4), {});
  idx.add("+/b", "", ref(5), {});
  idx.add("a/b/c", "", ref(6), {});
  idx.add("+", "", ref(7), {});
  EXPECT_EQ(idx.size(), 7u);

  EXPECT_EQ(matched(idx, "a/b"), (Ids{1, 2, 3, 4, 5}));
  EXPECT_EQ(matched(idx, "a"), (Ids{3, 4, 7}));  // "a/#" matches the parent level
  EXPECT_EQ(matched(idx, "a/b/c"), (Ids{3, 4, 6}));
  EXPECT_EQ(matched(idx, "x/b"), (Ids{4, 5}));
  EXPECT_EQ(matched(idx, "x/y"), (Ids{4}));
  EXPECT_EQ(matched(idx, "a/"), (Ids{2, 3, 4}));  // '+' matches an empty level
}

TEST(SubscriptionIndex, EmptyLevels) {
  SubscriptionIndex idx;
  idx.add("a//b", "", ref(1), {});
  idx.add("/a", "", ref(2), {});
  idx.add("+/a", "", ref(3), {});
  idx.add("a/+/b", "", ref(4), {});
  EXPECT_EQ(matched(idx, "a//b"), (Ids{1, 4}));
  EXPECT_EQ(matched(idx, "a/b"), Ids{});
  EXPECT_EQ(matched(idx, "/a"), (Ids{2, 3}));
  EXPECT_EQ(matched(idx, "a"), Ids{});
}

TEST(SubscriptionIndex, DollarTopicsSkipLeadingWildcards) {
  SubscriptionIndex idx;
  idx.add("#", "", ref(1), {});
  idx.add("+/x", "", ref(2), {});
  idx.add("$SYS/#", "", ref(3), {});
  idx.add("$SYS/+", "", ref(4), {});
  idx.add("+", "", ref(5), {});
  idx.add("+/#", "", ref(6), {});
  idx.add("$SYS/x", "", ref(7), {});
  idx.add("#", "g", ref(9), {});  // share groups obey the rule too

  EXPECT_EQ(matched(idx, "$SYS/x"), (Ids{3, 4, 7}));
  EXPECT_EQ(matched(idx, "$SYS"), (Ids{3}));
  EXPECT_EQ(matched(idx, "a/x"), (Ids{1, 2, 6, 9}));
  EXPECT_EQ(matched(idx, "a"), (Ids{1, 5, 6, 9}));
  // '$' deeper than the first level is an ordinary character.
  EXPECT_EQ(matched(idx, "$x"), Ids{});
  EXPECT_EQ(matched(idx, "a/$x"), (Ids{1, 6, 9}));
}

TEST(SubscriptionIndex, AddReplacesOptions) {
  SubscriptionIndex idx;
  EXPECT_TRUE(idx.add("a/+", "", ref(1), qos(0)));
  EXPECT_FALSE(idx.add("a/+", "", ref(1), qos(2)));
  EXPECT_EQ(idx.size(), 1u);
  auto m = match_all(idx, "a/b");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].options.qos, 2);
  EXPECT_FALSE(m[0].shared);
  // Same session on another shard is a different subscriber.
  EXPECT_TRUE(idx.add("a/+", "", ref(1, 1), qos(1)));
  EXPECT_EQ(idx.size(), 2u);
  // Replacing inside a share group.
  EXPECT_TRUE(idx.add("a/+", "g", ref(2), qos(0)));
  EXPECT_FALSE(idx.add("a/+", "g", ref(2), qos(1)));
  EXPECT_EQ(idx.size(), 3u);
}

TEST(SubscriptionIndex, OverlappingSubscriptionsOfOneSession) {
  SubscriptionIndex idx;
  SubscriptionOptions o1 = qos(1);
  o1.subscription_id = 11;
  SubscriptionOptions o2 = qos(2);
  o2.subscription_id = 22;
  idx.add("a/+", "", ref(1), o1);
  idx.add("a/#", "", ref(1), o2);
  idx.add("a/b", "", ref(1), qos(0));
  auto m = match_all(idx, "a/b");
  ASSERT_EQ(m.size(), 3u);  // no dedup: the caller merges
  std::vector<uint32_t> sub_ids;
  for (const auto& x : m) {
    EXPECT_EQ(x.subscriber, ref(1));
    sub_ids.push_back(x.options.subscription_id);
  }
  std::sort(sub_ids.begin(), sub_ids.end());
  EXPECT_EQ(sub_ids, (std::vector<uint32_t>{0, 11, 22}));
}

TEST(SubscriptionIndex, RemoveAndPrune) {
  SubscriptionIndex idx;
  idx.add("a/b/c", "", ref(1), {});
  idx.add("a/b/c", "", ref(2), {});
  idx.add("a/+/c", "", ref(3), {});
  EXPECT_FALSE(idx.remove("a/b/c", "", ref(9)));
  EXPECT_FALSE(idx.remove("a/b", "", ref(1)));
  EXPECT_FALSE(idx.remove("x/y", "", ref(1)));
  EXPECT_FALSE(idx.remove("a/b/c", "g", ref(1)));
  EXPECT_TRUE(idx.remove("a/b/c", "", ref(1)));
  EXPECT_FALSE(idx.remove("a/b/c", "", ref(1)));
  EXPECT_EQ(matched(idx, "a/b/c"), (Ids{2, 3}));
  EXPECT_TRUE(idx.remove("a/b/c", "", ref(2)));
  EXPECT_TRUE(idx.remove("a/+/c", "", ref(3)));
  EXPECT_EQ(idx.size(), 0u);
  EXPECT_TRUE(idx.list().empty());
  EXPECT_EQ(matched(idx, "a/b/c"), Ids{});
  // The pruned path can be re-created.
  EXPECT_TRUE(idx.add("a/b/c", "", ref(1), {}));
  EXPECT_EQ(matched(idx, "a/b/c"), (Ids{1}));
}

TEST(SubscriptionIndex, RemoveAllOfSession) {
  SubscriptionIndex idx;
  idx.add("a", "", ref(1), {});
  idx.add("a/b", "", ref(1), {});
  idx.add("a/#", "", ref(1), {});
  idx.add("a/b", "g", ref(1), {});  // same node as a plain sub of the same session
  idx.add("a/b", "", ref(1, 3), {});
  idx.add("a/b", "", ref(2), {});
  idx.add("a/b", "g", ref(2), {});
  EXPECT_EQ(idx.size(), 7u);
  EXPECT_EQ(idx.remove_all(1), 5u);
  EXPECT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx.remove_all(1), 0u);
  EXPECT_EQ(matched(idx, "a/b"), (Ids{2, 2}));
  EXPECT_EQ(matched(idx, "a"), Ids{});
  // After an individual remove the session's reverse index must not remove it twice.
  idx.add("x", "", ref(3), {});
  idx.add("y", "", ref(3), {});
  EXPECT_TRUE(idx.remove("x", "", ref(3)));
  EXPECT_EQ(idx.remove_all(3), 1u);
  EXPECT_EQ(idx.remove_all(2), 2u);
  EXPECT_EQ(idx.size(), 0u);
  EXPECT_TRUE(idx.list().empty());
}

TEST(SubscriptionIndex, ListReconstructsFilters) {
  SubscriptionIndex idx;
  idx.add("a/+/c", "", ref(1), qos(1));
  idx.add("#", "", ref(2), {});
  idx.add("/x//", "", ref(3), {});
  idx.add("s/#", "grp", ref(4), qos(2));
  auto entries = idx.list();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& e : entries) got.emplace_back(e.filter, e.group);
  std::sort(got.begin(), got.end());
  std::vector<std::pair<std::string, std::string>> want = {
      {"#", ""}, {"/x//", ""}, {"a/+/c", ""}, {"s/#", "grp"}};
  EXPECT_EQ(got, want);
  for (const auto& e : entries) {
    if (e.filter == "s/#") {
      EXPECT_EQ(e.subscriber, ref(4));
      EXPECT_EQ(e.options.qos, 2);
    }
  }
}

TEST(SubscriptionIndex, ManySubscribersOnOneFilter) {
  // Exercises the large-list position map (add/replace/remove beyond the threshold).
  SubscriptionIndex idx;
  for (uint64_t i = 1; i <= 200; ++i) EXPECT_TRUE(idx.add("#", "", ref(i), qos(0)));
  for (uint64_t i = 1; i <= 200; i += 2) EXPECT_FALSE(idx.add("#", "", ref(i), qos(1)));
  for (uint64_t i = 2; i <= 200; i += 4) EXPECT_TRUE(idx.remove("#", "", ref(i)));
  auto m = match_all(idx, "t");
  EXPECT_EQ(m.size(), 150u);
  for (const auto& x : m) {
    const uint64_t s = x.subscriber.session_id;
    EXPECT_FALSE(s % 4 == 2) << s;
    EXPECT_EQ(x.options.qos, s % 2 == 1 ? 1 : 0) << s;
  }
  EXPECT_EQ(idx.remove_all(3), 1u);
  EXPECT_EQ(match_all(idx, "t").size(), 149u);
}

TEST(SubscriptionIndex, ManySiblingLevels) {
  // Crosses the small-vector -> hash-map switch for a node's children, both ways.
  SubscriptionIndex idx;
  for (uint64_t i = 0; i < 40; ++i) {
    EXPECT_TRUE(idx.add("d/" + std::to_string(i) + "/t", "", ref(i + 1), {}));
  }
  for (uint64_t i = 0; i < 40; ++i) {
    EXPECT_EQ(matched(idx, "d/" + std::to_string(i) + "/t"), (Ids{i + 1}));
  }
  EXPECT_EQ(matched(idx, "d/40/t"), Ids{});
  for (uint64_t i = 0; i < 40; i += 2) EXPECT_EQ(idx.remove_all(i + 1), 1u);
  for (uint64_t i = 0; i < 40; ++i) {
    EXPECT_EQ(matched(idx, "d/" + std::to_string(i) + "/t").size(), i % 2) << i;
  }
  for (uint64_t i = 1; i < 40; i += 2) {
    EXPECT_TRUE(idx.remove("d/" + std::to_string(i) + "/t", "", ref(i + 1)));
  }
  EXPECT_EQ(idx.size(), 0u);
  EXPECT_TRUE(idx.list().empty());
  EXPECT_TRUE(idx.add("d/5/t", "", ref(1), {}));
  EXPECT_EQ(matched(idx, "d/5/t"), (Ids{1}));
}

TEST(SubscriptionIndex, AnyMatchAnswersWithoutPickingShareMembers) {
  SubscriptionIndex idx;
  EXPECT_FALSE(idx.any_match("a/b"));
  idx.add("a/+/c", "", ref(1), {});
  idx.add("s/#", "g", ref(2), {});
  idx.add("s/#", "g", ref(3), {});
  EXPECT_TRUE(idx.any_match("a/b/c"));
  EXPECT_FALSE(idx.any_match("a/b"));
  EXPECT_FALSE(idx.any_match("a/b/c/d"));
  EXPECT_TRUE(idx.any_match("s"));  // "s/#" matches the parent level
  EXPECT_FALSE(idx.any_match("$SYS/x"));
  // Asking does not advance the round-robin cursor: the next two picks still alternate.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(idx.any_match("s/x"));
  Ids first = matched(idx, "s/x"), second = matched(idx, "s/x");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(first, second);
  idx.remove("a/+/c", "", ref(1));
  EXPECT_FALSE(idx.any_match("a/b/c"));
}

}  // namespace
}  // namespace unimq::core
