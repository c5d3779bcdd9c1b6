// Byte-exact encodings checked against the MQTT 3.1, 3.1.1 and 5.0 specifications.
#include "test_util.h"

namespace unimq::mqtt::test {
namespace {

void expect_golden(const Packet& p, Version v, const Bytes& wire) {
  EXPECT_EQ(enc(p, v), wire) << packet_type_name(packet_type(p));
  Result r = dec(wire, v);
  ASSERT_EQ(r.status, DecodeStatus::Ok) << r.err.message;
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_TRUE(r.packet == p) << packet_type_name(packet_type(p));
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(dec(Bytes(wire.begin(), wire.begin() + ptrdiff_t(n)), v).status,
              DecodeStatus::NeedMore);
  }
}

TEST(Golden, Connect311WithWillUserPassword) {
  // 3.1.1 section 3.1.2.10 example: flags 0xCE, keep alive 10.
  Connect c;
  c.version = Version::V311;
  c.keep_alive = 10;
  c.client_id = "cid";
  c.will = Will{"w/t", "bye", 1, false, {}};
  c.username = "user";
  c.password = "pass";
  expect_golden(c, Version::V311,
                bytes({0x10, 37,  0,   4,   'M', 'Q', 'T', 'T', 4,   0xCE, 0,   10,  0,
                       3,    'c', 'i', 'd', 0,   3,   'w', '/', 't', 0,    3,   'b', 'y',
                       'e',  0,   4,   'u', 's', 'e', 'r', 0,   4,   'p',  'a', 's', 's'}));
}

TEST(Golden, Connect31) {
  Connect c;
  c.protocol_name = "MQIsdp";
  c.version = Version::V31;
  c.client_id = "id";
  expect_golden(
      c, Version::V31,
      bytes({0x10, 16, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x02, 0, 60, 0, 2, 'i', 'd'}));
}

TEST(Golden, Connect5WithSessionExpiry) {
  // 5.0 section 3.1.2.12 example variable header: flags 0xC2, keep alive 10,
  // properties length 5, session expiry interval 10.
  Connect c;
  c.version = Version::V5;
  c.keep_alive = 10;
  c.props.session_expiry_interval = 10;
  c.client_id = "c1";
  c.username = "u";
  c.password = "p";
  expect_golden(c, Version::V5,
                bytes({0x10, 26, 0, 4,  'M', 'Q', 'T', 'T', 5, 0xC2, 0,   10, 5, 0x11,
                       0,    0,  0, 10, 0,   2,   'c', '1', 0, 1,    'u', 0,  1, 'p'}));
}

TEST(Golden, Publish5WithProperties) {
  Publish p;
  p.qos = 1;
  p.topic = "a/b";
  p.packet_id = 10;
  p.props.payload_format_indicator = 1;
  p.props.message_expiry_interval = 60;
  p.props.content_type = "text/plain";
  p.props.user_properties = {{"k", "v"}};
  p.payload = "hi";
  expect_golden(p, Version::V5,
                bytes({0x32, 37,  0,   3,   'a',  '/', 'b', 0,   10,  27,  0x01, 1,   0x02,
                       0,    0,   0,   60,  0x03, 0,   10,  't', 'e', 'x', 't',  '/', 'p',
                       'l',  'a', 'i', 'n', 0x26, 0,   1,   'k', 0,   1,   'v',  'h', 'i'}));
}

TEST(Golden, Publish311Qos0Retain) {
  Publish p;
  p.retain = true;
  p.topic = "a/b";
  p.payload = "x";
  expect_golden(p, Version::V311, bytes({0x31, 6, 0, 3, 'a', '/', 'b', 'x'}));
}

TEST(Golden, Subscribe311AndSuback) {
  expect_golden(Subscribe{1, {}, {{"a/b", 1}}}, Version::V311,
                bytes({0x82, 8, 0, 1, 0, 3, 'a', '/', 'b', 1}));
  expect_golden(Suback{1, {}, {1, 0x80}}, Version::V311, bytes({0x90, 4, 0, 1, 1, 0x80}));
}

TEST(Golden, Subscribe5Options) {
  // QoS 2, no local, retain as published, retain handling 2: 0b00101110.
  expect_golden(Subscribe{2, {}, {{"t", 2, true, true, 2}}}, Version::V5,
                bytes({0x82, 7, 0, 2, 0, 0, 1, 't', 0x2E}));
}

TEST(Golden, ShortForms) {
  expect_golden(Ack{PacketType::Puback, 1, 0, {}}, Version::V311, bytes({0x40, 2, 0, 1}));
  expect_golden(Ack{PacketType::Pubrel, 1, 0, {}}, Version::V5, bytes({0x62, 2, 0, 1}));
  expect_golden(Ack{PacketType::Pubrec, 1, 0x10, {}}, Version::V5, bytes({0x50, 3, 0, 1, 0x10}));
  expect_golden(Connack{true, 0, {}}, Version::V311, bytes({0x20, 2, 1, 0}));
  expect_golden(Connack{false, 0, {}}, Version::V5, bytes({0x20, 3, 0, 0, 0}));
  expect_golden(Unsuback{5, {}, {}}, Version::V311, bytes({0xB0, 2, 0, 5}));
  expect_golden(Unsubscribe{5, {}, {"a"}}, Version::V311, bytes({0xA2, 5, 0, 5, 0, 1, 'a'}));
  expect_golden(Pingreq{}, Version::V311, bytes({0xC0, 0}));
  expect_golden(Pingresp{}, Version::V5, bytes({0xD0, 0}));
  expect_golden(Disconnect{}, Version::V311, bytes({0xE0, 0}));
  expect_golden(Disconnect{}, Version::V5, bytes({0xE0, 0}));
  expect_golden(Disconnect{reason::DisconnectWithWill, {}}, Version::V5, bytes({0xE0, 1, 4}));
  expect_golden(Auth{}, Version::V5, bytes({0xF0, 0}));
}

TEST(Golden, LongFormsDecodeLikeShortOnes) {
  // v5 acks: reason code + empty property length is the same packet as the short form.
  Result r = dec(bytes({0x40, 4, 0, 1, 0, 0}), Version::V5);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_TRUE(r.packet == Packet(Ack{PacketType::Puback, 1, 0, {}}));
  r = dec(bytes({0xE0, 2, 0, 0}), Version::V5);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_TRUE(r.packet == Packet(Disconnect{}));
  r = dec(bytes({0xF0, 2, 0x18, 0}), Version::V5);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  EXPECT_TRUE(r.packet == Packet(Auth{reason::ContinueAuthentication, {}}));
}

}  // namespace
}  // namespace unimq::mqtt::test
