// PUBACK, PUBREC, PUBREL, PUBCOMP.
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

bool valid_reason(PacketType t, uint8_t c) {
  if (t == PacketType::Pubrel || t == PacketType::Pubcomp) {
    return c == reason::Success || c == reason::PacketIdentifierNotFound;
  }
  return is_one_of(c, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
}

}  // namespace

bool decode_ack(WireReader& r, PacketType type, Version v, Ack& out) {
  out.type = type;
  if (!r.u16(out.packet_id)) return false;
  if (out.packet_id == 0) return r.malformed("packet identifier 0");
  if (v != Version::V5) return r.expect_end();
  // v5 short forms: remaining length 2 = Success, 3 = no properties.
  if (r.at_end()) return true;
  if (!r.u8(out.reason_code)) return false;
  if (!valid_reason(type, out.reason_code)) return r.protocol_error("invalid reason code");
  if (r.at_end()) return true;
  if (!read_properties(r, PropCtx::Ack, out.props)) return false;
  return r.expect_end();
}

void encode_ack(const Ack& a, Version v, std::vector<uint8_t>& out) {
  PacketType t = a.type;
  if (t < PacketType::Puback || t > PacketType::Pubcomp) t = PacketType::Puback;
  const uint8_t first = uint8_t(uint8_t(t) << 4 | (t == PacketType::Pubrel ? 0x02 : 0));
  const bool v5 = v == Version::V5;
  const bool has_props = v5 && properties_length(a.props, PropCtx::Ack) != 0;
  const bool has_reason = v5 && (a.reason_code != reason::Success || has_props);
  encode_packet(first, out, [&](auto& s) {
    s.u16(a.packet_id);
    if (has_reason) s.u8(a.reason_code);
    if (has_props) s.props(a.props, PropCtx::Ack);
  });
}

}  // namespace unimq::mqtt
