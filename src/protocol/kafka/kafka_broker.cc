#include "protocol/kafka/kafka_broker.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "net/blocking_pool.h"
#include "net/event_loop.h"
#include "protocol/kafka/codec/generated/api_table.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/session/kafka_session.h"

namespace unimq::kafka {

namespace {
bool uses_log_append_time(const meta::TopicInfo& t) {
  auto it = t.configs.find("message.timestamp.type");
  return it != t.configs.end() && it->second == "LogAppendTime";
}
std::string producer_state_key(const std::string& topic, int32_t partition) {
  return "kafka/producer_state/" + topic + "/" + std::to_string(partition);
}
}  // namespace

std::map<std::string, std::string> parse_sasl_users(const std::string& spec) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(pos, end - pos);
    const size_t colon = item.find(':');
    if (colon != std::string::npos && colon > 0)
      out[item.substr(0, colon)] = item.substr(colon + 1);
    pos = end + 1;
  }
  return out;
}

KafkaBroker::KafkaBroker(KafkaOptions options, net::EventLoopGroup& loops,
                         storage::StorageEngine& engine, storage::KvStore& kv)
    : options_(std::move(options)),
      loops_(loops),
      engine_(engine),
      kv_(kv),
      catalog_(kv),
      producer_ids_(kv) {
  groups::CoordinatorOptions go;
  go.initial_rebalance_delay_ms = options_.group_initial_rebalance_delay_ms;
  go.offsets_retention_ms = options_.offsets_retention_ms;
  go.offsets_retention_check_interval_ms = options_.offsets_retention_check_interval_ms;
  groups_ = std::make_unique<groups::GroupCoordinator>(kv, go);
  fetch_readers_ = std::make_unique<net::BlockingPool>(options_.fetch_read_threads, "kafka-read");
  log_env_.kv = &kv_;
  log_env_.loader = fetch_readers_.get();
  log_env_.producer_id_expiration_ms = options_.producer_id_expiration_ms;
  auto& reg = metrics::global_registry();
  for (const auto& s : codec::api_schemas()) {
    if (size_t(s.api_key) >= metrics_.requests.size()) continue;
    metrics_.requests[size_t(s.api_key)] = &reg.counter(
        "unimq_kafka_requests_total", "Kafka requests received by API", {{"api", s.name}});
    if (find_handler(s.api_key))  // durations of the APIs served only
      metrics_.durations[size_t(s.api_key)] = &reg.histogram(
          "unimq_kafka_request_duration_seconds",
          "Time from reading a Kafka request to handing its answer to the connection (Produce: "
          "includes the append, and the fsync under storage.fsync=always; Fetch: the long poll)",
          {{"api", s.name}});
  }
  metrics_.produced_records =
      &reg.counter("unimq_kafka_produced_records_total", "Records appended by Kafka producers");
  metrics_.produced_bytes =
      &reg.counter("unimq_kafka_produced_bytes_total", "Record batch bytes appended by Kafka");
  metrics_.fetched_bytes =
      &reg.counter("unimq_kafka_fetched_bytes_total", "Record batch bytes served by Fetch");
  metrics_.fetched_batches =
      &reg.counter("unimq_kafka_fetch_responses_total", "Partitions answered with data by Fetch");
  metrics_.fetch_disk_reads =
      &reg.counter("unimq_kafka_fetch_disk_reads_total",
                   "Fetches that read partition files on a reader thread (behind the cached tail)");
  metrics_.fetch_purgatory =
      &reg.gauge("unimq_kafka_fetch_purgatory_size",
                 "Fetches waiting for data (long poll) or for a reader thread, as Kafka's "
                 "DelayedOperationPurgatory size for Fetch");
  metrics_.producer_ids =
      &reg.gauge("unimq_kafka_producer_ids",
                 "Idempotent producer ids remembered, summed over partitions (expire after "
                 "kafka.producer_id_expiration_ms idle)");
  log_env_.producers = metrics_.producer_ids;
}

KafkaBroker::~KafkaBroker() = default;

void KafkaBroker::load() {
  if (auto s = catalog_.load(); !s.ok())
    throw std::runtime_error("kafka: cannot load topics: " + s.message);
  if (auto s = groups_->load(); !s.ok())
    throw std::runtime_error("kafka: cannot load group offsets: " + s.message);
  for (const auto& t : catalog_.list()) {
    for (uint32_t p = 0; p < t.partitions; ++p) {
      const storage::StreamConfig cfg = stream_config_for(t);
      engine_.get_or_create(storage::StreamId{"kafka", t.name, p}, &cfg);
    }
    apply_retention(t);
  }
  spdlog::info("kafka: {} topics loaded", catalog_.list().size());
}

std::unique_ptr<net::ConnectionHandler> KafkaBroker::make_handler(net::Connection& c) {
  return std::make_unique<KafkaConnectionHandler>(*this, c);
}

void KafkaBroker::register_connection(uint64_t id, net::Connection* c, net::EventLoop* loop) {
  std::lock_guard g(conns_mu_);
  conns_[id] = {c, loop};
}

void KafkaBroker::unregister_connection(uint64_t id) {
  std::lock_guard g(conns_mu_);
  conns_.erase(id);
}

void KafkaBroker::save_producer_state() {
  std::vector<std::shared_ptr<PartitionLog>> logs;
  {
    std::lock_guard g(partitions_mu_);
    for (auto& [key, log] : partitions_) logs.push_back(log);
  }
  for (auto& log : logs) log->save_snapshot();
}

void KafkaBroker::close_all_connections() {
  groups_->fail_pending();
  fetch_readers_->stop();  // a fetch still reading is dropped with its connection
  std::lock_guard g(conns_mu_);
  for (auto& [id, cl] : conns_) {
    cl.second->post([this, id = id] {
      net::Connection* c = nullptr;
      {
        std::lock_guard g2(conns_mu_);
        auto it = conns_.find(id);
        if (it != conns_.end()) c = it->second.first;
      }
      if (c) c->close();
    });
  }
}

storage::StreamConfig KafkaBroker::stream_config_for(const meta::TopicInfo& t) const {
  storage::StreamConfig cfg = options_.stream_defaults;
  auto num = [&](const char* key, int64_t& out) {
    auto it = t.configs.find(key);
    if (it != t.configs.end()) {
      try {
        out = std::stoll(it->second);
      } catch (...) {
      }
    }
  };
  num("retention.ms", cfg.retention_ms);
  num("retention.bytes", cfg.retention_bytes);
  int64_t seg = int64_t(cfg.segment_bytes);
  num("segment.bytes", seg);
  if (seg > 0) cfg.segment_bytes = uint64_t(seg);
  return cfg;
}

void KafkaBroker::apply_retention(const meta::TopicInfo& t) {
  {
    std::lock_guard g(partitions_mu_);
    for (uint32_t p = 0; p < t.partitions; ++p)
      if (auto it = partitions_.find({t.name, int32_t(p)}); it != partitions_.end())
        it->second->set_log_append_time(uses_log_append_time(t));
  }
  const storage::StreamConfig cfg = stream_config_for(t);
  for (uint32_t p = 0; p < t.partitions; ++p)
    if (auto s = engine_.find(storage::StreamId{"kafka", t.name, p}))
      s->set_retention(cfg.retention_ms, cfg.retention_bytes);
}

std::shared_ptr<PartitionLog> KafkaBroker::partition(const std::string& topic, int32_t p) {
  if (p < 0) return nullptr;
  std::lock_guard g(partitions_mu_);
  auto key = std::make_pair(topic, p);
  if (auto it = partitions_.find(key); it != partitions_.end()) return it->second;
  auto t = catalog_.find(topic);
  if (!t || uint32_t(p) >= t->partitions) return nullptr;
  const storage::StreamConfig cfg = stream_config_for(*t);
  auto stream = engine_.get_or_create(storage::StreamId{"kafka", topic, uint32_t(p)}, &cfg);
  if (!stream) return nullptr;
  auto log =
      std::make_shared<PartitionLog>(std::move(stream), producer_state_key(topic, p), &log_env_);
  log->set_log_append_time(uses_log_append_time(*t));
  partitions_.emplace(key, log);
  return log;
}

ErrorCode KafkaBroker::check_partition_limit(const std::string& topic, uint64_t n,
                                             std::string* why) {
  const size_t left = engine_.streams_left();
  if (n <= left) return ErrorCode::kNone;
  std::string reason = "the broker can open " + std::to_string(left) + " more partitions, not " +
                       std::to_string(n) + " (storage.max_streams, from the open-file limit)";
  spdlog::warn("kafka: topic {}: {}", topic, reason);
  if (why) *why = std::move(reason);
  return ErrorCode::kPolicyViolation;
}

ErrorCode KafkaBroker::create_topic(const std::string& name, uint32_t partitions,
                                    std::map<std::string, std::string> configs, std::string* why) {
  if (!meta::TopicCatalog::valid_name(name)) return ErrorCode::kInvalidTopicException;
  if (partitions == 0) return ErrorCode::kInvalidPartitions;
  if (ErrorCode e = check_partition_limit(name, partitions, why); e != ErrorCode::kNone) return e;
  meta::TopicInfo t;
  auto s = catalog_.create(name, partitions, std::move(configs), &t);
  if (!s.ok()) {
    if (s.message == meta::TopicCatalog::kExists) return ErrorCode::kTopicAlreadyExists;
    spdlog::warn("kafka: cannot create topic {}: {}", name, s.message);
    return ErrorCode::kKafkaStorageError;
  }
  const storage::StreamConfig cfg = stream_config_for(t);
  for (uint32_t p = 0; p < partitions; ++p)
    engine_.get_or_create(storage::StreamId{"kafka", name, p}, &cfg);
  spdlog::info("kafka: created topic {} with {} partitions", name, partitions);
  return ErrorCode::kNone;
}

std::optional<meta::TopicInfo> KafkaBroker::topic_for_use(const std::string& name,
                                                          bool allow_create, ErrorCode* error) {
  if (auto t = catalog_.find(name)) return t;
  if (!allow_create || !options_.auto_create_topics) return std::nullopt;
  const ErrorCode e = create_topic(name, options_.num_partitions, {});
  if (e != ErrorCode::kNone && e != ErrorCode::kTopicAlreadyExists) {
    if (error) *error = e;
    return std::nullopt;
  }
  return catalog_.find(name);
}

ErrorCode KafkaBroker::delete_topic(const std::string& name) {
  auto t = catalog_.find(name);
  if (!t) return ErrorCode::kUnknownTopicOrPartition;
  if (!catalog_.remove(name).ok()) return ErrorCode::kKafkaStorageError;
  std::vector<std::shared_ptr<PartitionLog>> dropped(t->partitions);
  {
    std::lock_guard g(partitions_mu_);
    for (uint32_t p = 0; p < t->partitions; ++p) {
      if (auto it = partitions_.find({name, int32_t(p)}); it != partitions_.end()) {
        dropped[p] = it->second;
        partitions_.erase(it);
      }
    }
  }
  // A topic made again under this name starts without producers. A loaded log deletes its
  // snapshot itself (after any snapshot it is writing).
  for (uint32_t p = 0; p < t->partitions; ++p) {
    if (dropped[p])
      dropped[p]->drop_snapshot();
    else
      (void)kv_.del(producer_state_key(name, int32_t(p)));
  }
  for (uint32_t p = 0; p < t->partitions; ++p) {
    auto s = engine_.remove(storage::StreamId{"kafka", name, p});
    if (!s.ok() && s.code != storage::Errc::NotFound)
      spdlog::warn("kafka: removing {}-{}: {}", name, p, s.message);
  }
  spdlog::info("kafka: deleted topic {}", name);
  return ErrorCode::kNone;
}

ErrorCode KafkaBroker::add_partitions(const std::string& name, uint32_t total, std::string* why) {
  auto t = catalog_.find(name);
  if (!t) return ErrorCode::kUnknownTopicOrPartition;
  if (total <= t->partitions) return ErrorCode::kInvalidPartitions;
  if (ErrorCode e = check_partition_limit(name, total - t->partitions, why); e != ErrorCode::kNone)
    return e;
  if (!catalog_.set_partitions(name, total).ok()) return ErrorCode::kKafkaStorageError;
  const storage::StreamConfig cfg = stream_config_for(*t);
  for (uint32_t p = t->partitions; p < total; ++p)
    engine_.get_or_create(storage::StreamId{"kafka", name, p}, &cfg);
  return ErrorCode::kNone;
}

}  // namespace unimq::kafka
