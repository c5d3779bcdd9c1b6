// UNSUBACK (v3: packet identifier only; v5: properties and one reason code per filter).
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {

bool decode_unsuback(WireReader& r, Version v, Unsuback& out) {
  if (!r.u16(out.packet_id)) return false;
  if (out.packet_id == 0) return r.malformed("packet identifier 0");
  if (v != Version::V5) return r.expect_end();
  if (!read_properties(r, PropCtx::Unsuback, out.props)) return false;
  if (r.at_end()) return r.protocol_error("UNSUBACK without reason codes");
  while (!r.at_end()) {
    uint8_t c;
    r.u8(c);
    if (!is_one_of(c, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91})) {
      return r.protocol_error("invalid UNSUBACK reason code");
    }
    out.reason_codes.push_back(c);
  }
  return true;
}

void encode_unsuback(const Unsuback& p, Version v, std::vector<uint8_t>& out) {
  const bool v5 = v == Version::V5;
  encode_packet(uint8_t(PacketType::Unsuback) << 4, out, [&](auto& s) {
    s.u16(p.packet_id);
    if (!v5) return;
    s.props(p.props, PropCtx::Unsuback);
    for (uint8_t c : p.reason_codes) s.u8(c);
  });
}

}  // namespace unimq::mqtt
