// AlterConfigs: replaces a topic's whole config set (unlisted keys go back to defaults).
#include "protocol/kafka/codec/generated/alter_configs.h"
#include "protocol/kafka/handlers/alter_configs_common.h"
#include "protocol/kafka/handlers/registry.h"

namespace unimq::kafka {

void handle_alter_configs(RequestContext& ctx) {
  codec::AlterConfigsRequest req;
  if (!ctx.decode(req)) return;
  codec::AlterConfigsResponse resp;
  for (const auto& res : req.resources) {
    std::map<std::string, std::optional<std::string>> changes;
    for (const auto& c : res.configs) changes[c.name] = c.value;
    auto o = alter_topic_configs(ctx.broker, res.resource_type, res.resource_name, changes, true,
                                 req.validate_only);
    resp.responses.push_back({code(o.error), o.message, res.resource_type, res.resource_name});
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
