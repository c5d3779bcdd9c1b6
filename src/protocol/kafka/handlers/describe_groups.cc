// DescribeGroups (key 15): state, protocol and members (metadata/assignment
// when Stable).
#include "protocol/kafka/codec/generated/describe_groups.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_describe_groups(RequestContext& ctx) {
  codec::DescribeGroupsRequest req;
  if (!ctx.decode(req)) return;
  codec::DescribeGroupsResponse resp;
  for (const std::string& id : req.groups) {
    groups::GroupDescription d = ctx.broker.groups().describe(id);
    auto& g = resp.groups.emplace_back();
    g.error_code = d.error;
    g.group_id = d.group_id;
    g.group_state = groups::state_name(d.state);
    g.protocol_type = d.protocol_type;
    g.protocol_data = d.protocol_name;
    for (groups::DescribedMember& m : d.members)
      g.members.push_back({std::move(m.member_id), std::move(m.group_instance_id),
                           std::move(m.client_id), std::move(m.client_host), std::move(m.metadata),
                           std::move(m.assignment)});
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
