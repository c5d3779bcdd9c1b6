// channel class: open, flow, close, close-ok.
#include "protocol/amqp/handlers/dispatch.h"
#include "protocol/amqp/handlers/handlers.h"
#include "protocol/amqp/session/amqp_connection.h"

namespace unimq::amqp::handlers {

void dispatch_channel(AmqpConnection& c, uint16_t id, codec::Method& m) {
  Channel* ch = c.channel(id);
  if (std::holds_alternative<codec::ChannelOpen>(m)) {
    if (ch)
      return c.close_connection(codec::kChannelError, "CHANNEL_ERROR - second 'channel.open' seen",
                                codec::kClassChannel, codec::ChannelOpen::kMethodId);
    if (!c.open_channel(id))
      return c.close_connection(codec::kNotAllowed,
                                "NOT_ALLOWED - channel " + std::to_string(id) +
                                    " above channel_max " + std::to_string(c.channel_max()),
                                codec::kClassChannel, codec::ChannelOpen::kMethodId);
    return c.send_method(id, codec::ChannelOpenOk{});
  }
  if (!ch)
    return c.close_connection(
        codec::kChannelError,
        "CHANNEL_ERROR - expected 'channel.open' on channel " + std::to_string(id),
        codec::method_class_id(m), codec::method_id(m));
  if (std::holds_alternative<codec::ChannelClose>(m)) {
    // Also the answer when both sides close at once: we reply close-ok and forget it.
    if (ch->state != Channel::State::Closing) channel_closed(c, *ch);
    c.remove_channel(id);
    return c.send_method(id, codec::ChannelCloseOk{});
  }
  if (std::holds_alternative<codec::ChannelCloseOk>(m)) {
    if (ch->state == Channel::State::Closing) return c.remove_channel(id);
    return c.close_connection(codec::kChannelError, "CHANNEL_ERROR - unexpected channel.close-ok",
                              codec::kClassChannel, codec::ChannelCloseOk::kMethodId);
  }
  if (ch->state == Channel::State::Closing) return;
  if (auto* flow = std::get_if<codec::ChannelFlow>(&m)) {
    ch->flow_active = flow->active;
    codec::ChannelFlowOk ok;
    ok.active = flow->active;
    return c.send_method(id, ok);
  }
  if (std::holds_alternative<codec::ChannelFlowOk>(m)) return;  // answer to a server flow
  c.close_connection(codec::kCommandInvalid, "COMMAND_INVALID - unexpected channel method",
                     codec::method_class_id(m), codec::method_id(m));
}

}  // namespace unimq::amqp::handlers
