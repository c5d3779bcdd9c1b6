// MQTT 5 properties: every property in every packet that allows it, the per-packet allowed
// table (MQTT 5.0 2.2.2.2), duplicates and value checks.
#include <functional>

#include "test_util.h"

namespace unimq::mqtt::test {
namespace {

using Ids = std::vector<uint8_t>;

// Wraps raw property bytes (without their length) into a complete v5 packet.
using Builder = std::function<Bytes(const Bytes& props)>;

Bytes with_len(const Bytes& props) {
  Bytes out;
  put_varint(static_cast<uint32_t>(props.size()), out);
  out.insert(out.end(), props.begin(), props.end());
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kConnectHead = bytes({0, 4, 'M', 'Q', 'T', 'T', 5});

struct Ctx {
  const char* name;
  Ids allowed;
  bool multi_sub_id;
  Builder build;
};

const std::vector<Ctx>& contexts() {
  static const std::vector<Ctx> kCtx = {
      {"CONNECT",
       {0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27},
       false,
       [](const Bytes& p) {
         return packet(0x10,
                       cat({kConnectHead, bytes({0x02, 0, 60}), with_len(p), bytes({0, 1, 'c'})}));
       }},
      {"WILL",
       {0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0x10, cat({kConnectHead, bytes({0x06, 0, 60, 0, 0, 1, 'c'}), with_len(p),
                                  bytes({0, 1, 't', 0, 0})}));
       }},
      {"CONNACK",
       {0x11, 0x12, 0x13, 0x15, 0x16, 0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x24, 0x25, 0x26, 0x27, 0x28,
        0x29, 0x2A},
       false,
       [](const Bytes& p) {
         return packet(0x20, cat({bytes({0, 0}), with_len(p)}));
       }},
      {"PUBLISH",
       {0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x23, 0x26},
       true,
       [](const Bytes& p) {
         return packet(0x30, cat({bytes({0, 1, 't'}), with_len(p), bytes({'p'})}));
       }},
      {"PUBACK",
       {0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0x40, cat({bytes({0, 1, 0}), with_len(p)}));
       }},
      {"PUBREC",
       {0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0x50, cat({bytes({0, 1, 0}), with_len(p)}));
       }},
      {"PUBREL",
       {0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0x62, cat({bytes({0, 1, 0}), with_len(p)}));
       }},
      {"PUBCOMP",
       {0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0x70, cat({bytes({0, 1, 0}), with_len(p)}));
       }},
      {"SUBSCRIBE",
       {0x0B, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0x82, cat({bytes({0, 1}), with_len(p), bytes({0, 1, 't', 0})}));
       }},
      {"SUBACK",
       {0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0x90, cat({bytes({0, 1}), with_len(p), bytes({0})}));
       }},
      {"UNSUBSCRIBE",
       {0x26},
       false,
       [](const Bytes& p) {
         return packet(0xA2, cat({bytes({0, 1}), with_len(p), bytes({0, 1, 't'})}));
       }},
      {"UNSUBACK",
       {0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0xB0, cat({bytes({0, 1}), with_len(p), bytes({0})}));
       }},
      {"DISCONNECT",
       {0x11, 0x1C, 0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0xE0, cat({bytes({0}), with_len(p)}));
       }},
      {"AUTH",
       {0x15, 0x16, 0x1F, 0x26},
       false,
       [](const Bytes& p) {
         return packet(0xF0, cat({bytes({0}), with_len(p)}));
       }},
  };
  return kCtx;
}

// A valid encoding of property `id` (identifier + value).
Bytes prop_bytes(uint8_t id) {
  switch (id) {
    case 0x01:
    case 0x17:
    case 0x19:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
      return bytes({id, 1});
    case 0x13:
    case 0x21:
    case 0x22:
    case 0x23:
      return bytes({id, 0, 1});
    case 0x02:
    case 0x11:
    case 0x18:
    case 0x27:
      return bytes({id, 0, 0, 0, 1});
    case 0x0B:
      return bytes({id, 1});
    case 0x03:
    case 0x08:
    case 0x09:
    case 0x12:
    case 0x15:
    case 0x1A:
    case 0x1C:
    case 0x1F:
      return bytes({id, 0, 1, 'a'});
    case 0x16:  // authentication data needs an authentication method
      return bytes({0x15, 0, 1, 'm', 0x16, 0, 1, 'a'});
    case 0x26:
      return bytes({id, 0, 1, 'a', 0, 1, 'b'});
    default:  // not a property: give it some bytes anyway
      return bytes({id, 0});
  }
}

bool contains(const Ids& ids, uint8_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

TEST(Properties, AllowedTablePerPacket) {
  for (const Ctx& c : contexts()) {
    for (int id = 0; id < 0x80; ++id) {
      SCOPED_TRACE(std::string(c.name) + " property 0x" + std::to_string(id));
      const Bytes wire = c.build(prop_bytes(uint8_t(id)));
      if (contains(c.allowed, uint8_t(id))) {
        EXPECT_DECODE_OK(wire, Version::V5);
      } else if (id == 0x16 && contains(c.allowed, 0x15)) {
        ADD_FAILURE() << "table mismatch";
      } else {
        // Authentication data comes with a method; a context allowing neither fails on the
        // method first. Either way: invalid identifier = Malformed (2.2.2.2).
        EXPECT_DECODE_ERROR(wire, Version::V5, reason::MalformedPacket);
      }
    }
  }
}

TEST(Properties, Duplicates) {
  for (const Ctx& c : contexts()) {
    for (uint8_t id : c.allowed) {
      SCOPED_TRACE(std::string(c.name) + " property 0x" + std::to_string(id));
      Bytes twice = prop_bytes(id);
      if (id == 0x16) {
        twice = cat({twice, bytes({0x16, 0, 1, 'b'})});
      } else {
        twice = cat({twice, prop_bytes(id)});
      }
      const Bytes wire = c.build(twice);
      if (id == 0x26 || (id == 0x0B && c.multi_sub_id)) {
        EXPECT_DECODE_OK(wire, Version::V5);
      } else {
        EXPECT_DECODE_ERROR(wire, Version::V5, reason::ProtocolError);
      }
    }
  }
}

// Every allowed property set at once survives encode -> decode, per packet type.
TEST(Properties, RoundTripAllAllowed) {
  Connect c;
  c.version = Version::V5;
  c.client_id = "c";
  c.props = props_with({0x11, 0x15, 0x16, 0x17, 0x19, 0x21, 0x22, 0x26, 0x27});
  Will w;
  w.topic = "w";
  w.props = props_with({0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26});
  c.will = w;
  expect_roundtrip(c, Version::V5);

  Connack ca;
  ca.props = props_with({0x11, 0x12, 0x13, 0x15, 0x16, 0x1A, 0x1C, 0x1F, 0x21, 0x22, 0x24, 0x25,
                         0x26, 0x27, 0x28, 0x29, 0x2A});
  expect_roundtrip(ca, Version::V5);

  Publish p;
  p.qos = 2;
  p.packet_id = 77;
  p.topic = "t";
  p.payload = "payload";
  p.props = props_with({0x01, 0x02, 0x03, 0x08, 0x09, 0x0B, 0x23, 0x26});
  p.props.subscription_identifiers = {1, 128, 16384, 2097152, 268435455};
  expect_roundtrip(p, Version::V5);

  for (PacketType t :
       {PacketType::Puback, PacketType::Pubrec, PacketType::Pubrel, PacketType::Pubcomp}) {
    expect_roundtrip(Ack{t, 1, 0, props_with({0x1F, 0x26})}, Version::V5);
  }
  expect_roundtrip(Subscribe{1, props_with({0x0B, 0x26}), {{"a", 1}}}, Version::V5);
  expect_roundtrip(Suback{1, props_with({0x1F, 0x26}), {1}}, Version::V5);
  expect_roundtrip(Unsubscribe{1, props_with({0x26}), {"a"}}, Version::V5);
  expect_roundtrip(Unsuback{1, props_with({0x1F, 0x26}), {0}}, Version::V5);
  expect_roundtrip(Disconnect{0, props_with({0x11, 0x1C, 0x1F, 0x26})}, Version::V5);
  expect_roundtrip(Auth{reason::ContinueAuthentication, props_with({0x15, 0x16, 0x1F, 0x26})},
                   Version::V5);
}

TEST(Properties, EncoderDropsPropertiesNotAllowed) {
  Ack a{PacketType::Puback, 1, 0, props_with({0x1F, 0x23, 0x11})};
  Result r = dec(enc(a, Version::V5), Version::V5);
  ASSERT_EQ(r.status, DecodeStatus::Ok) << r.err.message;
  EXPECT_TRUE(std::get<Ack>(r.packet).props == props_with({0x1F}));

  // SUBSCRIBE carries at most one subscription identifier.
  Subscribe s{1, {}, {{"a", 0}}};
  s.props.subscription_identifiers = {5, 6};
  r = dec(enc(s, Version::V5), Version::V5);
  ASSERT_EQ(r.status, DecodeStatus::Ok) << r.err.message;
  EXPECT_EQ(std::get<Subscribe>(r.packet).props.subscription_identifiers, std::vector<uint32_t>{5});
}

TEST(Properties, OmittedBeforeV5) {
  Publish p;
  p.topic = "t";
  p.props = props_with({0x01, 0x02, 0x26});
  Result r = dec(enc(p, Version::V311), Version::V311);
  ASSERT_EQ(r.status, DecodeStatus::Ok);
  p.props = {};
  EXPECT_TRUE(r.packet == Packet(p));
}

TEST(Properties, ValueChecks) {
  const Builder connect = contexts()[0].build;
  const Builder connack = contexts()[2].build;
  const Builder publish = contexts()[3].build;
  const Builder subscribe = contexts()[8].build;
  // Byte properties that must be 0 or 1.
  EXPECT_DECODE_ERROR(connect(bytes({0x17, 2})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(connect(bytes({0x19, 2})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(connack(bytes({0x24, 2})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(connack(bytes({0x25, 2})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(connack(bytes({0x28, 2})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(connack(bytes({0x29, 2})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(connack(bytes({0x2A, 0xFF})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(publish(bytes({0x01, 2})), Version::V5, reason::ProtocolError);
  // Zero values that are forbidden.
  EXPECT_DECODE_ERROR(connect(bytes({0x21, 0, 0})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(connect(bytes({0x27, 0, 0, 0, 0})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(subscribe(bytes({0x0B, 0})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(publish(bytes({0x0B, 0})), Version::V5, reason::ProtocolError);
  EXPECT_DECODE_ERROR(publish(bytes({0x23, 0, 0})), Version::V5, reason::TopicAliasInvalid);
  // Authentication data without method.
  EXPECT_DECODE_ERROR(connect(bytes({0x16, 0, 1, 'x'})), Version::V5, reason::ProtocolError);
  // Bad UTF-8 in a string property, U+0000 in a user property.
  EXPECT_DECODE_ERROR(connack(bytes({0x1F, 0, 1, 0xFF})), Version::V5, reason::MalformedPacket);
  EXPECT_DECODE_ERROR(publish(bytes({0x26, 0, 1, 'a', 0, 1, 0})), Version::V5,
                      reason::MalformedPacket);
  // Value running past the property section, subscription identifier varint of 5 bytes.
  EXPECT_DECODE_ERROR(connack(bytes({0x11, 0, 0})), Version::V5, reason::MalformedPacket);
  EXPECT_DECODE_ERROR(publish(bytes({0x0B, 0x80, 0x80, 0x80, 0x80, 0x01})), Version::V5,
                      reason::MalformedPacket);
}

TEST(Properties, LengthPastEndOfPacket) {
  // PUBACK v5 whose property length claims more than the packet holds.
  EXPECT_DECODE_ERROR(bytes({0x40, 0x04, 0, 1, 0, 5}), Version::V5, reason::MalformedPacket);
  // Property length varint truncated.
  EXPECT_DECODE_ERROR(bytes({0x40, 0x04, 0, 1, 0, 0x80}), Version::V5, reason::MalformedPacket);
}

}  // namespace
}  // namespace unimq::mqtt::test
