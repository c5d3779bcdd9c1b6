// SUBACK.
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

bool valid_code(Version v, uint8_t c) {
  if (v != Version::V5) return c <= 2 || c == 0x80;
  return is_one_of(c, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
}

}  // namespace

bool decode_suback(WireReader& r, Version v, Suback& out) {
  if (!r.u16(out.packet_id)) return false;
  if (out.packet_id == 0) return r.malformed("packet identifier 0");
  if (v == Version::V5 && !read_properties(r, PropCtx::Suback, out.props)) return false;
  if (r.at_end()) return r.protocol_error("SUBACK without reason codes");
  while (!r.at_end()) {
    uint8_t c;
    r.u8(c);
    if (!valid_code(v, c)) return r.protocol_error("invalid SUBACK reason code");
    out.reason_codes.push_back(c);
  }
  return true;
}

void encode_suback(const Suback& p, Version v, std::vector<uint8_t>& out) {
  const bool v5 = v == Version::V5;
  encode_packet(uint8_t(PacketType::Suback) << 4, out, [&](auto& s) {
    s.u16(p.packet_id);
    if (v5) s.props(p.props, PropCtx::Suback);
    for (uint8_t c : p.reason_codes) {
      // v3 knows only granted QoS 0..2 and 0x80 (failure).
      s.u8(v5 || c <= reason::GrantedQoS2 ? c : reason::UnspecifiedError);
    }
  });
}

}  // namespace unimq::mqtt
