#include "protocol/amqp/codec/field_table.h"

#include <gtest/gtest.h>

#include <cmath>

namespace unimq::amqp::codec {
namespace {

std::vector<uint8_t> encode(const FieldTable& t) {
  std::vector<uint8_t> out;
  Writer w(out);
  write_table(w, t);
  return out;
}

FieldTable decode(const std::vector<uint8_t>& bytes, bool* ok = nullptr) {
  Reader r(bytes.data(), bytes.size());
  FieldTable t;
  read_table(r, t);
  if (ok) *ok = r.ok() && r.at_end();
  return t;
}

FieldTable every_type() {
  FieldTable nested;
  nested.set("inner", int32_t{-7});
  FieldTable t;
  t.set("t", true);
  t.set("b", int8_t{-5});
  t.set("B", uint8_t{250});
  t.set("s", int16_t{-300});
  t.set("u", uint16_t{60000});
  t.set("I", int32_t{-100000});
  t.set("i", uint32_t{4000000000u});
  t.set("l", int64_t{-5000000000LL});
  t.set("L", uint64_t{18000000000000000000ull});
  t.set("f", 1.5f);
  t.set("d", -2.25);
  t.set("D", Decimal{2, 12345});
  t.set("S", std::string("long string"));
  t.set("x", ByteArray{std::string("\x00\x01\xff", 3)});
  t.set("A", FieldArray{{FieldValue(int32_t{1}), FieldValue("two"), FieldValue(nested)}});
  t.set("T", Timestamp{1700000000});
  t.set("F", nested);
  t.set("V", Void{});
  return t;
}

TEST(FieldTable, EveryTypeRoundTrips) {
  const FieldTable t = every_type();
  bool ok = false;
  const FieldTable back = decode(encode(t), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(back, t);
  const std::string tags = "tbBsuIilLfdDSxATFV";
  ASSERT_EQ(back.size(), tags.size());
  for (size_t i = 0; i < tags.size(); ++i) {
    EXPECT_EQ(back.entries[i].value.type_tag(), tags[i]) << i;
    EXPECT_EQ(back.entries[i].name, std::string(1, tags[i]));
  }
}

TEST(FieldTable, GoldenBytes) {
  FieldTable t;
  t.set("a", int32_t{1});
  t.set("s", int16_t{-1});  // RabbitMQ: 's' is a signed 16-bit int, not a short string
  t.set("x", ByteArray{"hi"});
  const std::vector<uint8_t> want = {0,   0,    0,    21, 1,   'a', 'I', 0, 0, 0, 1,   1,  's',
                                     's', 0xff, 0xff, 1,  'x', 'x', 0,   0, 0, 2, 'h', 'i'};
  EXPECT_EQ(encode(t), want);
  EXPECT_EQ(decode(want), t);
}

TEST(FieldTable, LookupsAndConversions) {
  const FieldTable t = every_type();
  ASSERT_NE(t.find("B"), nullptr);
  EXPECT_EQ(t.find("B")->as_int(), 250);
  EXPECT_EQ(t.find("s")->as_int(), -300);
  EXPECT_EQ(t.find("t")->as_int(), std::nullopt);
  EXPECT_EQ(*t.find("S")->as_string(), "long string");
  EXPECT_EQ(t.find("x")->as_string()->size(), 3u);
  EXPECT_EQ(t.find("missing"), nullptr);
  FieldTable u = t;
  u.set("B", int64_t{1});
  EXPECT_EQ(u.size(), t.size());
  EXPECT_EQ(u.find("B")->as_int(), 1);
}

TEST(FieldTable, EmptyTableIsFourZeroBytes) {
  EXPECT_EQ(encode(FieldTable{}), (std::vector<uint8_t>{0, 0, 0, 0}));
}

TEST(FieldTable, MalformedInputIsRejected) {
  bool ok = true;
  // Length beyond the buffer.
  decode({0, 0, 0, 9, 1, 'a', 't', 1}, &ok);
  EXPECT_FALSE(ok);
  // Unknown type tag 'Z'.
  decode({0, 0, 0, 4, 1, 'a', 'Z', 0}, &ok);
  EXPECT_FALSE(ok);
  // Value truncated inside the declared table length.
  decode({0, 0, 0, 5, 1, 'a', 'I', 0, 0}, &ok);
  EXPECT_FALSE(ok);
  // Name length past the end.
  decode({0, 0, 0, 2, 9, 'a'}, &ok);
  EXPECT_FALSE(ok);
}

TEST(FieldTable, DeepNestingIsRejectedNotACrash) {
  // 'F' tables nested 10000 deep: each level is name(1,'n') 'F' len.
  std::vector<uint8_t> bytes;
  const int depth = 10000;
  for (int i = 0; i < depth; ++i) {
    const uint32_t len = static_cast<uint32_t>((depth - i - 1) * 7);
    bytes.insert(bytes.end(),
                 {uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)});
    if (i + 1 < depth) bytes.insert(bytes.end(), {1, 'n', 'F'});
  }
  bool ok = true;
  decode(bytes, &ok);
  EXPECT_FALSE(ok);
}

TEST(FieldTable, DebugString) {
  FieldTable t;
  t.set("n", int32_t{3});
  t.set("a", FieldArray{{FieldValue(true), FieldValue("s")}});
  EXPECT_EQ(to_string(t), R"({"n": 3, "a": [true, "s"]})");
}

}  // namespace
}  // namespace unimq::amqp::codec
