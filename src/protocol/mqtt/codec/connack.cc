// CONNACK.
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

bool valid_v5_connack_code(uint8_t c) {
  return is_one_of(c, {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                       0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
}

// Lets handlers use MQTT 5 reason codes for every version; v3 return codes pass through.
uint8_t to_v3_return_code(uint8_t c) {
  if (c <= connack_v3::NotAuthorized) return c;
  switch (c) {
    case reason::UnsupportedProtocolVersion:
      return connack_v3::UnacceptableProtocolVersion;
    case reason::ClientIdentifierNotValid:
      return connack_v3::IdentifierRejected;
    case reason::BadUserNameOrPassword:
    case reason::BadAuthenticationMethod:
      return connack_v3::BadUserNameOrPassword;
    case reason::NotAuthorized:
    case reason::Banned:
      return connack_v3::NotAuthorized;
    default:
      return connack_v3::ServerUnavailable;
  }
}

}  // namespace

bool decode_connack(WireReader& r, Version v, Connack& out) {
  uint8_t flags;
  if (!r.u8(flags) || !r.u8(out.reason_code)) return false;
  if (flags & 0xFE) return r.malformed("CONNACK reserved flags set");
  out.session_present = flags & 1;
  if (v == Version::V5) {
    if (!valid_v5_connack_code(out.reason_code)) {
      return r.protocol_error("invalid CONNACK reason code");
    }
    if (!read_properties(r, PropCtx::Connack, out.props)) return false;
  } else if (out.reason_code > connack_v3::NotAuthorized) {
    return r.protocol_error("invalid CONNACK return code");
  }
  return r.expect_end();
}

void encode_connack(const Connack& c, Version v, std::vector<uint8_t>& out) {
  const bool v5 = v == Version::V5;
  const uint8_t code = v5 ? c.reason_code : to_v3_return_code(c.reason_code);
  encode_packet(uint8_t(PacketType::Connack) << 4, out, [&](auto& s) {
    s.u8(c.session_present ? 1 : 0);
    s.u8(code);
    if (v5) s.props(c.props, PropCtx::Connack);
  });
}

}  // namespace unimq::mqtt
