#include <string>

#include "test_util.h"

namespace unimq::mqtt::test {
namespace {

TEST(Utf8, Valid) {
  EXPECT_TRUE(valid_mqtt_utf8(""));
  EXPECT_TRUE(valid_mqtt_utf8("plain/ascii/topic/longer/than/eight"));
  EXPECT_TRUE(valid_mqtt_utf8("\xc3\xa9"));          // U+00E9
  EXPECT_TRUE(valid_mqtt_utf8("\xe2\x82\xac"));      // U+20AC
  EXPECT_TRUE(valid_mqtt_utf8("\xef\xbb\xbf"));      // BOM (allowed, 1.5.4)
  EXPECT_TRUE(valid_mqtt_utf8("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(valid_mqtt_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_TRUE(valid_mqtt_utf8("\xed\x9f\xbf"));      // U+D7FF
  EXPECT_TRUE(valid_mqtt_utf8("\xee\x80\x80"));      // U+E000
  EXPECT_TRUE(valid_mqtt_utf8("\x01\x1f\x7f"));      // controls: SHOULD NOT, still valid
  EXPECT_TRUE(valid_mqtt_utf8("abcdefgh\xc3\xa9ijklmnop\xf0\x9f\x98\x80qrstuvwxyz"));
}

TEST(Utf8, Invalid) {
  using namespace std::string_literals;
  EXPECT_FALSE(valid_mqtt_utf8("\0"s));
  EXPECT_FALSE(valid_mqtt_utf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(valid_mqtt_utf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(valid_mqtt_utf8("\xe0\x80\x80"));      // overlong
  EXPECT_FALSE(valid_mqtt_utf8("\xf0\x80\x80\x80"));  // overlong
  EXPECT_FALSE(valid_mqtt_utf8("\xed\xa0\x80"));      // U+D800
  EXPECT_FALSE(valid_mqtt_utf8("\xed\xbf\xbf"));      // U+DFFF
  EXPECT_FALSE(valid_mqtt_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid_mqtt_utf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(valid_mqtt_utf8("\xff"));
  EXPECT_FALSE(valid_mqtt_utf8("\x80"));          // stray continuation
  EXPECT_FALSE(valid_mqtt_utf8("\xc3"));          // truncated
  EXPECT_FALSE(valid_mqtt_utf8("\xe2\x82"));      // truncated
  EXPECT_FALSE(valid_mqtt_utf8("\xf0\x9f\x98"));  // truncated
  EXPECT_FALSE(valid_mqtt_utf8("\xc3\x28"));      // bad continuation
  EXPECT_FALSE(valid_mqtt_utf8("\xe2\x28\xa1"));
  EXPECT_FALSE(valid_mqtt_utf8("\xe2\x82\x28"));
  EXPECT_FALSE(valid_mqtt_utf8("\xf0\x9f\x28\x80"));
}

TEST(Utf8, NulAnywhereInLongStrings) {
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      std::string s(len, 'a');
      s[pos] = '\0';
      EXPECT_FALSE(valid_mqtt_utf8(s)) << len << " " << pos;
      s[pos] = '\x80';
      EXPECT_FALSE(valid_mqtt_utf8(s)) << len << " " << pos;
    }
  }
}

}  // namespace
}  // namespace unimq::mqtt::test
