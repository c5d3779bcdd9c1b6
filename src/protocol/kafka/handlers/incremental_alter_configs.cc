// IncrementalAlterConfigs: SET (0) and DELETE (1) per key; APPEND/SUBTRACT (list configs)
// are not supported (INVALID_CONFIG).
#include "protocol/kafka/codec/generated/incremental_alter_configs.h"
#include "protocol/kafka/handlers/alter_configs_common.h"
#include "protocol/kafka/handlers/registry.h"

namespace unimq::kafka {

void handle_incremental_alter_configs(RequestContext& ctx) {
  codec::IncrementalAlterConfigsRequest req;
  if (!ctx.decode(req)) return;
  codec::IncrementalAlterConfigsResponse resp;
  for (const auto& res : req.resources) {
    std::map<std::string, std::optional<std::string>> changes;
    AlterOutcome o;
    for (const auto& c : res.configs) {
      if (c.config_operation == 0 && c.value)
        changes[c.name] = c.value;
      else if (c.config_operation == 1)
        changes[c.name] = std::nullopt;
      else
        o = {ErrorCode::kInvalidConfig, "unsupported operation on " + c.name};
    }
    if (o.error == ErrorCode::kNone)
      o = alter_topic_configs(ctx.broker, res.resource_type, res.resource_name, changes, false,
                              req.validate_only);
    resp.responses.push_back({code(o.error), o.message, res.resource_type, res.resource_name});
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
