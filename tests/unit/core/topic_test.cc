#include "core/topic.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace unimq::core {
namespace {

using namespace std::string_view_literals;

TEST(TopicName, ValidNames) {
  for (std::string_view t :
       {"a", "a/b", "/", "/a", "a/", "a//b", "$SYS/x", "sport/tennis", " ", "ü/日本", "a b/c"}) {
    EXPECT_TRUE(valid_topic_name(t)) << t;
  }
  EXPECT_TRUE(valid_topic_name(std::string(65535, 'x')));
}

TEST(TopicName, InvalidNames) {
  for (std::string_view t : {"", "+", "#", "a/+", "a/#", "a+", "a#b", "sport/+/x"}) {
    EXPECT_FALSE(valid_topic_name(t)) << t;
  }
  EXPECT_FALSE(valid_topic_name("a\0b"sv));
  EXPECT_FALSE(valid_topic_name(std::string(65536, 'x')));
}

TEST(TopicFilter, ValidFilters) {
  for (std::string_view f : {"a", "#", "+", "a/#", "a/+", "+/a", "+/+", "/", "/+", "+/", "a//b",
                             "/a", "a/+/b/#", "$SYS/#", "$share", "//#", "+/#"}) {
    EXPECT_TRUE(valid_topic_filter(f)) << f;
  }
  EXPECT_TRUE(valid_topic_filter(std::string(65535, 'x')));
}

TEST(TopicFilter, InvalidFilters) {
  for (std::string_view f :
       {"", "a+", "+a", "a/b+", "a/+b", "#/a", "a/#/b", "a#", "a/b#", "##", "++", "a/##", "#/"}) {
    EXPECT_FALSE(valid_topic_filter(f)) << f;
  }
  EXPECT_FALSE(valid_topic_filter("a/\0"sv));
  EXPECT_FALSE(valid_topic_filter(std::string(65536, 'x')));
}

TEST(TopicFilter, HasWildcard) {
  EXPECT_TRUE(has_wildcard("a/+"));
  EXPECT_TRUE(has_wildcard("#"));
  EXPECT_TRUE(has_wildcard("+/x"));
  EXPECT_FALSE(has_wildcard("a/b"));
  EXPECT_FALSE(has_wildcard("$SYS/x"));
}

struct MatchCase {
  std::string_view filter;
  std::string_view topic;
  bool matches;
};

TEST(TopicMatches, Table) {
  const MatchCase cases[] = {
      // Exact.
      {"a", "a", true},
      {"a/b", "a/b", true},
      {"a/b", "a/c", false},
      {"a", "a/b", false},
      {"a/b", "a", false},
      {"a", "A", false},
      // '+' is exactly one level, possibly empty.
      {"a/+", "a/b", true},
      {"a/+", "a/b/c", false},
      {"a/+", "a", false},
      {"a/+", "a/", true},
      {"+", "a", true},
      {"+", "a/b", false},
      {"+/+", "/", true},
      {"+", "/a", false},
      {"+/a", "/a", true},
      {"a/+/c", "a//c", true},
      {"a/+/c", "a/b/c", true},
      {"a/+/c", "a/b/d", false},
      {"+/+/+", "a/b", false},
      // '#' covers zero or more trailing levels, including the parent level.
      {"#", "a", true},
      {"#", "a/b/c", true},
      {"#", "/", true},
      {"a/#", "a", true},
      {"a/#", "a/b", true},
      {"a/#", "a/b/c", true},
      {"a/#", "a/", true},
      {"a/#", "ab", false},
      {"a/#", "b/a", false},
      {"a/b/#", "a", false},
      {"+/#", "a", true},
      {"+/#", "a/b/c", true},
      {"/#", "/a", true},
      {"/#", "a", false},
      // Empty levels are real levels.
      {"a//b", "a//b", true},
      {"a//b", "a/b", false},
      {"/a", "/a", true},
      {"/a", "a", false},
      {"a/", "a/", true},
      {"a/", "a", false},
      // The '$' rule applies to leading wildcards only.
      {"#", "$SYS/x", false},
      {"#", "$SYS", false},
      {"+/x", "$SYS/x", false},
      {"+", "$SYS", false},
      {"+/#", "$SYS/x", false},
      {"$SYS/#", "$SYS/x", true},
      {"$SYS/#", "$SYS", true},
      {"$SYS/+", "$SYS/x", true},
      {"$SYS/x", "$SYS/x", true},
      {"a/+", "a/$x", true},
      {"a/#", "a/$x/y", true},
      {"+/$x", "a/$x", true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.matches)
        << "filter=" << c.filter << " topic=" << c.topic;
  }
}

TEST(ParseShared, SharedFilters) {
  auto s = parse_shared("$share/g1/a/b/#");
  EXPECT_TRUE(s.shared);
  EXPECT_TRUE(s.valid);
  EXPECT_EQ(s.group, "g1");
  EXPECT_EQ(s.filter, "a/b/#");

  s = parse_shared("$share/g/+");
  EXPECT_TRUE(s.shared && s.valid);
  EXPECT_EQ(s.group, "g");
  EXPECT_EQ(s.filter, "+");

  // The inner filter may itself start with '/' (an empty first level).
  s = parse_shared("$share/g//a");
  EXPECT_TRUE(s.shared && s.valid);
  EXPECT_EQ(s.filter, "/a");
}

TEST(ParseShared, QueueFilters) {
  auto s = parse_shared("$queue/jobs/#");
  EXPECT_TRUE(s.shared);
  EXPECT_TRUE(s.valid);
  EXPECT_EQ(s.group, "$queue");
  EXPECT_EQ(s.filter, "jobs/#");

  s = parse_shared("$queue/");
  EXPECT_TRUE(s.shared);
  EXPECT_FALSE(s.valid);
}

TEST(ParseShared, InvalidShared) {
  for (std::string_view f : {"$share/", "$share/g", "$share/g/", "$share//a", "$share/+/a",
                             "$share/#/a", "$share/g+/a", "$share/g#/a"}) {
    auto s = parse_shared(f);
    EXPECT_TRUE(s.shared) << f;
    EXPECT_FALSE(s.valid) << f;
  }
}

TEST(ParseShared, NotShared) {
  for (std::string_view f :
       {"a/b", "#", "$SYS/#", "$share", "$sharex/g/a", "$queue", "share/g/a"}) {
    auto s = parse_shared(f);
    EXPECT_FALSE(s.shared) << f;
    EXPECT_TRUE(s.valid) << f;
    EXPECT_TRUE(s.group.empty()) << f;
    EXPECT_EQ(s.filter, f);
  }
}

}  // namespace
}  // namespace unimq::core
