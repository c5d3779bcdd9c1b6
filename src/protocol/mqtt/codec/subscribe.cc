// SUBSCRIBE.
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

constexpr uint8_t kNoLocal = 0x04;
constexpr uint8_t kRetainAsPublished = 0x08;
constexpr int kRetainHandlingShift = 4;

// Subscription options byte (v5 3.8.3.1; v3: only the QoS bits exist).
bool read_options(WireReader& r, Version v, SubscribeTopic& t) {
  uint8_t o;
  if (!r.u8(o)) return false;
  t.qos = o & 3;
  if (v != Version::V5) {
    if (o & 0xFC) return r.malformed("SUBSCRIBE reserved option bits set");
    return t.qos != 3 || r.malformed("SUBSCRIBE QoS 3");
  }
  if (o & 0xC0) return r.malformed("SUBSCRIBE reserved option bits set");
  t.no_local = o & kNoLocal;
  t.retain_as_published = o & kRetainAsPublished;
  t.retain_handling = (o >> kRetainHandlingShift) & 3;
  if (t.qos == 3) return r.protocol_error("SUBSCRIBE QoS 3");
  if (t.retain_handling == 3) return r.protocol_error("SUBSCRIBE retain handling 3");
  if (t.no_local && t.filter.starts_with("$share/")) {
    return r.protocol_error("no local on a shared subscription");  // MQTT-3.8.3-4
  }
  return true;
}

}  // namespace

bool decode_subscribe(WireReader& r, Version v, Subscribe& out) {
  if (!r.u16(out.packet_id)) return false;
  if (out.packet_id == 0) return r.malformed("packet identifier 0");
  if (v == Version::V5) {
    if (!read_properties(r, PropCtx::Subscribe, out.props)) return false;
  }
  if (r.at_end()) return r.protocol_error("SUBSCRIBE without topic filters");
  while (!r.at_end()) {
    SubscribeTopic& t = out.topics.emplace_back();
    if (!r.utf8(t.filter)) return false;
    if (t.filter.empty()) return r.protocol_error("empty topic filter");
    if (!read_options(r, v, t)) return false;
  }
  return true;
}

void encode_subscribe(const Subscribe& p, Version v, std::vector<uint8_t>& out) {
  const bool v5 = v == Version::V5;
  encode_packet(uint8_t(PacketType::Subscribe) << 4 | 0x02, out, [&](auto& s) {
    s.u16(p.packet_id);
    if (v5) s.props(p.props, PropCtx::Subscribe);
    for (const SubscribeTopic& t : p.topics) {
      s.str(t.filter);
      uint8_t o = std::min<uint8_t>(t.qos, 2);
      if (v5) {
        if (t.no_local) o |= kNoLocal;
        if (t.retain_as_published) o |= kRetainAsPublished;
        o |= std::min<uint8_t>(t.retain_handling, 2) << kRetainHandlingShift;
      }
      s.u8(o);
    }
  });
}

}  // namespace unimq::mqtt
