// DeleteGroups (key 42): empty groups and their committed offsets;
// NON_EMPTY_GROUP otherwise.
#include "protocol/kafka/codec/generated/delete_groups.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_delete_groups(RequestContext& ctx) {
  codec::DeleteGroupsRequest req;
  if (!ctx.decode(req)) return;
  codec::DeleteGroupsResponse resp;
  for (const groups::DeleteGroupResult& r : ctx.broker.groups().delete_groups(req.groups_names))
    resp.results.push_back({r.group_id, r.error});
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
