// SaslAuthenticate with PLAIN: "[authzid] NUL user NUL password" checked against
// kafka.sasl_users. A failure answers SASL_AUTHENTICATION_FAILED and closes the connection.
#include <spdlog/spdlog.h>

#include "protocol/kafka/codec/generated/sasl_authenticate.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/handlers/sasl_plain.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/session/kafka_session.h"

namespace unimq::kafka {

void handle_sasl_authenticate(RequestContext& ctx) {
  codec::SaslAuthenticateRequest req;
  if (!ctx.decode(req)) return;
  codec::SaslAuthenticateResponse resp;
  if (!ctx.session.handshake_done || ctx.session.authenticated) {
    resp.error_code = code(ErrorCode::kIllegalSaslState);
    resp.error_message = "SaslHandshake must come first, once";
    ctx.respond.send(resp);
    ctx.respond.close("SASL out of order");
    return;
  }
  std::string user;
  const bool ok = check_sasl_plain(ctx.broker.options().sasl_users, req.auth_bytes, user);
  if (!ok) {
    spdlog::warn("kafka: SASL PLAIN authentication failed for user '{}' from {}", user,
                 ctx.session.peer());
    resp.error_code = code(ErrorCode::kSaslAuthenticationFailed);
    resp.error_message = "Authentication failed: invalid username or password";
    ctx.respond.send(resp);
    ctx.respond.close("authentication failed");
    return;
  }
  ctx.session.authenticated = true;
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
