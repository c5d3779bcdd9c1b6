// Correctness at 100k subscriptions: the trie result must equal a brute-force topic_matches()
// scan over every filter (no timing assertions here; see bench/core_bench for speed).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/subscription_index.h"
#include "core/topic.h"

namespace unimq::core {
namespace {

struct Sub {
  std::string filter;
  uint64_t session;
};

std::vector<Sub> make_subs(size_t n) {
  std::vector<Sub> subs;
  subs.reserve(n + 64);
  uint64_t session = 1;
  for (size_t i = 0; i < n; ++i) {
    subs.push_back({"devices/" + std::to_string(i) + "/+/temp", session++});
  }
  // A few wildcards that overlap many of the exact filters.
  for (const char* f : {"devices/#", "devices/+/+/temp", "devices/7/#", "#", "+/+/+/+",
                        "devices/+/room1/+", "$SYS/#", "devices/42/room1/temp"}) {
    subs.push_back({f, session++});
  }
  return subs;
}

std::vector<uint64_t> brute_force(const std::vector<Sub>& subs, const std::string& topic) {
  std::vector<uint64_t> ids;
  for (const auto& s : subs) {
    if (topic_matches(s.filter, topic)) ids.push_back(s.session);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(SubscriptionIndexScale, HundredThousandSubscriptionsMatchLikeBruteForce) {
  constexpr size_t kSubs = 100'000;
  const auto subs = make_subs(kSubs);
  SubscriptionIndex idx;
  for (const auto& s : subs) ASSERT_TRUE(idx.add(s.filter, "", {s.session, 0}, {}));
  ASSERT_EQ(idx.size(), subs.size());

  std::mt19937 rng(12345);
  std::vector<std::string> samples = {
      "devices/42/room1/temp", "devices/7/x/temp", "devices/7/x/hum", "devices/99999/r/temp",
      "devices/100000/r/temp", "$SYS/broker/load", "other/topic",     "devices"};
  for (int i = 0; i < 100; ++i) {
    const size_t dev = rng() % (kSubs + 100);
    const char* room = (rng() % 2) ? "room1" : "kitchen";
    const char* leaf = (rng() % 3) ? "temp" : "hum";
    samples.push_back("devices/" + std::to_string(dev) + "/" + room + "/" + leaf);
  }
  for (const auto& topic : samples) {
    std::vector<Match> out;
    idx.match(topic, MatchContext{}, out);
    std::vector<uint64_t> got;
    for (const auto& m : out) got.push_back(m.subscriber.session_id);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, brute_force(subs, topic)) << topic;
  }

  // A known topic has exactly its device filter plus the overlapping wildcards.
  std::vector<Match> out;
  idx.match("devices/42/room1/temp", MatchContext{}, out);
  EXPECT_EQ(out.size(), 7u);  // 42's filter, devices/#, +/+/temp, #, +/+/+/+, +/room1/+, exact

  // Dropping every other session leaves exactly the rest.
  for (uint64_t s = 1; s <= kSubs; s += 2) ASSERT_EQ(idx.remove_all(s), 1u);
  EXPECT_EQ(idx.size(), subs.size() - kSubs / 2);
  out.clear();
  idx.match("devices/0/r/temp", MatchContext{}, out);  // session 1: removed
  for (const auto& m : out) EXPECT_NE(m.subscriber.session_id, 1u);
  out.clear();
  idx.match("devices/1/r/temp", MatchContext{}, out);  // session 2: kept
  EXPECT_TRUE(std::any_of(out.begin(), out.end(),
                          [](const Match& m) { return m.subscriber.session_id == 2; }));
  EXPECT_EQ(idx.list().size(), idx.size());
}

}  // namespace
}  // namespace unimq::core
