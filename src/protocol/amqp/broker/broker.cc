#include "protocol/amqp/broker/broker.h"

#include <chrono>

namespace unimq::amqp {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::vector<std::string> split_vhosts(const std::string& csv) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= csv.size()) {
    size_t comma = csv.find(',', start);
    if (comma == std::string::npos) comma = csv.size();
    std::string v = csv.substr(start, comma - start);
    const auto b = v.find_first_not_of(" \t");
    const auto e = v.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(v.substr(b, e - b + 1));
    start = comma + 1;
  }
  return out;
}

Broker::Broker(BrokerOptions opts, storage::StorageEngine* engine, storage::KvStore* kv)
    : opts_(std::move(opts)) {
  for (const auto& name : opts_.vhosts) {
    auto vh = std::make_unique<VirtualHost>(name, engine, kv);
    vh->recover();
    vhosts_[name] = std::move(vh);
  }
  if (opts_.tick_ms > 0) thread_ = std::thread([this] { housekeeping(); });
}

Broker::~Broker() { stop(); }

void Broker::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [n, vh] : vhosts_) vh->shutdown();
}

VirtualHost* Broker::vhost(const std::string& name) const {
  auto it = vhosts_.find(name);
  return it == vhosts_.end() ? nullptr : it->second.get();
}

void Broker::connection_closed(uint64_t connection_id) {
  for (auto& [n, vh] : vhosts_) vh->connection_closed(connection_id);
}

void Broker::tick() {
  const int64_t now = steady_ms();
  for (auto& [n, vh] : vhosts_) vh->tick(now);
}

void Broker::housekeeping() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::milliseconds(opts_.tick_ms));
    if (stopping_) break;
    lk.unlock();
    tick();
    lk.lock();
  }
}

}  // namespace unimq::amqp
