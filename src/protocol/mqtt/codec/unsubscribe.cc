// UNSUBSCRIBE.
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {

bool decode_unsubscribe(WireReader& r, Version v, Unsubscribe& out) {
  if (!r.u16(out.packet_id)) return false;
  if (out.packet_id == 0) return r.malformed("packet identifier 0");
  if (v == Version::V5 && !read_properties(r, PropCtx::Unsubscribe, out.props)) return false;
  if (r.at_end()) return r.protocol_error("UNSUBSCRIBE without topic filters");
  while (!r.at_end()) {
    std::string& f = out.filters.emplace_back();
    if (!r.utf8(f)) return false;
    if (f.empty()) return r.protocol_error("empty topic filter");
  }
  return true;
}

void encode_unsubscribe(const Unsubscribe& p, Version v, std::vector<uint8_t>& out) {
  encode_packet(uint8_t(PacketType::Unsubscribe) << 4 | 0x02, out, [&](auto& s) {
    s.u16(p.packet_id);
    if (v == Version::V5) s.props(p.props, PropCtx::Unsubscribe);
    for (const std::string& f : p.filters) s.str(f);
  });
}

}  // namespace unimq::mqtt
