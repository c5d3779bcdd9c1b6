#include "protocol/amqp/session/server_context.h"

#include <chrono>
#include <condition_variable>

#include "net/event_loop.h"
#include "protocol/amqp/session/amqp_connection.h"

namespace unimq::amqp {

AmqpMetrics::AmqpMetrics(metrics::Registry& r)
    : connections(r.gauge("unimq_amqp_connections", "Open AMQP connections")),
      channels(r.gauge("unimq_amqp_channels", "Open AMQP channels")),
      published(r.counter("unimq_amqp_messages_published_total", "AMQP basic.publish received")),
      delivered(r.counter("unimq_amqp_messages_delivered_total",
                          "AMQP messages sent by basic.deliver or basic.get-ok")),
      acked(r.counter("unimq_amqp_messages_acked_total", "AMQP deliveries acknowledged")),
      protocol_errors(
          r.counter("unimq_amqp_protocol_errors_total", "AMQP connections closed for errors")) {}

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= s.size()) {
    size_t end = s.find(sep, at);
    if (end == std::string::npos) end = s.size();
    std::string part = s.substr(at, end - at);
    const auto b = part.find_first_not_of(" \t");
    const auto e = part.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
    at = end + 1;
  }
  return out;
}
}  // namespace

SessionOptions SessionOptions::from_config(const app::AmqpConfig& c) {
  SessionOptions o;
  for (const auto& up : split(c.users, ',')) {
    const auto colon = up.find(':');
    if (colon == std::string::npos) continue;
    o.users[up.substr(0, colon)] = up.substr(colon + 1);
  }
  for (const auto& v : split(c.vhosts, ',')) o.vhosts.insert(v);
  o.frame_max = c.frame_max;
  o.channel_max = c.channel_max;
  o.heartbeat_s = c.heartbeat_s;
  return o;
}

ServerContext::ServerContext(SessionOptions opts)
    : opts_(std::move(opts)), metrics_(metrics::global_registry()) {}

void ServerContext::add(AmqpConnection* c) {
  std::lock_guard lk(mu_);
  live_.insert(c);
}

void ServerContext::remove(AmqpConnection* c) {
  std::lock_guard lk(mu_);
  live_.erase(c);
}

size_t ServerContext::live_connections() {
  std::lock_guard lk(mu_);
  return live_.size();
}

void ServerContext::close_all(net::EventLoopGroup& loops, uint32_t timeout_ms) {
  struct Wait {
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = 0;
  };
  auto wait = std::make_shared<Wait>();  // outlives a timed-out wait
  wait->pending = loops.size();
  for (size_t i = 0; i < loops.size(); ++i) {
    net::EventLoop& loop = loops.loop(i);
    loop.post([this, &loop, wait] {
      std::vector<AmqpConnection*> mine;
      {
        std::lock_guard lk(mu_);
        for (auto* c : live_)
          if (&c->loop() == &loop) mine.push_back(c);
      }
      // Connections are destroyed on their own loop only, so these stay valid here.
      for (auto* c : mine) c->force_close();
      std::lock_guard lk(wait->mu);
      if (--wait->pending == 0) wait->cv.notify_all();
    });
  }
  std::unique_lock lk(wait->mu);
  wait->cv.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] { return wait->pending == 0; });
}

}  // namespace unimq::amqp
