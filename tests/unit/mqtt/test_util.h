// Helpers shared by the MQTT codec tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/mqtt/codec/decoder.h"
#include "protocol/mqtt/codec/encoder.h"
#include "protocol/mqtt/codec/packet.h"

namespace unimq::mqtt::test {

using Bytes = std::vector<uint8_t>;

inline Bytes bytes(std::initializer_list<int> v) {
  Bytes out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

inline void append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }

// Two-byte length prefixed string.
inline void append_str(Bytes& b, std::string_view s) {
  b.push_back(static_cast<uint8_t>(s.size() >> 8));
  b.push_back(static_cast<uint8_t>(s.size()));
  append(b, s);
}

// Wraps body in a fixed header (single-byte remaining length; body < 128 bytes).
inline Bytes packet(uint8_t first_byte, const Bytes& body) {
  Bytes out{first_byte};
  put_varint(static_cast<uint32_t>(body.size()), out);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

inline Bytes enc(const Packet& p, Version v) {
  Bytes out;
  encode(p, v, out);
  return out;
}

struct Result {
  DecodeStatus status;
  Packet packet;
  size_t consumed = 0;
  DecodeError err;
};

inline Result dec(const Bytes& b, Version v) {
  Result r;
  r.status = decode(b, v, r.packet, r.consumed, r.err);
  return r;
}

// Decode must fail as Malformed with the given reason code.
#define EXPECT_DECODE_ERROR(buf, version, code)                                     \
  do {                                                                              \
    auto r_ = ::unimq::mqtt::test::dec((buf), (version));                           \
    EXPECT_EQ(r_.status, ::unimq::mqtt::DecodeStatus::Malformed) << r_.err.message; \
    EXPECT_EQ(int(r_.err.reason_code), int(code)) << r_.err.message;                \
  } while (0)

#define EXPECT_DECODE_OK(buf, version)                                       \
  do {                                                                       \
    auto r_ = ::unimq::mqtt::test::dec((buf), (version));                    \
    EXPECT_EQ(r_.status, ::unimq::mqtt::DecodeStatus::Ok) << r_.err.message; \
  } while (0)

// Encodes p, decodes the bytes and expects an identical packet using every byte.
inline void expect_roundtrip(const Packet& p, Version v) {
  const Bytes wire = enc(p, v);
  ASSERT_FALSE(wire.empty());
  Result r = dec(wire, v);
  ASSERT_EQ(r.status, DecodeStatus::Ok)
      << packet_type_name(packet_type(p)) << ": " << r.err.message;
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_TRUE(r.packet == p) << packet_type_name(packet_type(p)) << " differs after round trip";
  // Every strict prefix is incomplete, never a packet or a crash.
  for (size_t n = 0; n < wire.size(); ++n) {
    Bytes prefix(wire.begin(), wire.begin() + static_cast<ptrdiff_t>(n));
    Result pr = dec(prefix, v);
    EXPECT_EQ(pr.status, DecodeStatus::NeedMore) << "prefix " << n << " of " << wire.size();
  }
}

// A Properties value with the property of each given identifier set to a distinctive value.
inline Properties props_with(std::initializer_list<uint8_t> ids) {
  Properties p;
  for (uint8_t id : ids) {
    switch (id) {
      case 0x01:
        p.payload_format_indicator = 1;
        break;
      case 0x02:
        p.message_expiry_interval = 0x01020304;
        break;
      case 0x03:
        p.content_type = "text/plain";
        break;
      case 0x08:
        p.response_topic = "reply/to";
        break;
      case 0x09:
        p.correlation_data = std::string("\x00\x01\xff", 3);
        break;
      case 0x0B:
        p.subscription_identifiers.push_back(268435455);
        break;
      case 0x11:
        p.session_expiry_interval = 0xFFFFFFFF;
        break;
      case 0x12:
        p.assigned_client_identifier = "assigned-1";
        break;
      case 0x13:
        p.server_keep_alive = 30;
        break;
      case 0x15:
        p.authentication_method = "SCRAM-SHA-1";
        break;
      case 0x16:
        p.authentication_data = std::string("\x00auth", 5);
        break;
      case 0x17:
        p.request_problem_information = 0;
        break;
      case 0x18:
        p.will_delay_interval = 120;
        break;
      case 0x19:
        p.request_response_information = 1;
        break;
      case 0x1A:
        p.response_information = "resp/info";
        break;
      case 0x1C:
        p.server_reference = "other.example:1883";
        break;
      case 0x1F:
        p.reason_string = "because";
        break;
      case 0x21:
        p.receive_maximum = 65535;
        break;
      case 0x22:
        p.topic_alias_maximum = 10;
        break;
      case 0x23:
        p.topic_alias = 7;
        break;
      case 0x24:
        p.maximum_qos = 1;
        break;
      case 0x25:
        p.retain_available = 0;
        break;
      case 0x26:
        p.user_properties = {{"k", "v"}, {"k", "v2"}, {"", ""}, {"\xc3\xa9", "\xe2\x82\xac"}};
        break;
      case 0x27:
        p.maximum_packet_size = 1048576;
        break;
      case 0x28:
        p.wildcard_subscription_available = 1;
        break;
      case 0x29:
        p.subscription_identifier_available = 0;
        break;
      case 0x2A:
        p.shared_subscription_available = 1;
        break;
      default:
        ADD_FAILURE() << "unknown property id " << int(id);
    }
  }
  return p;
}

}  // namespace unimq::mqtt::test
