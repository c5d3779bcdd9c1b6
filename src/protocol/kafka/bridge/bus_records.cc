#include "protocol/kafka/bridge/bus_records.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "storage/record_batch.h"

namespace unimq::kafka::bridge {

storage::Status publish_batch(const core::Bus& bus, std::string_view prefix,
                              std::string_view kafka_topic, std::span<const uint8_t> batch) {
  if (prefix.empty() || !bus.has_sinks_besides(core::Origin::Kafka)) return storage::Status::Ok();
  std::vector<storage::Record> records;
  // Produce validated the batch (CRC included) before appending it.
  storage::Status st = storage::decode_batch(batch, records, /*check_crc=*/false);
  if (!st.ok()) return st;
  std::string topic;
  topic.reserve(prefix.size() + kafka_topic.size());
  topic.append(prefix).append(kafka_topic);
  for (storage::Record& r : records) {
    auto m = std::make_shared<core::Message>();
    m->topic = topic;
    if (r.value) m->payload = std::move(*r.value);
    if (r.key) m->key = std::move(*r.key);
    m->timestamp_ms = r.timestamp_ms;
    m->props.user_properties.reserve(r.headers.size());
    for (storage::Header& h : r.headers)
      m->props.user_properties.emplace_back(std::move(h.key), std::move(h.value));
    bus.publish(m, core::Origin::Kafka);
  }
  return st;
}

void BusPublisher::publish(std::string_view kafka_topic, std::span<const uint8_t> batch) const {
  storage::Status st = publish_batch(bus_, prefix_, kafka_topic, batch);
  if (!st.ok())
    spdlog::warn("bridge: records appended to Kafka {} not published to the bus: {}", kafka_topic,
                 st.message);
}

void encode_message(const core::Message& m, int64_t now_ms, std::vector<uint8_t>& out) {
  storage::AppendRecord rec;
  rec.key = std::string_view(m.topic);
  rec.value = m.payload;
  rec.timestamp_ms = m.timestamp_ms > 0 ? m.timestamp_ms : now_ms;
  rec.headers.reserve(m.props.user_properties.size() + 1);
  for (const auto& [k, v] : m.props.user_properties) rec.headers.emplace_back(k, v);
  rec.headers.emplace_back("mqtt.topic", m.topic);
  storage::encode_batch(std::span<const storage::AppendRecord>(&rec, 1), now_ms, out);
}

}  // namespace unimq::kafka::bridge
