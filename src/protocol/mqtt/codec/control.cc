// DISCONNECT and AUTH (PINGREQ/PINGRESP have no body and are handled in decoder.cc).
// Both v5 packets share a layout: remaining length 0 = reason 0x00 without properties,
// 1 = reason code only, otherwise reason code + properties.
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

bool valid_disconnect_code(uint8_t c) {
  return is_one_of(
      c, {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
          0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
}

bool valid_auth_code(uint8_t c) {
  return c == reason::Success || c == reason::ContinueAuthentication || c == reason::ReAuthenticate;
}

bool decode_reason_and_props(WireReader& r, PropCtx ctx, bool (*valid)(uint8_t), uint8_t& code,
                             Properties& props) {
  code = reason::Success;
  if (r.at_end()) return true;
  if (!r.u8(code)) return false;
  if (!valid(code)) return r.protocol_error("invalid reason code");
  if (r.at_end()) return true;
  if (!read_properties(r, ctx, props)) return false;
  return r.expect_end();
}

void encode_reason_and_props(PacketType t, uint8_t code, const Properties& props, PropCtx ctx,
                             std::vector<uint8_t>& out) {
  const bool has_props = properties_length(props, ctx) != 0;
  const bool has_reason = code != reason::Success || has_props;
  encode_packet(uint8_t(t) << 4, out, [&](auto& s) {
    if (has_reason) s.u8(code);
    if (has_props) s.props(props, ctx);
  });
}

}  // namespace

bool decode_disconnect(WireReader& r, Version v, Disconnect& out) {
  if (v != Version::V5) return r.expect_end();
  return decode_reason_and_props(r, PropCtx::Disconnect, valid_disconnect_code, out.reason_code,
                                 out.props);
}

bool decode_auth(WireReader& r, Version v, Auth& out) {
  if (v != Version::V5) return r.malformed("AUTH is reserved before MQTT 5");
  return decode_reason_and_props(r, PropCtx::Auth, valid_auth_code, out.reason_code, out.props);
}

void encode_disconnect(const Disconnect& p, Version v, std::vector<uint8_t>& out) {
  if (v != Version::V5) {
    out.push_back(uint8_t(PacketType::Disconnect) << 4);
    out.push_back(0);
    return;
  }
  encode_reason_and_props(PacketType::Disconnect, p.reason_code, p.props, PropCtx::Disconnect, out);
}

void encode_auth(const Auth& p, Version v, std::vector<uint8_t>& out) {
  if (v != Version::V5) return;  // AUTH does not exist before 5.0: nothing to send
  encode_reason_and_props(PacketType::Auth, p.reason_code, p.props, PropCtx::Auth, out);
}

}  // namespace unimq::mqtt
