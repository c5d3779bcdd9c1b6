// Helpers for the broker-model tests: a recording consumer and message builders.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/amqp/broker/broker.h"

namespace unimq::amqp::test {

struct Got {
  Queue* queue;
  Delivery d;
};

class RecordingConsumer : public Consumer {
 public:
  void deliver(Queue& q, const Delivery& d) override {
    std::lock_guard lk(mu);
    got.push_back({&q, d});
  }
  bool ready() const override { return is_ready; }
  void cancelled() override { was_cancelled = true; }

  std::vector<std::string> bodies() {
    std::lock_guard lk(mu);
    std::vector<std::string> out;
    for (auto& g : got) out.push_back(g.d.message->body);
    return out;
  }

  std::mutex mu;
  std::vector<Got> got;
  bool is_ready = true;
  bool was_cancelled = false;
};

inline MessagePtr msg(const std::string& body, const std::string& rk = "", BasicProperties p = {}) {
  return make_message("", rk, p, body);
}

inline MessagePtr persistent(const std::string& body, const std::string& rk) {
  BasicProperties p;
  p.delivery_mode = 2;
  return make_message("", rk, p, body);
}

inline ArgTable args(std::initializer_list<std::pair<std::string, ArgValue>> kv) {
  return ArgTable(kv.begin(), kv.end());
}

inline QueuePtr declare(VirtualHost& vh, const std::string& name, ArgTable a = {},
                        bool durable = false) {
  QueueDeclare d;
  d.name = name;
  d.durable = durable;
  d.args = std::move(a);
  QueueDeclareOk ok;
  Result r = vh.queue_declare(d, ok);
  EXPECT_TRUE(r.ok()) << r.text;
  QueuePtr q;
  vh.find_queue(ok.name, 0, q);
  return q;
}

inline int64_t steady_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline std::vector<std::string> drain(Queue& q) {
  std::vector<std::string> out;
  while (auto g = q.get(true)) out.push_back(g->delivery.message->body);
  return out;
}

}  // namespace unimq::amqp::test
