// SaslHandshake. Only PLAIN. v1: the token then comes in a SaslAuthenticate request; v0:
// the next frame is the bare token (no request header), answered by an empty frame.
#include "protocol/kafka/codec/generated/sasl_handshake.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/session/kafka_session.h"

namespace unimq::kafka {

void handle_sasl_handshake(RequestContext& ctx) {
  codec::SaslHandshakeRequest req;
  if (!ctx.decode(req)) return;
  codec::SaslHandshakeResponse resp;
  const bool enabled = !ctx.broker.options().sasl_users.empty();
  if (enabled) resp.mechanisms = {"PLAIN"};
  if (!enabled || req.mechanism != "PLAIN") {
    resp.error_code = code(ErrorCode::kUnsupportedSaslMechanism);
  } else if (ctx.session.authenticated || ctx.session.handshake_done) {
    resp.error_code = code(ErrorCode::kIllegalSaslState);
  } else {
    ctx.session.handshake_done = true;
    ctx.session.mechanism = req.mechanism;
    ctx.session.raw_sasl_next = ctx.version == 0;  // v0: a raw token frame follows
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
