// confirm class: select (publisher confirms; the acks are sent by basic.cc).
#include "protocol/amqp/codec/generated/confirm.h"
#include "protocol/amqp/handlers/handler_util.h"

namespace unimq::amqp::handlers {

void handle(AmqpConnection& c, Channel& ch, const codec::ConfirmSelect& m) {
  if (ch.tx_mode)
    return c.close_channel(ch, codec::kPreconditionFailed,
                           "PRECONDITION_FAILED - cannot switch from tx to confirm mode",
                           m.kClassId, m.kMethodId);
  ch.confirm_mode = true;
  if (!m.nowait) c.send_method(ch.id, codec::ConfirmSelectOk{});
}

}  // namespace unimq::amqp::handlers
