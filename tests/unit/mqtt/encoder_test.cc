// Encoder specifics: version-dependent omissions, short forms, zero-copy PUBLISH.
#include "test_util.h"

namespace unimq::mqtt::test {
namespace {

TEST(Encoder, V3AcksHaveOnlyThePacketId) {
  for (PacketType t :
       {PacketType::Puback, PacketType::Pubrec, PacketType::Pubrel, PacketType::Pubcomp}) {
    Ack a{t, 0x0102, reason::UnspecifiedError, props_with({0x1F})};
    const uint8_t first = uint8_t(uint8_t(t) << 4 | (t == PacketType::Pubrel ? 2 : 0));
    EXPECT_EQ(enc(a, Version::V311), bytes({first, 2, 1, 2}));
    EXPECT_EQ(enc(a, Version::V31), bytes({first, 2, 1, 2}));
  }
}

TEST(Encoder, V3DisconnectIsEmptyAndAuthIsNotSent) {
  EXPECT_EQ(enc(Disconnect{reason::ServerShuttingDown, props_with({0x1F})}, Version::V311),
            bytes({0xE0, 0}));
  EXPECT_TRUE(enc(Auth{reason::ContinueAuthentication, {}}, Version::V311).empty());
}

TEST(Encoder, V3SubackReturnCodes) {
  Suback s{3, props_with({0x1F}), {0, 1, 2, 0x80, 0x87, 0x97, 0xA2}};
  EXPECT_EQ(enc(s, Version::V311), bytes({0x90, 9, 0, 3, 0, 1, 2, 0x80, 0x80, 0x80, 0x80}));
}

TEST(Encoder, V3UnsubackHasNoPayload) {
  Unsuback u{5, props_with({0x1F}), {reason::NoSubscriptionExisted}};
  EXPECT_EQ(enc(u, Version::V311), bytes({0xB0, 2, 0, 5}));
}

TEST(Encoder, V3ConnackMapsV5ReasonCodes) {
  const std::pair<uint8_t, uint8_t> map[] = {
      {0x00, 0}, {0x04, 4}, {0x05, 5}, {0x84, 1}, {0x85, 2}, {0x88, 3},
      {0x89, 3}, {0x86, 4}, {0x87, 5}, {0x8A, 5}, {0x80, 3},
  };
  for (auto [in, want] : map) {
    EXPECT_EQ(enc(Connack{false, in, {}}, Version::V311), bytes({0x20, 2, 0, want})) << int(in);
  }
}

TEST(Encoder, V3SubscribeWritesOnlyQos) {
  Subscribe s{1, props_with({0x0B}), {{"a", 1, true, true, 2}}};
  EXPECT_EQ(enc(s, Version::V311), bytes({0x82, 6, 0, 1, 0, 1, 'a', 1}));
}

TEST(Encoder, V5ShortForms) {
  EXPECT_EQ(enc(Ack{PacketType::Puback, 1, 0, {}}, Version::V5), bytes({0x40, 2, 0, 1}));
  EXPECT_EQ(enc(Ack{PacketType::Puback, 1, 0x10, {}}, Version::V5), bytes({0x40, 3, 0, 1, 0x10}));
  EXPECT_EQ(enc(Ack{PacketType::Puback, 1, 0, props_with({0x1F})}, Version::V5).size(), 16u);
  EXPECT_EQ(enc(Disconnect{}, Version::V5), bytes({0xE0, 0}));
  EXPECT_EQ(enc(Disconnect{0x8E, {}}, Version::V5), bytes({0xE0, 1, 0x8E}));
  EXPECT_EQ(enc(Auth{0x19, {}}, Version::V5), bytes({0xF0, 1, 0x19}));
}

TEST(Encoder, PublishNeverWritesInvalidFlags) {
  Publish p;
  p.topic = "t";
  p.dup = true;  // meaningless at QoS 0: dropped
  EXPECT_EQ(enc(p, Version::V311)[0], 0x30);
  p.qos = 7;  // clamped to 2
  p.packet_id = 1;
  EXPECT_EQ(enc(p, Version::V311)[0], 0x3C);
}

TEST(Encoder, ConnectProtocolNameFollowsVersion) {
  Connect c;
  c.version = Version::V31;  // protocol_name left at its default
  const Bytes wire = enc(c, Version::V311);
  EXPECT_EQ(Bytes(wire.begin() + 2, wire.begin() + 11),
            bytes({0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3}));
}

TEST(Encoder, AppendsToExistingOutput) {
  Bytes out = bytes({0xAA});
  encode(Pingreq{}, Version::V311, out);
  encode(Pingresp{}, Version::V5, out);
  EXPECT_EQ(out, bytes({0xAA, 0xC0, 0, 0xD0, 0}));
}

TEST(Encoder, PutVarint) {
  const std::pair<uint32_t, Bytes> cases[] = {
      {0, bytes({0})},
      {127, bytes({0x7F})},
      {128, bytes({0x80, 0x01})},
      {16383, bytes({0xFF, 0x7F})},
      {16384, bytes({0x80, 0x80, 0x01})},
      {2097151, bytes({0xFF, 0xFF, 0x7F})},
      {2097152, bytes({0x80, 0x80, 0x80, 0x01})},
      {268435455, bytes({0xFF, 0xFF, 0xFF, 0x7F})},
  };
  for (const auto& [v, want] : cases) {
    Bytes out;
    put_varint(v, out);
    EXPECT_EQ(out, want) << v;
  }
}

TEST(Encoder, ZeroCopyPublishMatchesEncode) {
  for (Version v : {Version::V311, Version::V5}) {
    for (size_t len : {size_t{0}, size_t{1}, size_t{100}, size_t{121}, size_t{122}, size_t{16370},
                       size_t{16400}, size_t{2097152}}) {
      const std::string payload(len, 'p');
      Publish p;
      p.qos = 1;
      p.packet_id = 5;
      p.topic = "a/b";
      if (v == Version::V5) p.props = props_with({0x02, 0x26});
      p.payload = payload;
      const Bytes full = enc(p, v);
      EXPECT_EQ(publish_wire_size(p, len, v), full.size()) << len;

      Bytes out = bytes({0x01});  // appends after existing bytes
      Publish hdr_only = p;
      hdr_only.payload = "ignored";
      const size_t n = encode_publish_header(hdr_only, len, v, out);
      EXPECT_EQ(n, out.size() - 1);
      out.insert(out.end(), payload.begin(), payload.end());
      EXPECT_EQ(Bytes(out.begin() + 1, out.end()), full) << len;

      Result r = dec(full, v);
      ASSERT_EQ(r.status, DecodeStatus::Ok) << r.err.message;
      EXPECT_TRUE(r.packet == Packet(p));
    }
  }
}

}  // namespace
}  // namespace unimq::mqtt::test

namespace unimq::mqtt::test {
namespace {

TEST(Encoder, HotPathOverloadsMatchVariantEncode) {
  Publish p;
  p.qos = 1;
  p.packet_id = 3;
  p.topic = "x/y";
  p.props = props_with({0x23});
  p.payload = "data";
  Ack a{PacketType::Pubrec, 4, 0x10, props_with({0x1F})};
  for (Version v : {Version::V311, Version::V5}) {
    Bytes direct, variant;
    encode(p, v, direct);
    encode(a, v, direct);
    encode(Packet(p), v, variant);
    encode(Packet(a), v, variant);
    EXPECT_EQ(direct, variant);
  }
}

}  // namespace
}  // namespace unimq::mqtt::test
