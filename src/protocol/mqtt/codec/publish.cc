// PUBLISH: the hot path. Decoding allocates only for the topic (reusing out.topic's
// capacity) and for v5 properties; the payload is a view into the input.
#include <cstring>

#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/encoder.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

uint8_t first_byte(const Publish& p) {
  const uint8_t qos = std::min<uint8_t>(p.qos, 2);
  uint8_t b = uint8_t(PacketType::Publish) << 4 | qos << 1;
  if (p.dup && qos) b |= 0x08;  // DUP must be 0 for QoS 0 (MQTT-3.3.1-2)
  if (p.retain) b |= 0x01;
  return b;
}

template <class S>
void variable_header(const Publish& p, Version v, S& s) {
  s.str(p.topic);
  if (p.qos) s.u16(p.packet_id);
  if (v == Version::V5) s.props(p.props, PropCtx::Publish);
}

}  // namespace

bool check_topic_name(WireReader& r, std::string_view topic, bool allow_empty) {
  if (topic.empty() && !allow_empty) return r.protocol_error("empty topic name");
  // Word-at-a-time scan for '+' / '#' (find_first_of would run memchr once per byte).
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto has_byte = [](uint64_t w, uint8_t c) {
    const uint64_t x = w ^ (kOnes * c);
    return ((x - kOnes) & ~x & kHigh) != 0;
  };
  const char* p = topic.data();
  const char* const end = p + topic.size();
  for (; end - p >= 8; p += 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (has_byte(w, '+') || has_byte(w, '#')) break;
  }
  for (; p < end; ++p) {
    if (*p == '+' || *p == '#') return r.fail(reason::TopicNameInvalid, "wildcard in topic name");
  }
  return true;
}

bool decode_publish(WireReader& r, uint8_t flags, Version v, Publish& out) {
  out.dup = flags & 0x08;
  out.qos = (flags >> 1) & 3;
  out.retain = flags & 0x01;
  std::string_view topic;
  if (!r.utf8_view(topic)) return false;
  out.topic.assign(topic);
  out.packet_id = 0;
  if (out.qos) {
    if (!r.u16(out.packet_id)) return false;
    if (out.packet_id == 0) return r.malformed("packet identifier 0");
  }
  if (v == Version::V5 && !read_properties(r, PropCtx::Publish, out.props)) return false;
  // v5: an empty topic name is allowed only together with a Topic Alias.
  if (!check_topic_name(r, topic, out.props.topic_alias.has_value())) return false;
  out.payload = r.rest();
  return true;
}

void encode_publish(const Publish& p, Version v, std::vector<uint8_t>& out) {
  // Header via resize (zero-filled, then overwritten), payload appended without a memset.
  // No exact reserve(): callers may append many packets to one buffer (keep growth geometric).
  encode_publish_header(p, p.payload.size(), v, out);
  // uint8_t pointers (not char iterators) so that insert becomes a memmove.
  const auto* data = reinterpret_cast<const uint8_t*>(p.payload.data());
  out.insert(out.end(), data, data + p.payload.size());
}

size_t encode_publish_header(const Publish& p, size_t payload_len, Version version,
                             std::vector<uint8_t>& out) {
  return encode_packet(
      first_byte(p), out, [&](auto& s) { variable_header(p, version, s); }, payload_len);
}

size_t publish_wire_size(const Publish& p, size_t payload_len, Version version) {
  SizeSink s;
  variable_header(p, version, s);
  const size_t remaining = s.size() + payload_len;
  return 1 + varint_size(static_cast<uint32_t>(remaining)) + remaining;
}

}  // namespace unimq::mqtt
