// DescribeCluster: this one node, which is also the controller.
#include "protocol/kafka/codec/generated/describe_cluster.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_describe_cluster(RequestContext& ctx) {
  codec::DescribeClusterRequest req;
  if (!ctx.decode(req)) return;
  const auto& o = ctx.broker.options();
  codec::DescribeClusterResponse resp;
  resp.endpoint_type = req.endpoint_type;
  resp.cluster_id = o.cluster_id;
  resp.controller_id = o.node_id;
  resp.brokers.push_back({o.node_id, advertised_host(ctx), o.port, std::nullopt});
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
