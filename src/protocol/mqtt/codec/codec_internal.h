// Per-packet decoders and encoders (internal to the codec), dispatched from decoder.cc and
// encoder.cc. Decoders get a reader spanning exactly the packet body; on failure the
// reader's DecodeError is set. Encoders append the whole packet, fixed header included.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/mqtt/codec/packet.h"
#include "protocol/mqtt/codec/wire_reader.h"

namespace unimq::mqtt {

bool decode_connect(WireReader& r, Connect& out);
bool decode_connack(WireReader& r, Version v, Connack& out);
bool decode_publish(WireReader& r, uint8_t flags, Version v, Publish& out);
bool decode_ack(WireReader& r, PacketType type, Version v, Ack& out);
bool decode_subscribe(WireReader& r, Version v, Subscribe& out);
bool decode_suback(WireReader& r, Version v, Suback& out);
bool decode_unsubscribe(WireReader& r, Version v, Unsubscribe& out);
bool decode_unsuback(WireReader& r, Version v, Unsuback& out);
bool decode_disconnect(WireReader& r, Version v, Disconnect& out);
bool decode_auth(WireReader& r, Version v, Auth& out);

void encode_connect(const Connect& p, std::vector<uint8_t>& out);
void encode_connack(const Connack& p, Version v, std::vector<uint8_t>& out);
void encode_ack(const Ack& p, Version v, std::vector<uint8_t>& out);
void encode_subscribe(const Subscribe& p, Version v, std::vector<uint8_t>& out);
void encode_suback(const Suback& p, Version v, std::vector<uint8_t>& out);
void encode_unsubscribe(const Unsubscribe& p, Version v, std::vector<uint8_t>& out);
void encode_unsuback(const Unsuback& p, Version v, std::vector<uint8_t>& out);
void encode_disconnect(const Disconnect& p, Version v, std::vector<uint8_t>& out);
void encode_auth(const Auth& p, Version v, std::vector<uint8_t>& out);
void encode_publish(const Publish& p, Version v, std::vector<uint8_t>& out);

// Shared validation helpers.
// PUBLISH / Will topic: non-empty unless allow_empty, no wildcards.
bool check_topic_name(WireReader& r, std::string_view topic, bool allow_empty);
bool is_one_of(uint8_t code, std::initializer_list<uint8_t> codes);

}  // namespace unimq::mqtt
