// CONNECT (MQTT 3.1 "MQIsdp"/3, 3.1.1 "MQTT"/4, 5.0 "MQTT"/5).
#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"
#include "protocol/mqtt/codec/wire_writer.h"

namespace unimq::mqtt {
namespace {

constexpr uint8_t kReserved = 0x01;
constexpr uint8_t kCleanStart = 0x02;
constexpr uint8_t kWill = 0x04;
constexpr uint8_t kWillQosShift = 3;
constexpr uint8_t kWillRetain = 0x20;
constexpr uint8_t kPassword = 0x40;
constexpr uint8_t kUsername = 0x80;

std::string_view protocol_name_for(Version v) { return v == Version::V31 ? "MQIsdp" : "MQTT"; }

}  // namespace

bool decode_connect(WireReader& r, Connect& out) {
  std::string_view name;
  uint8_t level, flags;
  if (!r.utf8_view(name) || !r.u8(level)) return false;
  if (level < 3 || level > 5) {
    return r.fail(reason::UnsupportedProtocolVersion, "unsupported protocol level");
  }
  const auto v = static_cast<Version>(level);
  if (name != protocol_name_for(v)) {
    return r.fail(reason::UnsupportedProtocolVersion, "protocol name does not match level");
  }
  out.protocol_name.assign(name);
  out.version = v;
  if (!r.u8(flags) || !r.u16(out.keep_alive)) return false;
  if (flags & kReserved) return r.malformed("CONNECT reserved flag set");
  const bool has_will = flags & kWill;
  const uint8_t will_qos = (flags >> kWillQosShift) & 3;
  if (will_qos == 3) return r.malformed("will QoS 3");
  if (!has_will && (will_qos != 0 || (flags & kWillRetain))) {
    return r.malformed("will QoS/retain set without will flag");
  }
  // Only 5.0 allows a password without a user name (MQTT-3.1.2-22 in 3.1.1).
  if (v != Version::V5 && (flags & kPassword) && !(flags & kUsername)) {
    return r.malformed("password flag set without user name flag");
  }
  out.clean_start = flags & kCleanStart;
  if (v == Version::V5 && !read_properties(r, PropCtx::Connect, out.props)) return false;
  if (!r.utf8(out.client_id)) return false;
  if (has_will) {
    Will& w = out.will.emplace();
    w.qos = will_qos;
    w.retain = flags & kWillRetain;
    if (v == Version::V5 && !read_properties(r, PropCtx::Will, w.props)) return false;
    if (!r.utf8(w.topic) || !check_topic_name(r, w.topic, false)) return false;
    if (!r.binary(w.payload)) return false;
  }
  if ((flags & kUsername) && !r.utf8(out.username.emplace())) return false;
  if ((flags & kPassword) && !r.binary(out.password.emplace())) return false;
  return r.expect_end();
}

// The protocol name is derived from c.version ("MQIsdp" for 3.1, else "MQTT").
void encode_connect(const Connect& c, std::vector<uint8_t>& out) {
  const Version v = c.version;
  const bool v5 = v == Version::V5;
  uint8_t flags = 0;
  if (c.clean_start) flags |= kCleanStart;
  if (c.will) {
    flags |= kWill | static_cast<uint8_t>(std::min<uint8_t>(c.will->qos, 2) << kWillQosShift);
    if (c.will->retain) flags |= kWillRetain;
  }
  if (c.username) flags |= kUsername;
  if (c.password) flags |= kPassword;
  encode_packet(uint8_t(PacketType::Connect) << 4, out, [&](auto& s) {
    s.str(protocol_name_for(v));
    s.u8(static_cast<uint8_t>(v));
    s.u8(flags);
    s.u16(c.keep_alive);
    if (v5) s.props(c.props, PropCtx::Connect);
    s.str(c.client_id);
    if (c.will) {
      if (v5) s.props(c.will->props, PropCtx::Will);
      s.str(c.will->topic);
      s.str(c.will->payload);
    }
    if (c.username) s.str(*c.username);
    if (c.password) s.str(*c.password);
  });
}

}  // namespace unimq::mqtt
