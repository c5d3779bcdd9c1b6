// Micro-benchmark of the AMQP broker model alone (no network, no codec): publish -> route ->
// queue -> consumer (-> ack), on 1 or 2 publisher threads. Prints messages per second.
//   build/rel/amqp_model_bench [messages]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "protocol/amqp/broker/broker.h"

using namespace unimq::amqp;

namespace {

class Counting : public Consumer {
 public:
  explicit Counting(bool ack) : ack_(ack) {}
  void deliver(Queue& q, const Delivery& d) override {
    if (ack_) q.ack(d.id);  // re-entrant: the queue defers dispatch to its running loop
    count.fetch_add(1, std::memory_order_relaxed);
  }
  void cancelled() override {}
  std::atomic<uint64_t> count{0};

 private:
  bool ack_;
};

double run(const char* label, int threads, uint64_t n, const std::string& exchange,
           const std::string& key, bool ack, int extra_bindings, int queues) {
  VirtualHost vh("/", nullptr, nullptr);
  std::vector<std::shared_ptr<Counting>> consumers;
  for (int i = 0; i < queues; ++i) {
    QueueDeclare d;
    d.name = "q" + std::to_string(i);
    QueueDeclareOk ok;
    vh.queue_declare(d, ok);
    if (!exchange.empty()) vh.queue_bind(d.name, exchange, key, {}, 0);
    for (int b = 0; b < extra_bindings; ++b)
      vh.queue_bind(d.name, exchange, "other." + std::to_string(b) + ".*", {}, 0);
    QueuePtr q;
    vh.find_queue(d.name, 0, q);
    auto c = std::make_shared<Counting>(ack);
    ConsumeOptions o;
    o.no_ack = !ack;
    o.prefetch = ack ? 1000 : 0;
    q->consume(c, o);
    consumers.push_back(c);
  }
  MessagePtr m = make_message(exchange, exchange.empty() ? "q0" : key, BasicProperties{},
                              std::string(100, 'x'));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&] {
      for (uint64_t i = 0; i < n / threads; ++i) vh.publish(exchange, m);
    });
  for (auto& t : ts) t.join();
  const uint64_t expect = (n / threads) * threads * queues;
  while (true) {
    uint64_t got = 0;
    for (auto& c : consumers) got += c->count.load();
    if (got >= expect) break;
    std::this_thread::yield();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rate = static_cast<double>(expect) / s;
  std::printf("%-48s %10.0f deliveries/s\n", label, rate);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  run("default exchange, no-ack, 1 publisher", 1, n, "", "", false, 0, 1);
  run("default exchange, ack each, 1 publisher", 1, n, "", "", true, 0, 1);
  run("amq.direct, ack each, 2 publishers", 2, n, "amq.direct", "k", true, 0, 1);
  run("amq.topic a.*.c among 100 bindings, no-ack", 1, n, "amq.topic", "a.b.c", false, 100, 1);
  run("amq.fanout to 4 queues, no-ack, 2 publishers", 2, n, "amq.fanout", "", false, 0, 4);
  return 0;
}
