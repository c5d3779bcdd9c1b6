// Entry points from AmqpConnection for a decoded method: they take the Method variant of every
// class, so only the session and the per-class routers include this (and method_dispatch.h).
#pragma once

#include <cstdint>

#include "protocol/amqp/codec/generated/method_dispatch.h"

namespace unimq::amqp {
class AmqpConnection;
struct Channel;
}  // namespace unimq::amqp

namespace unimq::amqp::handlers {

// connection class (channel 0): start-ok, tune-ok, open, close, close-ok (connection.cc).
void dispatch_connection(AmqpConnection& c, codec::Method& m);
// channel class: open, flow, close, close-ok (channel.cc).
void dispatch_channel(AmqpConnection& c, uint16_t channel_id, codec::Method& m);
// exchange, queue, basic, confirm and tx classes on an open channel (dispatch.cc).
void dispatch_channel_method(AmqpConnection& c, Channel& ch, codec::Method& m);

}  // namespace unimq::amqp::handlers
