// FindCoordinator (key 10): this node coordinates every group (and transaction
// id). v4 asks for a batch of keys.
#include "protocol/kafka/codec/generated/find_coordinator.h"
#include "protocol/kafka/groups/group_handlers.h"
#include "protocol/kafka/handlers/handler.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_find_coordinator(RequestContext& ctx) {
  codec::FindCoordinatorRequest req;
  if (!ctx.decode(req)) return;
  const int32_t node = ctx.broker.options().node_id;
  const std::string host = advertised_host(ctx);
  const int32_t port = ctx.broker.options().port;
  codec::FindCoordinatorResponse resp;
  if (ctx.version >= 4) {
    for (const std::string& key : req.coordinator_keys)
      resp.coordinators.push_back({key, node, host, port, 0, std::nullopt});
  } else {
    resp.node_id = node;
    resp.host = host;
    resp.port = port;
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
