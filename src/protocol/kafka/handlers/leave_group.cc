// LeaveGroup (key 13): v0-2 name one member, v3+ a batch (static members by
// instance id).
#include "protocol/kafka/codec/generated/leave_group.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_leave_group(RequestContext& ctx) {
  codec::LeaveGroupRequest req;
  if (!ctx.decode(req)) return;
  std::vector<groups::LeaveMember> members;
  if (ctx.version < 3) {
    members.push_back({req.member_id, std::nullopt});
  } else {
    members.reserve(req.members.size());
    for (auto& m : req.members) members.push_back({m.member_id, m.group_instance_id});
  }
  groups::LeaveResult result = ctx.broker.groups().leave(req.group_id, members);
  codec::LeaveGroupResponse resp;
  if (ctx.version < 3) {
    resp.error_code = result.members.empty() ? int16_t(0) : result.members[0].error;
  } else {
    for (const groups::LeaveMemberResult& m : result.members)
      resp.members.push_back({m.member_id, m.group_instance_id, m.error});
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
