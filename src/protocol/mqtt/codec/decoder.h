// MQTT decoder: bytes -> Packet. Three outcomes, never merged: need more bytes, a packet, malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocol/mqtt/codec/packet.h"

namespace unimq::mqtt {

enum class DecodeStatus { NeedMore, Ok, Malformed };

struct FixedHeader {
  PacketType type = PacketType::Connect;
  uint8_t flags = 0;              // low nibble of the first byte
  uint32_t remaining_length = 0;  // length of variable header + payload
  uint8_t header_length = 0;      // bytes taken by the fixed header (2..5)
  size_t total_length() const { return header_length + size_t(remaining_length); }
};

struct DecodeError {
  uint8_t reason_code = reason::MalformedPacket;  // MalformedPacket, ProtocolError, ...
  std::string message;                            // human-readable, for logs / reason string
};

// Parses the fixed header at the start of buf. NeedMore if buf is too short to hold it,
// Malformed if the packet type is 0 or the remaining length varint is longer than 4 bytes,
// or the flags are wrong for the packet type (MQTT-2.2.2-2; PUBLISH qos 3 is malformed).
DecodeStatus decode_fixed_header(std::span<const uint8_t> buf, FixedHeader& out,
                                 DecodeError& err);

// Decodes one complete packet whose fixed header is h and whose body (exactly
// h.remaining_length bytes) is body. version is the session's negotiated protocol level
// (ignored for CONNECT, which carries its own). Publish::payload views into body.
// Returns Ok or Malformed (never NeedMore). Validates: string lengths, UTF-8 well-formedness
// (no U+0000, no surrogates), property identifiers allowed for this packet type, no
// duplicated single-valued properties, reserved bits, qos values, non-empty SUBSCRIBE and
// UNSUBSCRIBE lists, packet identifier != 0 where one is required, trailing garbage.
// Also rejected: unsupported protocol name/level in CONNECT (UnsupportedProtocolVersion),
// wildcards in a PUBLISH or will topic (TopicNameInvalid), an empty topic name without a v5
// Topic Alias (ProtocolError), Topic Alias 0 (TopicAliasInvalid), reason codes the packet
// type does not define (ProtocolError), AUTH before 5.0 and DUP set on a QoS 0 PUBLISH.
// Topic filter syntax (wildcard placement) is left to the caller (per-filter SUBACK code).
DecodeStatus decode_packet(const FixedHeader& h, std::span<const uint8_t> body, Version version,
                           Packet& out, DecodeError& err);

// Convenience: decode one packet from the front of buf. On Ok, consumed = bytes used.
DecodeStatus decode(std::span<const uint8_t> buf, Version version, Packet& out, size_t& consumed,
                    DecodeError& err);

// True if s is well-formed UTF-8 as MQTT requires (no U+0000, no UTF-16 surrogates).
bool valid_mqtt_utf8(std::string_view s);

}  // namespace unimq::mqtt
