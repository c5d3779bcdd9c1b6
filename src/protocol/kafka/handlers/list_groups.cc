// ListGroups (key 16): every group this coordinator knows, v4+ filtered by
// state.
#include <strings.h>

#include "protocol/kafka/codec/generated/list_groups.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_list_groups(RequestContext& ctx) {
  codec::ListGroupsRequest req;
  if (!ctx.decode(req)) return;
  codec::ListGroupsResponse resp;
  for (const groups::GroupListing& g : ctx.broker.groups().list_groups()) {
    const char* state = groups::state_name(g.state);
    if (!req.states_filter.empty()) {
      bool match = false;
      for (const std::string& s : req.states_filter)
        match = match || strcasecmp(s.c_str(), state) == 0;
      if (!match) continue;
    }
    resp.groups.push_back({g.group_id, g.protocol_type, state, "classic"});
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
