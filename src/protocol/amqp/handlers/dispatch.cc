// Routes exchange, queue, basic, confirm and tx methods to their handlers; methods a client
// may not send (server-to-client ones, access.request aside) are 503 COMMAND_INVALID.
#include "protocol/amqp/handlers/dispatch.h"
#include "protocol/amqp/broker/virtual_host.h"
#include "protocol/amqp/handlers/handler_util.h"
#include "protocol/amqp/handlers/handlers.h"

namespace unimq::amqp::handlers {

namespace {
template <typename M>
concept Handled = requires(AmqpConnection& c, Channel& ch, const M& m) {
  handle(c, ch, m);
};
}  // namespace

void dispatch_channel_method(AmqpConnection& c, Channel& ch, codec::Method& m) {
  if (auto* req = std::get_if<codec::AccessRequest>(&m)) {
    (void)req;  // deprecated but still sent by old clients: always granted
    codec::AccessRequestOk ok;
    ok.ticket = 1;
    return c.send_method(ch.id, ok);
  }
  std::visit(
      [&](const auto& x) {
        using M = std::decay_t<decltype(x)>;
        if constexpr (Handled<M>) {
          if (!c.virtual_host())
            return c.close_connection(codec::kInternalError, "INTERNAL_ERROR - no broker model",
                                      M::kClassId, M::kMethodId);
          handle(c, ch, x);
        } else {
          c.close_connection(codec::kCommandInvalid,
                             std::string("COMMAND_INVALID - unexpected method ") + M::kName,
                             M::kClassId, M::kMethodId);
        }
      },
      m);
}

ArgTable to_arg_table(const codec::FieldTable& t) {
  std::vector<uint8_t> bytes;
  codec::Writer w(bytes);
  codec::write_table(w, t);
  std::string_view in(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  ArgTable out;
  decode_table(in, out);
  return out;
}

void fail(AmqpConnection& c, Channel& ch, const Result& r, uint16_t class_id, uint16_t method_id) {
  switch (r.code) {
    case codec::kAccessRefused:
    case codec::kNotFound:
    case codec::kResourceLocked:
    case codec::kPreconditionFailed:
    case codec::kContentTooLarge:
    case codec::kNoRoute:
    case codec::kNoConsumers:
      return c.close_channel(ch, r.code, r.text, class_id, method_id);
    default:
      return c.close_connection(r.code, r.text, class_id, method_id);
  }
}

const std::string& queue_name(const Channel& ch, const std::string& given) {
  return given.empty() ? ch.last_queue : given;
}

}  // namespace unimq::amqp::handlers
