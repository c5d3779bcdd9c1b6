// SyncGroup (key 14): followers wait for the leader's assignment; answered on
// this loop.
#include <utility>

#include "net/event_loop.h"
#include "protocol/kafka/codec/generated/sync_group.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_sync_group(RequestContext& ctx) {
  codec::SyncGroupRequest req;
  if (!ctx.decode(req)) return;
  groups::SyncRequest s;
  s.group_id = std::move(req.group_id);
  s.generation_id = req.generation_id;
  s.member_id = std::move(req.member_id);
  s.group_instance_id = std::move(req.group_instance_id);
  s.protocol_type = std::move(req.protocol_type);
  s.protocol_name = std::move(req.protocol_name);
  s.assignments.reserve(req.assignments.size());
  for (auto& a : req.assignments)
    s.assignments.push_back({std::move(a.member_id), std::move(a.assignment)});
  Responder respond = ctx.respond;
  ctx.broker.groups().sync(s, [respond](const groups::SyncResult& r) {
    codec::SyncGroupResponse resp;
    resp.error_code = r.error;
    if (r.error == groups::err::kNone) {
      resp.protocol_type = r.protocol_type;
      resp.protocol_name = r.protocol_name;
    }
    resp.assignment = r.assignment;
    respond.loop().post([respond, resp = std::move(resp)] { respond.send(resp); });
  });
}

}  // namespace unimq::kafka
