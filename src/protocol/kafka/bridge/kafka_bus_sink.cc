#include "protocol/kafka/bridge/kafka_bus_sink.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <vector>

#include "core/clock.h"
#include "protocol/kafka/bridge/bus_records.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::kafka::bridge {

void KafkaBusSink::on_bus_message(const core::MessagePtr& m, core::Origin origin) {
  if (origin == core::Origin::Kafka) return;
  const std::string* topic = mapping_.kafka_topic_for(m->topic);
  if (!topic) return;
  std::optional<meta::TopicInfo> info = broker_.topic_for_use(*topic, true);
  if (!info || info->partitions == 0) {
    spdlog::warn("bridge: Kafka topic {} for bus topic {} is unavailable", *topic, m->topic);
    return;
  }
  int32_t partition = partition_for_key(m->topic, int32_t(info->partitions));
  std::shared_ptr<PartitionLog> log = broker_.partition(*topic, partition);
  if (!log) return;
  auto batch = std::make_shared<std::vector<uint8_t>>();
  encode_message(*m, core::wall_ms(), *batch);
  log->produce(*batch, [batch, t = *topic, partition](const ProduceOutcome& out) {
    if (out.error != ErrorCode::kNone)
      spdlog::warn("bridge: appending to Kafka {}-{} failed (error {})", t, partition,
                   code(out.error));
  });
}

}  // namespace unimq::kafka::bridge
