// The AMQP method handlers, one file per class, called by AmqpConnection; the entry points
// taking a decoded method are in dispatch.h.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "protocol/amqp/codec/field_table.h"

namespace unimq::amqp {
class AmqpConnection;
struct Channel;
}  // namespace unimq::amqp

namespace unimq::amqp::handlers {

// Connection.Start server-properties (product, version, capabilities).
codec::FieldTable server_properties();

// A basic.publish with its header and body is complete on `ch` (basic.cc).
void publish_complete(AmqpConnection& c, Channel& ch);
// Sends the publisher-confirm acks collected on `ch` during this loop turn (basic.cc).
void emit_confirms(AmqpConnection& c, Channel& ch);
// The channel is closing or closed: release its consumers and unacked deliveries.
void channel_closed(AmqpConnection& c, Channel& ch);
// The output queue drained: consumers paused by congestion resume (consume.cc).
void connection_drained(AmqpConnection& c);
// The socket is gone.
void connection_closed(AmqpConnection& c);

// Authentication (auth.cc): the user for a PLAIN ("\0user\0pass") or AMQPLAIN (LOGIN and
// PASSWORD table without its length) response, or empty when refused.
std::string authenticate(const std::string& mechanism, const std::string& response,
                         const std::unordered_map<std::string, std::string>& users);

}  // namespace unimq::amqp::handlers
