// Fixed header parsing and dispatch to the per-packet decoders.
#include "protocol/mqtt/codec/decoder.h"

#include "protocol/mqtt/codec/codec_internal.h"
#include "protocol/mqtt/codec/properties.h"

namespace unimq::mqtt {
namespace {

DecodeStatus malformed(DecodeError& err, const char* message) {
  err.reason_code = reason::MalformedPacket;
  err.message = message;
  return DecodeStatus::Malformed;
}

// MQTT 5 2.1.3 / 3.1.1 2.2.2: fixed flags per type; PUBLISH carries DUP/QoS/RETAIN.
bool valid_flags(uint8_t type, uint8_t flags) {
  switch (static_cast<PacketType>(type)) {
    case PacketType::Publish: {
      const uint8_t qos = (flags >> 1) & 3;
      if (qos == 3) return false;              // MQTT-3.3.1-4
      return qos != 0 || (flags & 0x08) == 0;  // DUP must be 0 for QoS 0 (MQTT-3.3.1-2)
    }
    case PacketType::Pubrel:
    case PacketType::Subscribe:
    case PacketType::Unsubscribe:
      return flags == 0x02;
    default:
      return flags == 0;
  }
}

// Reuses out's alternative if it already holds T (keeps e.g. the topic string's capacity).
// Clears props without building a ~500-byte temporary when it is already empty (hot path).
void clear(Properties& props) {
  if (!properties_empty(props)) props = Properties{};
}

template <class T>
T& reset_as(Packet& out) {
  if (T* p = std::get_if<T>(&out)) {
    *p = T{};
    return *p;
  }
  return out.emplace<T>();
}

bool dispatch(const FixedHeader& h, WireReader& r, Version v, Packet& out) {
  switch (h.type) {
    case PacketType::Connect:
      return decode_connect(r, reset_as<Connect>(out));
    case PacketType::Connack:
      return decode_connack(r, v, reset_as<Connack>(out));
    case PacketType::Publish: {
      // Reuse a previous Publish in place: keeps the topic's buffer; decode_publish sets
      // every other field.
      Publish* p = std::get_if<Publish>(&out);
      if (p) {
        clear(p->props);
      } else {
        p = &out.emplace<Publish>();
      }
      return decode_publish(r, h.flags, v, *p);
    }
    case PacketType::Puback:
    case PacketType::Pubrec:
    case PacketType::Pubrel:
    case PacketType::Pubcomp: {
      Ack* a = std::get_if<Ack>(&out);
      if (a) {
        a->reason_code = reason::Success;
        clear(a->props);
      } else {
        a = &out.emplace<Ack>();
      }
      return decode_ack(r, h.type, v, *a);
    }
    case PacketType::Subscribe:
      return decode_subscribe(r, v, reset_as<Subscribe>(out));
    case PacketType::Suback:
      return decode_suback(r, v, reset_as<Suback>(out));
    case PacketType::Unsubscribe:
      return decode_unsubscribe(r, v, reset_as<Unsubscribe>(out));
    case PacketType::Unsuback:
      return decode_unsuback(r, v, reset_as<Unsuback>(out));
    case PacketType::Pingreq:
      reset_as<Pingreq>(out);
      return r.expect_end();
    case PacketType::Pingresp:
      reset_as<Pingresp>(out);
      return r.expect_end();
    case PacketType::Disconnect:
      return decode_disconnect(r, v, reset_as<Disconnect>(out));
    case PacketType::Auth:
      return decode_auth(r, v, reset_as<Auth>(out));
  }
  return r.malformed("reserved packet type");
}

}  // namespace

DecodeStatus decode_fixed_header(std::span<const uint8_t> buf, FixedHeader& out, DecodeError& err) {
  if (buf.empty()) return DecodeStatus::NeedMore;
  const uint8_t type = buf[0] >> 4;
  const uint8_t flags = buf[0] & 0x0F;
  if (type == 0) return malformed(err, "reserved packet type 0");
  if (!valid_flags(type, flags)) return malformed(err, "invalid fixed header flags");
  uint32_t len = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (1 + i >= buf.size()) return DecodeStatus::NeedMore;
    const uint8_t b = buf[1 + i];
    len |= uint32_t(b & 0x7F) << (7 * i);
    if (!(b & 0x80)) {
      out.type = static_cast<PacketType>(type);
      out.flags = flags;
      out.remaining_length = len;
      out.header_length = static_cast<uint8_t>(2 + i);
      return DecodeStatus::Ok;
    }
  }
  return malformed(err, "remaining length longer than 4 bytes");
}

DecodeStatus decode_packet(const FixedHeader& h, std::span<const uint8_t> body, Version version,
                           Packet& out, DecodeError& err) {
  if (body.size() != h.remaining_length) {
    return malformed(err, "body size does not match the remaining length");
  }
  try {
    WireReader r(body.data(), body.size(), err);
    return dispatch(h, r, version, out) ? DecodeStatus::Ok : DecodeStatus::Malformed;
  } catch (...) {  // only std::bad_alloc is possible; never let it escape
    err.reason_code = reason::ImplementationSpecificError;
    err.message.clear();
    return DecodeStatus::Malformed;
  }
}

DecodeStatus decode(std::span<const uint8_t> buf, Version version, Packet& out, size_t& consumed,
                    DecodeError& err) {
  FixedHeader h;
  const DecodeStatus st = decode_fixed_header(buf, h, err);
  if (st != DecodeStatus::Ok) return st;
  if (buf.size() < h.total_length()) return DecodeStatus::NeedMore;
  const DecodeStatus body_st =
      decode_packet(h, buf.subspan(h.header_length, h.remaining_length), version, out, err);
  if (body_st == DecodeStatus::Ok) consumed = h.total_length();
  return body_st;
}

}  // namespace unimq::mqtt
