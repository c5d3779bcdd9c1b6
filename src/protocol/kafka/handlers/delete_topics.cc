// DeleteTopics: removes the topic's streams (and files) and its metadata.
#include "protocol/kafka/codec/generated/delete_topics.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka {

void handle_delete_topics(RequestContext& ctx) {
  codec::DeleteTopicsRequest req;
  if (!ctx.decode(req)) return;
  std::vector<codec::DeleteTopicsRequest::DeleteTopicState> targets = req.topics;
  for (const auto& n : req.topic_names) targets.push_back({n, {}});
  codec::DeleteTopicsResponse resp;
  for (const auto& t : targets) {
    auto& r = resp.responses.emplace_back();
    r.topic_id = t.topic_id;
    std::optional<std::string> name = t.name;
    if (!name && !t.topic_id.is_zero()) {
      std::array<uint8_t, 16> id;
      std::copy(t.topic_id.bytes.begin(), t.topic_id.bytes.end(), id.begin());
      if (auto info = ctx.broker.catalog().find_by_id(id)) name = info->name;
    }
    r.name = name ? name : std::optional<std::string>(std::string());
    if (!name) {
      r.error_code = code(ErrorCode::kUnknownTopicId);
      continue;
    }
    if (auto info = ctx.broker.catalog().find(*name))
      std::copy(info->id.begin(), info->id.end(), r.topic_id.bytes.begin());
    r.error_code = code(ctx.broker.delete_topic(*name));
  }
  ctx.respond.send(resp);
}

}  // namespace unimq::kafka
