// MQTT encoder: Packet -> bytes, appended to an output vector (no I/O).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/mqtt/codec/packet.h"

namespace unimq::mqtt {

// Appends the complete wire encoding of p for protocol level `version` to out.
// v3 encodings omit properties and reason codes that do not exist before 5.0; a v3 CONNACK
// maps MQTT 5 reason codes to 3.1.1 return codes, a v3 SUBACK maps every failure to 0x80,
// and AUTH appends nothing before 5.0. CONNECT is encoded at its own c.version (with the
// matching protocol name, "MQIsdp" for 3.1), whatever `version` says. Properties not allowed
// in the packet type are dropped; strings longer than 65535 bytes are truncated.
void encode(const Packet& p, Version version, std::vector<uint8_t>& out);

// Hot-path overloads: same bytes as encode(Packet(p), ...) without copying p into a Packet.
void encode(const Publish& p, Version version, std::vector<uint8_t>& out);
void encode(const Ack& p, Version version, std::vector<uint8_t>& out);

// Zero-copy PUBLISH: appends the fixed header, topic, packet id and properties of p,
// sized for a payload of payload_len bytes that the caller writes right after
// (p.payload is ignored). Returns the number of bytes appended.
size_t encode_publish_header(const Publish& p, size_t payload_len, Version version,
                             std::vector<uint8_t>& out);

// Size in bytes of the full PUBLISH packet (header + payload) as encode would write it.
size_t publish_wire_size(const Publish& p, size_t payload_len, Version version);

// Appends a variable byte integer (1..4 bytes). value must be < 268435456.
void put_varint(uint32_t value, std::vector<uint8_t>& out);

}  // namespace unimq::mqtt
