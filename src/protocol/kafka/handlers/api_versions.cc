// ApiVersions: the answer is the handler table, so it never lists what does not work.
#include "protocol/kafka/codec/generated/api_versions.h"
#include "protocol/kafka/handlers/registry.h"

namespace unimq::kafka {

void handle_api_versions(RequestContext& ctx) {
  codec::ApiVersionsRequest req;
  if (!ctx.decode(req)) return;
  codec::ApiVersionsResponse resp;
  for (const auto& e : handler_table())
    resp.api_keys.push_back({e.api_key, e.min_version, e.max_version});
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
