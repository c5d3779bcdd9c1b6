#include <gtest/gtest.h>

#include <utility>

#include "protocol/amqp/codec/frame.h"
#include "protocol/amqp/codec/generated/method_dispatch.h"

namespace unimq::amqp::codec {
namespace {

std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

template <typename M>
void expect_round_trip(const M& m) {
  std::vector<uint8_t> bytes;
  Writer w(bytes);
  encode_method(w, m);
  Reader r(bytes.data(), bytes.size());
  Method back;
  ASSERT_TRUE(decode_method(r, back)) << M::kName << ": " << r.error();
  EXPECT_TRUE(r.at_end()) << M::kName;
  ASSERT_TRUE(std::holds_alternative<M>(back)) << M::kName;
  EXPECT_EQ(std::get<M>(back), m) << M::kName;
  EXPECT_EQ(method_class_id(back), M::kClassId);
  EXPECT_EQ(method_id(back), M::kMethodId);
  EXPECT_STREQ(method_name(M::kClassId, M::kMethodId), M::kName);
}

template <size_t... I>
void round_trip_all(std::index_sequence<I...>) {
  (expect_round_trip(std::variant_alternative_t<I, Method>{}), ...);
}

TEST(Methods, EveryMethodRoundTripsWithDefaults) {
  round_trip_all(std::make_index_sequence<std::variant_size_v<Method>>{});
  EXPECT_EQ(std::variant_size_v<Method>, 66u);
}

TEST(Methods, FilledMethodsRoundTrip) {
  BasicPublish p;
  p.exchange = "amq.topic";
  p.routing_key = "a.b.c";
  p.mandatory = true;
  expect_round_trip(p);
  BasicDeliver d;
  d.consumer_tag = "ctag";
  d.delivery_tag = 0x0102030405060708ull;
  d.redelivered = true;
  d.exchange = "x";
  d.routing_key = "rk";
  expect_round_trip(d);
  QueueDeclare q;
  q.queue = "q";
  q.durable = true;
  q.arguments.set("x-message-ttl", int32_t{1000});
  expect_round_trip(q);
  ConnectionTune t;
  t.channel_max = 2047;
  t.frame_max = 131072;
  t.heartbeat = 60;
  expect_round_trip(t);
  ConnectionClose c;
  c.reply_code = 320;
  c.reply_text = "CONNECTION_FORCED";
  c.class_id = 60;
  c.method_id = 40;
  expect_round_trip(c);
}

TEST(Methods, SpecDefaults) {
  EXPECT_EQ(ConnectionStart{}.version_minor, 9);
  EXPECT_EQ(ConnectionOpen{}.virtual_host, "/");
  EXPECT_TRUE(BasicReject{}.requeue);
  EXPECT_TRUE(BasicNack{}.requeue);
  EXPECT_EQ(ExchangeDeclare{}.type, "direct");
  EXPECT_TRUE(BasicPublish::kHasContent);
  EXPECT_FALSE(BasicGetEmpty::kHasContent);
  EXPECT_EQ(ExchangeUnbindOk::kMethodId, 51);  // RabbitMQ's id, not the 0-9-1 XML's 41
}

TEST(Methods, ConsecutiveBitsShareOneOctet) {
  QueueDeclare q;
  q.queue = "q";
  q.durable = true;      // bit 1
  q.auto_delete = true;  // bit 3
  q.nowait = true;       // bit 4
  std::vector<uint8_t> bytes;
  Writer w(bytes);
  encode_method(w, q);
  // class, method, ticket, shortstr "q", bits, empty table
  const std::vector<uint8_t> want = {0, 50, 0, 10, 0, 0, 1, 'q', 0x1A, 0, 0, 0, 0};
  EXPECT_EQ(bytes, want);
  // Bits separated by other fields are packed separately: deliver has one bit between strings.
  BasicDeliver d;
  d.redelivered = true;
  bytes.clear();
  encode_method(w, d);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0, 60, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST(Methods, GoldenConnectionStart) {
  ConnectionStart s;
  s.server_properties.set("product", std::string("UniMQ"));
  s.mechanisms = "PLAIN";
  s.locales = "en_US";
  std::vector<uint8_t> frame;
  encode_method_frame(frame, 0, s);
  const auto want = from_hex(
      "010000000000"
      "2e"        // size 46
      "000a000a"  // connection.start
      "0009"      // 0-9
      "00000012"  // table length 18
      "0770726f64756374"
      "53"
      "00000005"
      "556e694d51"  // {product: S "UniMQ"}
      "00000005"
      "504c41494e"  // PLAIN
      "00000005"
      "656e5f5553"  // en_US
      "ce");
  EXPECT_EQ(frame, want);
}

// Connection.StartOk exactly as pika 1.2.0 sends it (captured from the wire).
constexpr std::string_view kPikaStartOk =
    "01000000000122000a000b000000fe0770726f64756374530000001a50696b6120507974686f6e20436c69656e"
    "74204c69627261727908706c6174666f726d530000000d507974686f6e20332e31312e320c6361706162696c69"
    "746965734600"
    "00006f1c61757468656e7469636174696f6e5f6661696c7572655f636c6f736574010a62617369632e6e61636b"
    "740112636f6e6e656374696f6e2e626c6f636b6564740116636f6e73756d65725f63616e63656c5f6e6f746966"
    "797401127075626c69736865725f636f6e6669726d7374010b696e666f726d6174696f6e530000001853656520"
    "687474703a2f2f70696b612e727466642e6f72670776657273696f6e5300000005312e322e3005504c41494e00"
    "00000c00677565737400677565737405656e5f5553ce";

TEST(Methods, GoldenPikaStartOk) {
  const auto bytes = from_hex(kPikaStartOk);
  const auto f = decode_frame(bytes, 131072);
  ASSERT_EQ(f.status, FrameStatus::Frame);
  EXPECT_EQ(f.consumed, bytes.size());
  Reader r(f.frame.payload.data(), f.frame.payload.size());
  Method m;
  ASSERT_TRUE(decode_method(r, m)) << r.error();
  const auto& ok = std::get<ConnectionStartOk>(m);
  EXPECT_EQ(ok.mechanism, "PLAIN");
  EXPECT_EQ(ok.response, std::string("\0guest\0guest", 12));
  EXPECT_EQ(ok.locale, "en_US");
  EXPECT_EQ(*ok.client_properties.find("product")->as_string(), "Pika Python Client Library");
  const auto* caps = ok.client_properties.find("capabilities")->get<FieldTable>();
  ASSERT_NE(caps, nullptr);
  EXPECT_EQ(caps->size(), 5u);
  EXPECT_EQ(*caps->find("authentication_failure_close")->get<bool>(), true);
  // Re-encoding gives the same bytes.
  std::vector<uint8_t> again;
  encode_method_frame(again, 0, ok);
  EXPECT_EQ(again, bytes);
}

TEST(Methods, UnknownIdsAndTruncatedArguments) {
  const std::vector<uint8_t> unknown = {0, 99, 0, 1};
  Reader r1(unknown.data(), unknown.size());
  Method m;
  bool is_unknown = false;
  EXPECT_FALSE(decode_method(r1, m, &is_unknown));
  EXPECT_TRUE(is_unknown);
  const std::vector<uint8_t> truncated = {0, 60, 0, 40, 0, 0, 5, 'a'};  // publish, short string
  Reader r2(truncated.data(), truncated.size());
  EXPECT_FALSE(decode_method(r2, m, &is_unknown));
  EXPECT_FALSE(is_unknown);
  EXPECT_STREQ(r2.error(), "truncated");
}

TEST(Properties, AllFourteenRoundTrip) {
  BasicProperties p;
  p.content_type = "text/plain";
  p.content_encoding = "gzip";
  p.headers.emplace().set("h", int32_t{1});
  p.delivery_mode = 2;
  p.priority = 5;
  p.correlation_id = "c";
  p.reply_to = "r";
  p.expiration = "60000";
  p.message_id = "m";
  p.timestamp = 1700000000;
  p.type = "t";
  p.user_id = "guest";
  p.app_id = "a";
  p.cluster_id = "cl";
  std::vector<uint8_t> bytes;
  Writer w(bytes);
  p.write(w);
  EXPECT_EQ(bytes[0], 0xFF);
  EXPECT_EQ(bytes[1], 0xFC);
  Reader r(bytes.data(), bytes.size());
  BasicProperties back;
  back.read(r);
  ASSERT_TRUE(r.ok() && r.at_end());
  EXPECT_EQ(back, p);
}

TEST(Properties, FlagsSelectFields) {
  BasicProperties p;
  p.content_type = "a";
  p.delivery_mode = 2;
  std::vector<uint8_t> bytes;
  Writer w(bytes);
  p.write(w);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0x90, 0x00, 1, 'a', 2}));
  const std::vector<uint8_t> continuation = {0x00, 0x01};
  Reader r(continuation.data(), continuation.size());
  BasicProperties back;
  back.read(r);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace unimq::amqp::codec
