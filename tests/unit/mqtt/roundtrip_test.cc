// Encode -> decode round trips of every packet type for 3.1.1 and 5.0 (and CONNECT for 3.1).
#include "test_util.h"

namespace unimq::mqtt::test {
namespace {

Connect full_connect(Version v) {
  Connect c;
  c.version = v;
  c.protocol_name = v == Version::V31 ? "MQIsdp" : "MQTT";
  c.clean_start = false;
  c.keep_alive = 0xABCD;
  c.client_id = "client-\xe2\x82\xac";
  Will w;
  w.topic = "will/topic";
  w.payload = std::string("\x00\xff gone", 7);
  w.qos = 2;
  w.retain = true;
  c.will = w;
  c.username = "user";
  c.password = std::string("p\x00ss", 4);
  return c;
}

class RoundTrip : public ::testing::TestWithParam<Version> {};

TEST_P(RoundTrip, Connect) {
  const Version v = GetParam();
  Connect c = full_connect(v);
  expect_roundtrip(c, v);
  c.will.reset();
  c.password.reset();
  expect_roundtrip(c, v);
  c.username.reset();
  c.client_id.clear();
  c.clean_start = true;
  expect_roundtrip(c, v);
  for (uint8_t qos : {0, 1}) {
    Connect d = full_connect(v);
    d.will->qos = qos;
    d.will->retain = false;
    expect_roundtrip(d, v);
  }
}

TEST_P(RoundTrip, Connack) {
  const Version v = GetParam();
  expect_roundtrip(Connack{}, v);
  Connack c;
  c.session_present = true;
  expect_roundtrip(c, v);
  c.session_present = false;
  c.reason_code = v == Version::V5 ? reason::NotAuthorized : connack_v3::NotAuthorized;
  expect_roundtrip(c, v);
}

TEST_P(RoundTrip, Publish) {
  const Version v = GetParam();
  const std::string payload(300, 'x');  // two-byte remaining length
  for (uint8_t qos : {0, 1, 2}) {
    for (bool retain : {false, true}) {
      Publish p;
      p.qos = qos;
      p.dup = qos > 0;
      p.retain = retain;
      p.topic = "sensors/\xc3\xa9t\xc3\xa9/temp";
      p.packet_id = qos ? 0xFFFF : 0;
      p.payload = payload;
      expect_roundtrip(p, v);
      p.payload = {};
      expect_roundtrip(p, v);
    }
  }
}

TEST_P(RoundTrip, Acks) {
  const Version v = GetParam();
  for (PacketType t :
       {PacketType::Puback, PacketType::Pubrec, PacketType::Pubrel, PacketType::Pubcomp}) {
    Ack a;
    a.type = t;
    a.packet_id = 1;
    expect_roundtrip(a, v);
    a.packet_id = 0xFFFF;
    expect_roundtrip(a, v);
  }
}

TEST_P(RoundTrip, Subscribe) {
  const Version v = GetParam();
  Subscribe s;
  s.packet_id = 42;
  s.topics = {{"a/b", 0}, {"a/+/c", 1}, {"#", 2}};
  expect_roundtrip(s, v);
}

TEST_P(RoundTrip, Suback) {
  const Version v = GetParam();
  Suback s;
  s.packet_id = 42;
  s.reason_codes = {0, 1, 2, 0x80};
  expect_roundtrip(s, v);
}

TEST_P(RoundTrip, Unsubscribe) {
  const Version v = GetParam();
  Unsubscribe u;
  u.packet_id = 7;
  u.filters = {"a/b", "$share/g/x/#"};
  expect_roundtrip(u, v);
}

TEST_P(RoundTrip, Unsuback) {
  const Version v = GetParam();
  Unsuback u;
  u.packet_id = 7;
  if (v == Version::V5) u.reason_codes = {reason::Success, reason::NoSubscriptionExisted};
  expect_roundtrip(u, v);
}

TEST_P(RoundTrip, PingAndDisconnect) {
  const Version v = GetParam();
  expect_roundtrip(Pingreq{}, v);
  expect_roundtrip(Pingresp{}, v);
  expect_roundtrip(Disconnect{}, v);
}

INSTANTIATE_TEST_SUITE_P(Versions, RoundTrip,
                         ::testing::Values(Version::V31, Version::V311, Version::V5),
                         [](const auto& info) {
                           switch (info.param) {
                             case Version::V31:
                               return "V31";
                             case Version::V311:
                               return "V311";
                             default:
                               return "V5";
                           }
                         });

// v5-only fields: reason codes on acks, DISCONNECT and AUTH, subscription options.
TEST(RoundTripV5, AckReasonCodes) {
  for (PacketType t : {PacketType::Puback, PacketType::Pubrec}) {
    for (uint8_t rc : {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99}) {
      expect_roundtrip(Ack{t, 9, rc, {}}, Version::V5);
    }
  }
  for (PacketType t : {PacketType::Pubrel, PacketType::Pubcomp}) {
    expect_roundtrip(Ack{t, 9, reason::PacketIdentifierNotFound, {}}, Version::V5);
  }
}

TEST(RoundTripV5, SubscribeOptions) {
  Subscribe s;
  s.packet_id = 1;
  for (uint8_t qos = 0; qos <= 2; ++qos) {
    for (uint8_t rh = 0; rh <= 2; ++rh) {
      for (int bits = 0; bits < 4; ++bits) {
        s.topics.push_back(
            {"t/" + std::to_string(s.topics.size()), qos, bool(bits & 1), bool(bits & 2), rh});
      }
    }
  }
  expect_roundtrip(s, Version::V5);
}

TEST(RoundTripV5, SubackAndUnsubackReasonCodes) {
  Suback s{5, {}, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2}};
  expect_roundtrip(s, Version::V5);
  Unsuback u{5, {}, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91}};
  expect_roundtrip(u, Version::V5);
}

TEST(RoundTripV5, DisconnectAndAuth) {
  expect_roundtrip(Disconnect{reason::DisconnectWithWill, {}}, Version::V5);
  expect_roundtrip(Disconnect{reason::SessionTakenOver, props_with({0x1F})}, Version::V5);
  expect_roundtrip(Disconnect{reason::NormalDisconnection, props_with({0x11})}, Version::V5);
  expect_roundtrip(Auth{}, Version::V5);
  expect_roundtrip(Auth{reason::ContinueAuthentication, props_with({0x15, 0x16})}, Version::V5);
  expect_roundtrip(Auth{reason::ReAuthenticate, {}}, Version::V5);
}

TEST(RoundTripV5, PublishWithEmptyTopicAndAlias) {
  Publish p;
  p.qos = 1;
  p.packet_id = 3;
  p.props.topic_alias = 12;
  p.payload = "hello";
  expect_roundtrip(p, Version::V5);
}

TEST(RoundTripV5, PasswordWithoutUsername) {
  Connect c;
  c.version = Version::V5;
  c.client_id = "c";
  c.password = "secret";
  expect_roundtrip(c, Version::V5);
}

TEST(RoundTrip, ConnectCarriesItsOwnVersion) {
  // CONNECT ignores the session version passed to decode()/encode().
  for (Version v : {Version::V31, Version::V311, Version::V5}) {
    Connect c = full_connect(v);
    Bytes wire = enc(c, Version::V311);
    Result r = dec(wire, Version::V5);
    ASSERT_EQ(r.status, DecodeStatus::Ok) << r.err.message;
    EXPECT_TRUE(r.packet == Packet(c));
  }
}

TEST(RoundTrip, DecodesBackToBackPackets) {
  Bytes wire;
  Publish p;
  p.topic = "a";
  p.payload = "1";
  encode(p, Version::V311, wire);
  encode(Pingreq{}, Version::V311, wire);
  encode(Ack{PacketType::Puback, 5, 0, {}}, Version::V311, wire);
  Packet out;
  size_t off = 0, consumed = 0;
  DecodeError err;
  std::vector<PacketType> types;
  while (off < wire.size()) {
    std::span<const uint8_t> rest(wire.data() + off, wire.size() - off);
    ASSERT_EQ(decode(rest, Version::V311, out, consumed, err), DecodeStatus::Ok) << err.message;
    types.push_back(packet_type(out));
    off += consumed;
  }
  EXPECT_EQ(types, (std::vector<PacketType>{PacketType::Publish, PacketType::Pingreq,
                                            PacketType::Puback}));
}

TEST(RoundTrip, ReusedPublishDoesNotLeakFields) {
  Packet out;
  size_t consumed;
  DecodeError err;
  Publish first;
  first.qos = 1;
  first.packet_id = 9;
  first.topic = "a/very/long/topic/name/that/does/not/fit/in/sso";
  first.props.topic_alias = 3;
  first.props.user_properties = {{"a", "b"}};
  Bytes w1 = enc(first, Version::V5);
  ASSERT_EQ(decode(w1, Version::V5, out, consumed, err), DecodeStatus::Ok);
  Publish second;
  second.topic = "b";
  Bytes w2 = enc(second, Version::V5);
  ASSERT_EQ(decode(w2, Version::V5, out, consumed, err), DecodeStatus::Ok);
  EXPECT_TRUE(out == Packet(second));
}

TEST(PacketNames, AllTypes) {
  EXPECT_STREQ(packet_type_name(PacketType::Connect), "CONNECT");
  EXPECT_STREQ(packet_type_name(PacketType::Pubrel), "PUBREL");
  EXPECT_STREQ(packet_type_name(PacketType::Auth), "AUTH");
  EXPECT_STREQ(packet_type_name(static_cast<PacketType>(0)), "UNKNOWN");
  EXPECT_EQ(packet_type(Ack{PacketType::Pubcomp, 1, 0, {}}), PacketType::Pubcomp);
  EXPECT_EQ(packet_type(Unsuback{}), PacketType::Unsuback);
}

}  // namespace
}  // namespace unimq::mqtt::test
