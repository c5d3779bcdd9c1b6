// Heartbeat (key 12): answered at once (REBALANCE_IN_PROGRESS tells members to
// rejoin).
#include "protocol/kafka/codec/generated/heartbeat.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_heartbeat(RequestContext& ctx) {
  codec::HeartbeatRequest req;
  if (!ctx.decode(req)) return;
  codec::HeartbeatResponse resp;
  resp.error_code = ctx.broker.groups().heartbeat(
      {req.group_id, req.generation_id, req.member_id, req.group_instance_id});
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
