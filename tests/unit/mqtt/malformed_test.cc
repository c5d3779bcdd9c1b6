// Malformed and protocol-violating input. Reason codes follow MQTT 5.0: things that cannot be
// parsed (bad lengths, flags, reserved bits, invalid UTF-8, unknown property) are Malformed
// (0x81); well-formed packets carrying forbidden values are Protocol Errors (0x82).
#include "test_util.h"

namespace unimq::mqtt::test {
namespace {

constexpr Version kV31 = Version::V31;
constexpr Version kV3 = Version::V311;
constexpr Version kV5 = Version::V5;
constexpr uint8_t kMalformed = reason::MalformedPacket;
constexpr uint8_t kProtocol = reason::ProtocolError;

Bytes connect_bytes(std::string_view name, uint8_t level, uint8_t flags, const Bytes& tail) {
  Bytes body;
  append_str(body, name);
  body.push_back(level);
  body.push_back(flags);
  body.push_back(0);
  body.push_back(60);
  if (level == 5) body.push_back(0);  // no properties
  body.insert(body.end(), tail.begin(), tail.end());
  return packet(0x10, body);
}

TEST(FixedHeader, NeedMoreUntilComplete) {
  FixedHeader h;
  DecodeError err;
  EXPECT_EQ(decode_fixed_header({}, h, err), DecodeStatus::NeedMore);
  Bytes b = bytes({0x30});
  EXPECT_EQ(decode_fixed_header(b, h, err), DecodeStatus::NeedMore);
  b = bytes({0x30, 0x80, 0x80});
  EXPECT_EQ(decode_fixed_header(b, h, err), DecodeStatus::NeedMore);
  b = bytes({0x30, 0xFF, 0xFF, 0xFF, 0x7F});
  ASSERT_EQ(decode_fixed_header(b, h, err), DecodeStatus::Ok);
  EXPECT_EQ(h.remaining_length, 268435455u);
  EXPECT_EQ(h.header_length, 5);
  EXPECT_EQ(h.type, PacketType::Publish);
  EXPECT_EQ(dec(b, kV5).status, DecodeStatus::NeedMore);
}

TEST(FixedHeader, RemainingLengthOfFiveBytes) {
  EXPECT_DECODE_ERROR(bytes({0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), kV3, kMalformed);
  // Known to be malformed as soon as the fourth byte has its continuation bit.
  EXPECT_DECODE_ERROR(bytes({0xC0, 0x80, 0x80, 0x80, 0x80}), kV5, kMalformed);
}

TEST(FixedHeader, WrongFlags) {
  EXPECT_DECODE_ERROR(bytes({0x00, 0x00}), kV3, kMalformed);                   // reserved type 0
  EXPECT_DECODE_ERROR(bytes({0x80, 6, 0, 1, 0, 1, 'a', 0}), kV3, kMalformed);  // SUBSCRIBE 0
  EXPECT_DECODE_ERROR(bytes({0x83, 6, 0, 1, 0, 1, 'a', 0}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xA0, 5, 0, 1, 0, 1, 'a'}), kV3, kMalformed);  // UNSUBSCRIBE
  EXPECT_DECODE_ERROR(bytes({0x60, 2, 0, 1}), kV3, kMalformed);             // PUBREL 0
  EXPECT_DECODE_ERROR(bytes({0x66, 2, 0, 1}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x42, 2, 0, 1}), kV3, kMalformed);             // PUBACK flags != 0
  EXPECT_DECODE_ERROR(bytes({0x36, 5, 0, 1, 'a', 0, 1}), kV3, kMalformed);  // PUBLISH qos 3
  EXPECT_DECODE_ERROR(bytes({0x38, 3, 0, 1, 'a'}), kV3, kMalformed);        // DUP with qos 0
  EXPECT_DECODE_ERROR(bytes({0xC1, 0}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xE8, 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x11, 0}), kV3, kMalformed);  // CONNECT flags != 0
}

TEST(FixedHeader, BodySizeMustMatchHeader) {
  FixedHeader h;
  h.type = PacketType::Pingreq;
  h.remaining_length = 1;
  Packet out;
  DecodeError err;
  EXPECT_EQ(decode_packet(h, {}, kV3, out, err), DecodeStatus::Malformed);
}

TEST(Utf8, BadTopicStrings) {
  EXPECT_DECODE_ERROR(bytes({0x30, 4, 0, 2, 0xC3, 0x28}), kV3, kMalformed);        // bad UTF-8
  EXPECT_DECODE_ERROR(bytes({0x30, 4, 0, 2, 'a', 0x00}), kV3, kMalformed);         // U+0000
  EXPECT_DECODE_ERROR(bytes({0x30, 5, 0, 3, 0xED, 0xA0, 0x80}), kV5, kMalformed);  // surrogate
  EXPECT_DECODE_ERROR(bytes({0x30, 4, 0, 2, 0xC0, 0x80}), kV5, kMalformed);        // overlong
  EXPECT_DECODE_ERROR(bytes({0x82, 6, 0, 1, 0, 1, 0x00, 0}), kV3, kMalformed);     // filter
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 2, bytes({0, 1, 0xFF})), kV3, kMalformed);
}

TEST(Publish, TopicRules) {
  EXPECT_DECODE_ERROR(bytes({0x30, 3, 0, 1, '#'}), kV3, reason::TopicNameInvalid);
  EXPECT_DECODE_ERROR(bytes({0x30, 6, 0, 3, 'a', '/', '+', 0}), kV5, reason::TopicNameInvalid);
  EXPECT_DECODE_ERROR(bytes({0x30, 3, 0, 0, 'x'}), kV3, kProtocol);         // empty topic
  EXPECT_DECODE_ERROR(bytes({0x30, 4, 0, 0, 0, 'x'}), kV5, kProtocol);      // empty, no alias
  EXPECT_DECODE_OK(bytes({0x30, 7, 0, 0, 3, 0x23, 0, 1, 'x'}), kV5);        // empty + alias
  EXPECT_DECODE_ERROR(bytes({0x32, 5, 0, 1, 'a', 0, 0}), kV3, kMalformed);  // packet id 0
  EXPECT_DECODE_ERROR(bytes({0x32, 4, 0, 1, 'a', 0}), kV3, kMalformed);     // truncated id
  EXPECT_DECODE_ERROR(bytes({0x30, 2, 0, 3}), kV3, kMalformed);             // topic past the end
}

TEST(Connect, FlagRules) {
  const Bytes tail = bytes({0, 1, 'c'});
  EXPECT_DECODE_OK(connect_bytes("MQTT", 4, 0x02, tail), kV3);
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x03, tail), kV3, kMalformed);  // reserved bit
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 5, 0x01, tail), kV5, kMalformed);
  // Will flag 0 but will QoS / will retain set.
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x08, tail), kV3, kMalformed);
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 5, 0x10, tail), kV5, kMalformed);
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x20, tail), kV3, kMalformed);
  // Will QoS 3.
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x1C, bytes({0, 1, 'c', 0, 1, 't', 0, 0})), kV3,
                      kMalformed);
  // Password without user name: not in 3.1 / 3.1.1, allowed in 5.0.
  const Bytes with_pw = bytes({0, 1, 'c', 0, 2, 'p', 'w'});
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x42, with_pw), kV3, kMalformed);
  EXPECT_DECODE_ERROR(connect_bytes("MQIsdp", 3, 0x42, with_pw), kV31, kMalformed);
  Result r = dec(connect_bytes("MQTT", 5, 0x42, with_pw), kV5);
  ASSERT_EQ(r.status, DecodeStatus::Ok) << r.err.message;
  EXPECT_EQ(std::get<Connect>(r.packet).password, std::optional<std::string>("pw"));
  EXPECT_FALSE(std::get<Connect>(r.packet).username);
  // Flagged fields missing.
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x82, tail), kV3, kMalformed);
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x06, tail), kV3, kMalformed);
  // Will topic must be a valid topic name.
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x06, bytes({0, 1, 'c', 0, 1, '#', 0, 0})), kV3,
                      reason::TopicNameInvalid);
}

TEST(Connect, ProtocolNameAndLevel) {
  const Bytes tail = bytes({0, 1, 'c'});
  const uint8_t unsupported = reason::UnsupportedProtocolVersion;
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 3, 0x02, tail), kV3, unsupported);
  EXPECT_DECODE_ERROR(connect_bytes("MQIsdp", 4, 0x02, tail), kV3, unsupported);
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 6, 0x02, tail), kV3, unsupported);
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 2, 0x02, tail), kV3, unsupported);
  EXPECT_DECODE_ERROR(connect_bytes("MQTX", 4, 0x02, tail), kV3, unsupported);
  EXPECT_DECODE_OK(connect_bytes("MQIsdp", 3, 0x02, tail), kV5);
}

TEST(Subscribe, PayloadRules) {
  EXPECT_DECODE_ERROR(bytes({0x82, 6, 0, 0, 0, 1, 'a', 0}), kV3, kMalformed);  // packet id 0
  EXPECT_DECODE_ERROR(bytes({0x82, 7, 0, 0, 0, 0, 1, 'a', 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x82, 2, 0, 1}), kV3, kProtocol);              // no topic filters
  EXPECT_DECODE_ERROR(bytes({0x82, 3, 0, 1, 0}), kV5, kProtocol);           // v5, empty properties
  EXPECT_DECODE_ERROR(bytes({0x82, 5, 0, 1, 0, 0, 0}), kV3, kProtocol);     // empty filter
  EXPECT_DECODE_ERROR(bytes({0x82, 5, 0, 1, 0, 1, 'a'}), kV3, kMalformed);  // options missing
  // v3: only the QoS bits exist.
  EXPECT_DECODE_ERROR(bytes({0x82, 6, 0, 1, 0, 1, 'a', 0x04}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x82, 6, 0, 1, 0, 1, 'a', 0x03}), kV3, kMalformed);
  // v5 options: reserved bits 6-7, retain handling 3, QoS 3, no local on a shared filter.
  EXPECT_DECODE_ERROR(bytes({0x82, 7, 0, 1, 0, 0, 1, 'a', 0x40}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x82, 7, 0, 1, 0, 0, 1, 'a', 0x80}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x82, 7, 0, 1, 0, 0, 1, 'a', 0x30}), kV5, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0x82, 7, 0, 1, 0, 0, 1, 'a', 0x03}), kV5, kProtocol);
  Bytes shared = bytes({0, 1, 0});
  append_str(shared, "$share/g/a");
  shared.push_back(0x04);
  EXPECT_DECODE_ERROR(packet(0x82, shared), kV5, kProtocol);
  shared.back() = 0x00;
  EXPECT_DECODE_OK(packet(0x82, shared), kV5);
  EXPECT_DECODE_OK(bytes({0x82, 7, 0, 1, 0, 0, 1, 'a', 0x2E}), kV5);
}

TEST(Unsubscribe, PayloadRules) {
  EXPECT_DECODE_ERROR(bytes({0xA2, 5, 0, 0, 0, 1, 'a'}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xA2, 2, 0, 1}), kV3, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0xA2, 3, 0, 1, 0}), kV5, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0xA2, 4, 0, 1, 0, 0}), kV3, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0xA2, 5, 0, 1, 0, 2, 'a'}), kV3, kMalformed);
}

TEST(Acks, Rules) {
  EXPECT_DECODE_ERROR(bytes({0x40, 2, 0, 0}), kV3, kMalformed);  // packet id 0
  EXPECT_DECODE_ERROR(bytes({0x40, 1, 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x40, 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x40, 3, 0, 1, 0x02}), kV5, kProtocol);  // not a PUBACK code
  EXPECT_DECODE_ERROR(bytes({0x62, 3, 0, 1, 0x10}), kV5, kProtocol);  // not a PUBREL code
  EXPECT_DECODE_OK(bytes({0x70, 3, 0, 1, 0x92}), kV5);
  EXPECT_DECODE_ERROR(bytes({0x90, 3, 0, 1, 0x03}), kV3, kProtocol);  // SUBACK v3 code
  EXPECT_DECODE_ERROR(bytes({0x90, 4, 0, 1, 0, 0x03}), kV5, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0x90, 2, 0, 1}), kV3, kProtocol);  // no codes
  EXPECT_DECODE_ERROR(bytes({0xB0, 3, 0, 1, 0}), kV5, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0xB0, 4, 0, 1, 0, 0x01}), kV5, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0x20, 2, 0x02, 0}), kV3, kMalformed);  // CONNACK reserved flags
  EXPECT_DECODE_ERROR(bytes({0x20, 2, 0, 6}), kV3, kProtocol);      // return code 6
  EXPECT_DECODE_ERROR(bytes({0x20, 3, 0, 0x01, 0}), kV5, kProtocol);
  EXPECT_DECODE_ERROR(bytes({0x20, 2, 0, 0}), kV5, kMalformed);  // property length missing
  EXPECT_DECODE_ERROR(bytes({0xE0, 1, 0x01}), kV5, kProtocol);   // DISCONNECT code
  EXPECT_DECODE_ERROR(bytes({0xF0, 1, 0x01}), kV5, kProtocol);   // AUTH code
  EXPECT_DECODE_ERROR(bytes({0xF0, 0}), kV3, kMalformed);        // AUTH before 5.0
}

TEST(TrailingBytes, Rejected) {
  EXPECT_DECODE_ERROR(bytes({0x40, 3, 0, 1, 0}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x40, 5, 0, 1, 0, 0, 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xC0, 1, 0}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xD0, 1, 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xE0, 1, 0}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xE0, 3, 0, 0, 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0xB0, 3, 0, 1, 0}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x20, 3, 0, 0, 0}), kV3, kMalformed);
  EXPECT_DECODE_ERROR(bytes({0x20, 4, 0, 0, 0, 0}), kV5, kMalformed);
  EXPECT_DECODE_ERROR(connect_bytes("MQTT", 4, 0x02, bytes({0, 1, 'c', 0})), kV3, kMalformed);
}

// Every body truncation of valid packets, with a consistent fixed header, never crashes and
// never reads past the end (ASan build); the result is Ok only if the shorter body is itself
// a valid packet.
TEST(Truncation, BodiesWithConsistentHeader) {
  std::vector<std::pair<Packet, Version>> samples;
  Connect c;
  c.version = Version::V5;
  c.client_id = "c";
  c.will = Will{"w", "p", 1, true, props_with({0x01, 0x26})};
  c.username = "u";
  c.password = "p";
  c.props = props_with({0x11, 0x21, 0x26});
  samples.emplace_back(c, kV5);
  Publish p;
  p.qos = 1;
  p.packet_id = 1;
  p.topic = "t";
  p.payload = "data";
  p.props = props_with({0x03, 0x0B, 0x26});
  samples.emplace_back(p, kV5);
  samples.emplace_back(Subscribe{1, props_with({0x0B}), {{"a", 1}, {"b", 2}}}, kV5);
  samples.emplace_back(Ack{PacketType::Pubrec, 1, 0x80, props_with({0x1F})}, kV5);
  samples.emplace_back(Disconnect{0x04, props_with({0x1C})}, kV5);
  for (const auto& [pkt, v] : samples) {
    const Bytes wire = enc(pkt, v);
    FixedHeader h;
    DecodeError err;
    ASSERT_EQ(decode_fixed_header(wire, h, err), DecodeStatus::Ok);
    const std::span<const uint8_t> body(wire.data() + h.header_length, h.remaining_length);
    for (uint32_t n = 0; n < h.remaining_length; ++n) {
      FixedHeader th = h;
      th.remaining_length = n;
      Bytes copy(body.begin(), body.begin() + n);  // exact-size allocation for ASan
      Packet out;
      const DecodeStatus st = decode_packet(th, copy, v, out, err);
      EXPECT_NE(st, DecodeStatus::NeedMore);
    }
  }
}

}  // namespace
}  // namespace unimq::mqtt::test
