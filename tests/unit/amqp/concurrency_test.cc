// Publishers, consumers and ackers on different threads against one queue: every message is
// delivered exactly once, and each publisher's messages reach a single consumer in order.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <thread>

#include "amqp_test_util.h"

namespace unimq::amqp::test {
namespace {

class AckLater : public Consumer {
 public:
  void deliver(Queue& q, const Delivery& d) override {
    std::lock_guard lk(mu);
    queue = &q;
    pending.push_back(d.id);
    bodies.push_back(d.message->body);
    cv.notify_one();
  }
  void cancelled() override {}

  std::mutex mu;
  std::condition_variable cv;
  Queue* queue = nullptr;
  std::vector<uint64_t> pending;
  std::vector<std::string> bodies;
};

TEST(Concurrency, PublishConsumeAckAcrossThreads) {
  VirtualHost vh{"/", nullptr, nullptr};
  auto q = declare(vh, "q");
  ASSERT_TRUE(vh.queue_bind("q", "amq.topic", "p.#", {}, 0).ok());
  auto c1 = std::make_shared<AckLater>(), c2 = std::make_shared<AckLater>();
  ConsumeOptions o;
  o.prefetch = 16;
  ASSERT_TRUE(q->consume(c1, o).ok());
  ASSERT_TRUE(q->consume(c2, o).ok());
  constexpr int kPublishers = 4, kEach = 5000;
  std::atomic<bool> done{false};
  auto acker = [&](AckLater& c) {
    while (true) {
      std::vector<uint64_t> ids;
      {
        std::unique_lock lk(c.mu);
        c.cv.wait_for(lk, std::chrono::milliseconds(5), [&] { return !c.pending.empty(); });
        ids.swap(c.pending);
      }
      if (!ids.empty())
        q->ack(ids);
      else if (done)
        return;
    }
  };
  std::thread a1(acker, std::ref(*c1)), a2(acker, std::ref(*c2));
  std::vector<std::thread> pubs;
  for (int p = 0; p < kPublishers; ++p)
    pubs.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i)
        vh.publish("amq.topic", msg(std::to_string(p) + ":" + std::to_string(i), "p.x"));
    });
  for (auto& t : pubs) t.join();
  // Wait until everything is delivered (bounded).
  for (int spin = 0; spin < 2000; ++spin) {
    size_t n;
    {
      std::lock_guard l1(c1->mu), l2(c2->mu);
      n = c1->bodies.size() + c2->bodies.size();
    }
    if (n == kPublishers * kEach) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  done = true;
  a1.join();
  a2.join();
  std::map<std::string, int> seen;
  for (auto* c : {c1.get(), c2.get()}) {
    std::map<int, int> last;  // publisher -> last sequence seen by this consumer
    for (const auto& b : c->bodies) {
      ++seen[b];
      const int p = std::stoi(b.substr(0, b.find(':')));
      const int i = std::stoi(b.substr(b.find(':') + 1));
      auto it = last.find(p);
      EXPECT_TRUE(it == last.end() || it->second < i) << b;
      last[p] = i;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kPublishers * kEach));
  for (const auto& [b, n] : seen) ASSERT_EQ(n, 1) << b;
  EXPECT_EQ(q->message_count(), 0u);
}

}  // namespace
}  // namespace unimq::amqp::test
