// JoinGroup (key 11): the answer is held until the group's join phase
// completes, then posted back to this connection's loop.
#include <utility>

#include "net/event_loop.h"
#include "protocol/kafka/codec/generated/join_group.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"
#include "protocol/kafka/session/kafka_session.h"

namespace unimq::kafka {
namespace {

// Kafka reports member hosts as "/<ip>".
std::string client_host(const RequestContext& ctx) {
  const std::string& peer = ctx.session.peer();  // "ip:port" or "[v6]:port"
  size_t colon = peer.rfind(':');
  std::string ip = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return "/" + ip;
}

codec::JoinGroupResponse to_wire(const groups::JoinResult& r, int16_t version) {
  codec::JoinGroupResponse resp;
  resp.error_code = r.error;
  resp.generation_id = r.generation_id;
  resp.member_id = r.member_id;
  resp.leader = r.leader;
  if (r.error == groups::err::kNone || version < 7) {
    resp.protocol_type = r.protocol_type;
    resp.protocol_name = r.protocol_name;
  }
  resp.members.reserve(r.members.size());
  for (const groups::JoinMember& m : r.members)
    resp.members.push_back({m.member_id, m.group_instance_id, m.metadata});
  return resp;
}

}  // namespace

void handle_join_group(RequestContext& ctx) {
  codec::JoinGroupRequest req;
  if (!ctx.decode(req)) return;
  groups::JoinRequest j;
  j.group_id = std::move(req.group_id);
  j.member_id = std::move(req.member_id);
  j.group_instance_id = std::move(req.group_instance_id);
  j.client_id = ctx.header.client_id.value_or("");
  j.client_host = client_host(ctx);
  j.session_timeout_ms = req.session_timeout_ms;
  j.rebalance_timeout_ms = req.rebalance_timeout_ms;
  j.protocol_type = std::move(req.protocol_type);
  j.protocols.reserve(req.protocols.size());
  for (auto& p : req.protocols) j.protocols.push_back({std::move(p.name), std::move(p.metadata)});
  j.require_known_member_id = ctx.version >= 4;
  Responder respond = ctx.respond;
  int16_t version = ctx.version;
  ctx.broker.groups().join(j, [respond, version](const groups::JoinResult& r) {
    respond.loop().post([respond, resp = to_wire(r, version)] { respond.send(resp); });
  });
}

}  // namespace unimq::kafka
