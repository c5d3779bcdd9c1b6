// The Kafka front end's shared state: topic catalog, partition logs, producer ids, the group
// coordinator, metrics; and the factory for connection handlers. One per process, used from
// every loop (everything here is thread-safe).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "meta/topic_catalog.h"
#include "metrics/registry.h"
#include "net/connection.h"
#include "protocol/kafka/log/partition_log.h"
#include "protocol/kafka/producer_ids.h"
#include "storage/storage_engine.h"

namespace unimq::net {
class BlockingPool;
class EventLoopGroup;
}  // namespace unimq::net
namespace unimq::kafka::groups {
class GroupCoordinator;
}
namespace unimq::kafka::bridge {
class BusPublisher;
}

namespace unimq::kafka {

struct KafkaOptions {
  std::string advertised_host;  // empty = the local address each client dialled
  uint16_t port = 9092;         // advertised port (the bound one)
  bool auto_create_topics = true;
  uint32_t num_partitions = 1;
  std::map<std::string, std::string> sasl_users;  // empty = no authentication
  uint32_t max_request_size = 100u << 20;
  int32_t group_initial_rebalance_delay_ms = 0;
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;  // kafka.offsets_retention_minutes
  int64_t offsets_retention_check_interval_ms = 600000;
  int64_t producer_id_expiration_ms = 86400000;  // Kafka's producer.id.expiration.ms
  storage::StreamConfig stream_defaults;         // retention, segment size of new partitions
  int32_t node_id = 0;
  std::string cluster_id = "unimq-cluster";
  // Threads reading partitions' files for fetches the memory cannot answer (consumers behind
  // the tail), so a disk read never stalls an event loop.
  uint32_t fetch_read_threads = 2;
};

// Parses kafka.sasl_users ("user:password,user2:pw2").
std::map<std::string, std::string> parse_sasl_users(const std::string& spec);

struct KafkaMetrics {
  std::array<metrics::Counter*, 128> requests{};  // by API key
  // From reading a request to handing its answer to the connection (Kafka's TotalTimeMs
  // less the send), by API key: the APIs the broker implements.
  std::array<metrics::Histogram*, 128> durations{};
  metrics::Histogram* duration(int16_t api_key) const {
    return api_key >= 0 && size_t(api_key) < durations.size() ? durations[size_t(api_key)]
                                                              : nullptr;
  }
  metrics::Counter* produced_records = nullptr;
  metrics::Counter* produced_bytes = nullptr;
  metrics::Counter* fetched_bytes = nullptr;
  metrics::Counter* fetched_batches = nullptr;
  metrics::Counter* fetch_disk_reads = nullptr;
  metrics::Gauge* fetch_purgatory = nullptr;  // fetches waiting for data or a reader thread
  metrics::Gauge* producer_ids = nullptr;     // idempotent producers remembered, per partition
};

class KafkaBroker {
 public:
  KafkaBroker(KafkaOptions options, net::EventLoopGroup& loops, storage::StorageEngine& engine,
              storage::KvStore& kv);
  ~KafkaBroker();

  // Loads topics, producer ids and committed offsets (throws std::runtime_error on failure).
  void load();
  // A handler for a newly accepted connection (on its loop).
  std::unique_ptr<net::ConnectionHandler> make_handler(net::Connection& c);
  // Closes every connection and stops the fetch readers (on shutdown, from the main thread).
  void close_all_connections();
  // Snapshots every partition's producer state (on shutdown, after close_all_connections).
  void save_producer_state();

  const KafkaOptions& options() const { return options_; }
  void set_advertised_port(uint16_t port) { options_.port = port; }
  net::EventLoopGroup& loops() { return loops_; }
  meta::TopicCatalog& catalog() { return catalog_; }
  ProducerIds& producer_ids() { return producer_ids_; }
  groups::GroupCoordinator& groups() { return *groups_; }
  KafkaMetrics& metrics() { return metrics_; }
  // Where fetches read from the disk (net/blocking_pool.h).
  net::BlockingPool& fetch_readers() { return *fetch_readers_; }
  // Cross-protocol bridge (docs/cross-protocol.md): set once before start(); null = none.
  void set_bus_publisher(std::shared_ptr<const bridge::BusPublisher> p) { bus_publisher_ = p; }
  const bridge::BusPublisher* bus_publisher() const { return bus_publisher_.get(); }
  storage::StorageEngine& engine() { return engine_; }

  // The partition log, or nullptr if the topic or partition does not exist.
  std::shared_ptr<PartitionLog> partition(const std::string& topic, int32_t partition);
  // Creates a topic and its streams; ErrorCode::kTopicAlreadyExists etc. (`why`, if given,
  // gets the reason of a kPolicyViolation).
  ErrorCode create_topic(const std::string& name, uint32_t partitions,
                         std::map<std::string, std::string> configs, std::string* why = nullptr);
  // kPolicyViolation (logged; the reason in `why`, if given) when `n` more partitions of
  // `topic` cannot be opened (storage.max_streams), kNone when they can.
  ErrorCode check_partition_limit(const std::string& topic, uint64_t n, std::string* why);
  // Topic for Metadata/Produce with auto-creation per options (nullopt = unknown; `error`,
  // if given, gets why an auto-creation failed, such as kPolicyViolation).
  std::optional<meta::TopicInfo> topic_for_use(const std::string& name, bool allow_create,
                                               ErrorCode* error = nullptr);
  ErrorCode delete_topic(const std::string& name);
  ErrorCode add_partitions(const std::string& name, uint32_t total, std::string* why = nullptr);
  // Applies retention.ms / retention.bytes / message.timestamp.type of the topic's configs to
  // its streams and partition logs.
  void apply_retention(const meta::TopicInfo& t);

  // Connection registry for shutdown.
  void register_connection(uint64_t id, net::Connection* c, net::EventLoop* loop);
  void unregister_connection(uint64_t id);

 private:
  storage::StreamConfig stream_config_for(const meta::TopicInfo& t) const;

  KafkaOptions options_;
  net::EventLoopGroup& loops_;
  storage::StorageEngine& engine_;
  storage::KvStore& kv_;
  meta::TopicCatalog catalog_;
  ProducerIds producer_ids_;
  std::unique_ptr<groups::GroupCoordinator> groups_;
  std::shared_ptr<const bridge::BusPublisher> bus_publisher_;
  KafkaMetrics metrics_;
  std::unique_ptr<net::BlockingPool> fetch_readers_;
  PartitionLogEnv log_env_;  // what partition logs share (producer-state snapshots)

  std::mutex partitions_mu_;
  std::map<std::pair<std::string, int32_t>, std::shared_ptr<PartitionLog>> partitions_;

  std::mutex conns_mu_;
  std::map<uint64_t, std::pair<net::Connection*, net::EventLoop*>> conns_;
};

}  // namespace unimq::kafka
