// The AMQP method handlers, one file per class, called by AmqpConnection with decoded methods.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "protocol/amqp/codec/field_table.h"
#include "protocol/amqp/codec/generated/amqp_methods.h"

namespace unimq::amqp {
class AmqpConnection;
struct Channel;
}  // namespace unimq::amqp

namespace unimq::amqp::handlers {

// Connection.Start server-properties (product, version, capabilities).
codec::FieldTable server_properties();

// connection class (channel 0): start-ok, tune-ok, open, close, close-ok (connection.cc).
void dispatch_connection(AmqpConnection& c, codec::Method& m);
// channel class: open, flow, close, close-ok (channel.cc).
void dispatch_channel(AmqpConnection& c, uint16_t channel_id, codec::Method& m);
// exchange, queue, basic, confirm and tx classes on an open channel (dispatch.cc).
void dispatch_channel_method(AmqpConnection& c, Channel& ch, codec::Method& m);

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
