// The Kafka front end as a Service: the broker (topics, partitions, groups), one listener
// (an acceptor per loop) and a thread ticking the group coordinator's deadlines.
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "app/service.h"
#include "net/listener.h"
#include "protocol/kafka/bridge/bus_records.h"
#include "protocol/kafka/bridge/kafka_bus_sink.h"
#include "protocol/kafka/groups/group_coordinator.h"
#include "protocol/kafka/kafka_broker.h"

namespace unimq::app {

namespace {

kafka::KafkaOptions kafka_options(const Config& config) {
  const KafkaConfig& k = config.kafka;
  const StorageConfig& s = config.storage;
  kafka::KafkaOptions o;
  o.advertised_host = k.advertised_host;
  o.port = k.port;
  o.auto_create_topics = k.auto_create_topics;
  o.num_partitions = std::max<uint32_t>(1, k.num_partitions);
  o.sasl_users = kafka::parse_sasl_users(k.sasl_users);
  o.max_request_size = k.max_request_size;
  o.group_initial_rebalance_delay_ms = int32_t(k.group_initial_rebalance_delay_ms);
  o.offsets_retention_ms = int64_t(k.offsets_retention_minutes) * 60000;
  o.offsets_retention_check_interval_ms = k.offsets_retention_check_interval_ms;
  o.producer_id_expiration_ms = int64_t(k.producer_id_expiration_ms);
  o.stream_defaults.fsync =
      storage::parse_fsync_policy(s.fsync).value_or(storage::FsyncPolicy::Interval);
  o.stream_defaults.fsync_interval_ms = s.fsync_interval_ms;
  o.stream_defaults.segment_bytes = s.segment_bytes;
  o.stream_defaults.segment_ms = int64_t(s.segment_ms);
  o.stream_defaults.retention_ms = s.retention_ms ? int64_t(s.retention_ms) : -1;
  o.stream_defaults.retention_bytes = s.retention_bytes ? int64_t(s.retention_bytes) : -1;
  return o;
}

class KafkaService : public Service {
 public:
  explicit KafkaService(const ServiceContext& ctx)
      : ctx_(ctx), broker_(kafka_options(ctx.config), ctx.loops, ctx.engine, ctx.kv) {
    // Cross-protocol bridge (docs/cross-protocol.md).
    broker_.set_bus_publisher(std::make_shared<kafka::bridge::BusPublisher>(
        ctx.bus, ctx.config.bridge.kafka_to_mqtt_prefix));
    std::string error;
    auto routes = kafka::bridge::TopicMapping::parse(ctx.config.bridge.mqtt_to_kafka, error);
    if (!routes) throw std::runtime_error("bridge.mqtt_to_kafka: " + error);
    if (!routes->empty()) {
      bus_sink_ = std::make_unique<kafka::bridge::KafkaBusSink>(broker_, std::move(*routes));
      ctx.bus.add_sink(core::Origin::Kafka, bus_sink_.get());
    }
  }
  ~KafkaService() override { stop_ticker(); }

  void start() override {
    broker_.load();
    net::ListenerOptions lo;
    lo.host = ctx_.config.kafka.bind;
    lo.port = ctx_.config.kafka.port;
    listener_ = std::make_unique<net::Listener>(
        ctx_.loops, lo, [this](net::Connection& c) { return broker_.make_handler(c); });
    listener_->start();
    broker_.set_advertised_port(listener_->port());
    ticker_ = std::thread([this] { tick_loop(); });
    spdlog::info("Kafka listening on {}:{}", lo.host, listener_->port());
  }

  void shutdown() override {
    if (listener_) listener_->stop();
    stop_ticker();
    broker_.close_all_connections();
    broker_.save_producer_state();
  }

 private:
  void tick_loop() {
    std::unique_lock lk(mu_);
    while (!stopping_) {
      cv_.wait_for(lk, std::chrono::milliseconds(100));
      if (stopping_) break;
      lk.unlock();
      broker_.groups().tick();
      lk.lock();
    }
  }
  void stop_ticker() {
    {
      std::lock_guard g(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
  }

  ServiceContext ctx_;
  kafka::KafkaBroker broker_;
  std::unique_ptr<kafka::bridge::KafkaBusSink> bus_sink_;  // registered with ctx.bus
  std::unique_ptr<net::Listener> listener_;
  std::thread ticker_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<Service> make_kafka_service(const ServiceContext& ctx) {
  if (ctx.config.kafka.port == 0) {
    spdlog::info("Kafka listener disabled (port 0)");
    return nullptr;
  }
  return std::make_unique<KafkaService>(ctx);
}

}  // namespace unimq::app
