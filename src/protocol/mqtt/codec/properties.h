// MQTT 5 properties (internal to the codec): per-packet allowed tables, decoding with
// duplicate detection, and encoding.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/mqtt/codec/packet.h"

namespace unimq::mqtt {

class WireReader;

// Which property set a packet carries (MQTT 5, 2.2.2.2). PUBACK/PUBREC/PUBREL/PUBCOMP share Ack.
enum class PropCtx : uint8_t {
  Connect,
  Will,
  Connack,
  Publish,
  Ack,
  Subscribe,
  Suback,
  Unsubscribe,
  Unsuback,
  Disconnect,
  Auth,
};

// Bit i set = property identifier i is allowed in ctx.
uint64_t allowed_properties(PropCtx ctx);

// True if no property is set (cheaper than comparing with Properties{}).
bool properties_empty(const Properties& p);

// Reads the property length and the properties into out (which must start empty).
// Unknown/not-allowed identifier: Malformed. Duplicate single-valued property or bad value:
// ProtocolError (Topic Alias 0: TopicAliasInvalid).
bool read_properties(WireReader& r, PropCtx ctx, Properties& out);

// Bytes of the encoded properties of p allowed in ctx, excluding the length prefix.
// Properties not allowed in ctx are silently dropped by the encoder.
size_t properties_length(const Properties& p, PropCtx ctx);

// Writes the property length prefix and properties; returns the new write position.
uint8_t* write_properties(const Properties& p, PropCtx ctx, uint8_t* dst);

}  // namespace unimq::mqtt
