#include "protocol/mqtt/broker.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include <future>
#include <thread>
#include "core/clock.h"
#include "core/topic.h"

#include "net/event_loop.h"
#include "net/timer.h"
#include "protocol/mqtt/mqtt_connection.h"
#include "protocol/mqtt/session/session.h"
#include "protocol/mqtt/shard.h"

namespace unimq::mqtt {

namespace {
using core::wall_ms;

// Runs fn on every loop and waits for all (admin and shutdown paths, never hot).
template <typename T>
std::vector<T> gather(net::EventLoopGroup& loops, std::function<T(size_t)> fn) {
  std::vector<std::future<T>> futures;
  for (size_t i = 0; i < loops.size(); ++i) {
    auto p = std::make_shared<std::promise<T>>();
    futures.push_back(p->get_future());
    loops.loop(i).post([p, fn, i] { p->set_value(fn(i)); });
  }
  std::vector<T> out;
  for (auto& f : futures) {
    if (f.wait_for(std::chrono::seconds(5)) == std::future_status::ready) out.push_back(f.get());
  }
  return out;
}
}  // namespace

MqttBroker::MqttBroker(net::EventLoopGroup& loops, MqttOptions opts)
    : loops_(loops), opts_(std::move(opts)), metrics_(metrics::global_registry()) {
  // Shards are created after the metrics and retained store they use.
  for (size_t i = 0; i < loops_.size(); ++i) {
    shards_.push_back(std::make_unique<Shard>(*this, loops_.loop(i), static_cast<uint32_t>(i)));
  }
  metrics::global_registry().gauge_fn("unimq_retained_messages", "Retained messages", {},
                                      [this] { return double(retained_.size()); });
  metrics::global_registry().gauge_fn("unimq_uptime_seconds", "Seconds since start", {}, [this] {
    return double(wall_ms() - started_at_ms_) / 1000.0;
  });
  started_at_ms_ = wall_ms();
}

MqttBroker::~MqttBroker() = default;

std::unique_ptr<net::ConnectionHandler> MqttBroker::make_handler(net::Connection& conn) {
  if (shutting_down_) return nullptr;
  return std::make_unique<MqttConnection>(*this, conn);
}

Shard& MqttBroker::current_shard() {
  int i = net::EventLoopGroup::current_index();
  return *shards_[i < 0 ? 0 : static_cast<size_t>(i)];
}

void MqttBroker::on_bus_message(const core::MessagePtr& m, core::Origin origin) {
  if (!core::valid_topic_name(m->topic) || m->topic.starts_with('$')) return;
  if (origin == core::Origin::Kafka && !m->key.empty()) {
    // MQTT has no key: carry a Kafka record key as a user property (docs/cross-protocol.md).
    auto copy = std::make_shared<core::Message>(*m);
    copy->props.user_properties.emplace_back("kafka.key", m->key);
    return current_shard().route_from_bus(copy);
  }
  current_shard().route_from_bus(m);
}

bool MqttBroker::wants(std::string_view topic) const {
  // Every shard holds a full replica of the index: the calling loop's own is enough.
  int i = net::EventLoopGroup::current_index();
  if (i < 0 || topic.starts_with('$')) return false;
  return shards_[size_t(i)]->index_replica().any_match(topic);
}

uint32_t MqttBroker::home_shard(const std::string& client_id) const {
  return static_cast<uint32_t>(std::hash<std::string>{}(client_id) % shards_.size());
}

void MqttBroker::for_each_shard(std::function<void(Shard&)> fn, std::function<void()> done) {
  Shard& origin = current_shard();
  auto remaining = std::make_shared<size_t>(shards_.size());
  fn(origin);
  if (--*remaining == 0) {
    done();
    return;
  }
  for (auto& s : shards_) {
    if (s.get() == &origin) continue;
    Shard* target = s.get();
    target->loop().post([target, &origin, fn, done, remaining] {
      fn(*target);
      origin.loop().post([done, remaining] {
        if (--*remaining == 0) done();
      });
    });
  }
}

void MqttBroker::start() {
  if (store_) {
    for (auto& s : shards_) {
      Shard* sh = s.get();
      sh->loop().post([sh] { sh->start_persistence(); });
    }
  }
  if (opts_.sys_interval_s == 0) return;
  Shard& s0 = *shards_[0];
  s0.loop().post([this, &s0] {
    sys_timer_ = std::make_unique<net::Timer>(s0.loop());
    publish_sys();
  });
}

void MqttBroker::publish_sys() {
  if (shutting_down_) return;
  Shard& s0 = *shards_[0];
  std::string base = "$SYS/brokers/" + opts_.node_name + "/";
  auto pub = [&](const std::string& leaf, std::string value) {
    auto m = std::make_shared<core::Message>();
    m->topic = base + leaf;
    m->payload = std::move(value);
    m->retain = true;
    m->timestamp_ms = wall_ms();
    s0.route(m);
  };
  auto total = [](std::array<metrics::Counter*, 3>& c) {
    return c[0]->value() + c[1]->value() + c[2]->value();
  };
  pub("version", opts_.version);
  pub("uptime", std::to_string((wall_ms() - started_at_ms_) / 1000));
  pub("clients/connected", std::to_string(metrics_.connections.value()));
  pub("clients/total", std::to_string(metrics_.sessions.value()));
  pub("messages/received", std::to_string(total(metrics_.received)));
  pub("messages/sent", std::to_string(total(metrics_.sent)));
  pub("messages/dropped",
      std::to_string(metrics_.dropped_queue_full.value() + metrics_.dropped_expired.value() +
                     metrics_.dropped_too_large.value() + metrics_.dropped_congested.value()));
  pub("bytes/received", std::to_string(metrics_.bytes_received.value()));
  pub("bytes/sent", std::to_string(metrics_.bytes_sent.value()));
  pub("subscriptions/count", std::to_string(metrics_.subscriptions.value()));
  pub("retained/count", std::to_string(retained_.size()));
  sys_timer_->arm(std::chrono::seconds(opts_.sys_interval_s), [this] { publish_sys(); });
}

void MqttBroker::shutdown(std::chrono::milliseconds grace) {
  shutting_down_ = true;
  gather<int>(loops_, [this](size_t i) {
    if (i == 0 && sys_timer_) sys_timer_->cancel();
    shards_[i]->close_all_connections();
    return 0;
  });
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (metrics_.connections.value() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  gather<int>(loops_, [this](size_t i) {
    if (i == 0) sys_timer_.reset();
    shards_[i]->stop_persistence();
    return 0;
  });
}

std::vector<ClientSnapshot> MqttBroker::clients() {
  auto parts = gather<std::vector<ClientSnapshot>>(loops_, [this](size_t i) {
    std::vector<ClientSnapshot> v;
    for (Session* s : shards_[i]->sessions()) {
      ClientSnapshot c;
      c.client_id = s->client_id();
      c.username = s->username();
      c.protocol_version = static_cast<int>(s->version);
      c.connected = s->connected();
      if (s->connection()) c.peer = s->connection()->peer();
      c.clean_start = s->clean_start;
      c.session_expiry = s->expiry_interval;
      c.keep_alive = s->keep_alive;
      c.subscriptions = s->subscriptions.size();
      c.inflight = s->inflight_count();
      c.queued = s->queued_count();
      c.connected_at_ms = s->connected_at_ms;
      v.push_back(std::move(c));
    }
    return v;
  });
  std::vector<ClientSnapshot> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<SubscriptionSnapshot> MqttBroker::subscriptions() {
  auto parts = gather<std::vector<SubscriptionSnapshot>>(loops_, [this](size_t i) {
    std::vector<SubscriptionSnapshot> v;
    for (Session* s : shards_[i]->sessions()) {
      for (auto& [key, sub] : s->subscriptions) {
        v.push_back(SubscriptionSnapshot{s->client_id(), sub.filter, sub.group, sub.options});
      }
    }
    return v;
  });
  std::vector<SubscriptionSnapshot> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace unimq::mqtt
