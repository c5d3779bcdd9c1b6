// Durability across a reopen of the same data directory with the real StorageEngine and KV
// store: durable topology, persistent messages, acked messages gone, transient ones gone.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <thread>

#include "../storage/storage_test_util.h"
#include "amqp_test_util.h"
#include "storage/kv_store.h"
#include "storage/storage_engine.h"

namespace unimq::amqp::test {
namespace {

using storage::test::TempDir;  // shared with the storage tests

struct Node {
  std::unique_ptr<storage::StorageEngine> engine;
  std::unique_ptr<storage::KvStore> kv;
  std::unique_ptr<Broker> broker;

  explicit Node(const std::string& dir) {
    storage::EngineOptions o;
    o.data_dir = dir + "/data";
    o.default_stream.fsync = storage::FsyncPolicy::Never;
    EXPECT_TRUE(storage::StorageEngine::open(o, engine).ok());
    EXPECT_TRUE(storage::open_kv_store(storage::KvBackend::RocksDb, dir + "/kv", kv).ok());
    BrokerOptions bo;
    bo.tick_ms = 0;  // no housekeeping thread: the test drives checkpoints
    broker = std::make_unique<Broker>(bo, engine.get(), kv.get());
  }
  ~Node() {
    broker.reset();
    engine->close();
  }
  VirtualHost& vh() { return *broker->vhost("/"); }
};

// Publishes and waits for the journal append (the publisher-confirm point).
void publish_stored(VirtualHost& vh, const std::string& x, MessagePtr m) {
  std::promise<bool> done;
  auto out = vh.publish(x, m, [&](bool ok) { done.set_value(ok); });
  ASSERT_TRUE(out.routed);
  ASSERT_TRUE(out.store_pending);
  ASSERT_TRUE(done.get_future().get());
}

TEST(Durability, TopologyAndUnackedPersistentMessagesSurviveReopen) {
  TempDir dir;
  {
    Node n(dir.path());
    ExchangeDeclare x;
    x.name = "orders";
    x.type = "topic";
    x.durable = true;
    ASSERT_TRUE(n.vh().exchange_declare(x).ok());
    x.name = "scratch";  // transient exchange: gone after restart
    x.durable = false;
    ASSERT_TRUE(n.vh().exchange_declare(x).ok());
    auto q = declare(n.vh(), "dq", args({{"x-max-length", ArgValue::integer(100)}}), true);
    declare(n.vh(), "tq");
    ASSERT_TRUE(n.vh().queue_bind("dq", "orders", "eu.#", {}, 0).ok());
    for (int i = 0; i < 5; ++i)
      publish_stored(n.vh(), "orders",
                     make_message(
                         "orders", "eu.x",
                         [] {
                           BasicProperties p;
                           p.delivery_mode = 2;
                           p.message_id = "id";
                           return p;
                         }(),
                         "p" + std::to_string(i)));
    n.vh().publish("orders", msg("transient", "eu.x"));
    n.vh().publish("", persistent("in-tq", "tq"));
    // p0 acked, p2 acked out of order, p1 delivered but unacked.
    auto g0 = q->get(false), g1 = q->get(false), g2 = q->get(false);
    q->ack(g0->delivery.id);
    q->ack(g2->delivery.id);
  }
  Node n(dir.path());
  ExchangeDeclare x;
  x.name = "orders";
  x.passive = true;
  EXPECT_TRUE(n.vh().exchange_declare(x).ok());
  x.name = "scratch";
  EXPECT_EQ(n.vh().exchange_declare(x).code, reply::kNotFound);
  QueuePtr q;
  ASSERT_TRUE(n.vh().find_queue("dq", 0, q).ok());
  EXPECT_EQ(q->spec().settings.max_length, 100);
  EXPECT_EQ(n.vh().find_queue("tq", 0, q).code, reply::kNotFound);
  ASSERT_TRUE(n.vh().find_queue("dq", 0, q).ok());
  std::vector<std::string> bodies;
  while (auto g = q->get(true)) {
    BasicProperties p;
    ASSERT_TRUE(decode_properties(g->delivery.message->properties, p));
    EXPECT_EQ(p.message_id, "id");
    EXPECT_EQ(g->delivery.message->routing_key, "eu.x");
    EXPECT_TRUE(g->delivery.redelivered);  // may have been delivered before the restart
    bodies.push_back(g->delivery.message->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"p1", "p3", "p4"}));
  // The binding came back too.
  publish_stored(n.vh(), "orders", persistent("after", "eu.y"));
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"after"}));
}

TEST(Durability, DeletedQueueStaysDeleted) {
  TempDir dir;
  {
    Node n(dir.path());
    declare(n.vh(), "gone", {}, true);
    publish_stored(n.vh(), "", persistent("m", "gone"));
    uint32_t count = 0;
    ASSERT_TRUE(n.vh().queue_delete("gone", false, false, 0, count).ok());
    EXPECT_EQ(count, 1u);
  }
  Node n(dir.path());
  QueuePtr q;
  EXPECT_EQ(n.vh().find_queue("gone", 0, q).code, reply::kNotFound);
  declare(n.vh(), "gone", {}, true);
  ASSERT_TRUE(n.vh().find_queue("gone", 0, q).ok());
  EXPECT_EQ(q->message_count(), 0u);
}

}  // namespace
}  // namespace unimq::amqp::test

namespace unimq::amqp::test {
namespace {

// A crash (no final checkpoint): acks up to the last housekeeping checkpoint hold, including
// out-of-order ones above a held message; later acks may come back (at least once).
TEST(Durability, CrashKeepsCheckpointedAcks) {
  TempDir dir;
  {
    storage::EngineOptions o;
    o.data_dir = dir.path() + "/data";
    o.default_stream.fsync = storage::FsyncPolicy::Never;
    std::unique_ptr<storage::StorageEngine> engine;
    std::unique_ptr<storage::KvStore> kv;
    ASSERT_TRUE(storage::StorageEngine::open(o, engine).ok());
    ASSERT_TRUE(storage::open_kv_store(storage::KvBackend::RocksDb, dir.path() + "/kv", kv).ok());
    VirtualHost vh("/", engine.get(), kv.get());
    vh.recover();
    auto q = declare(vh, "q", {}, true);
    for (int i = 0; i < 6; ++i) publish_stored(vh, "", persistent(std::to_string(i), "q"));
    std::vector<uint64_t> ids;
    while (auto g = q->get(false)) ids.push_back(g->delivery.id);
    ASSERT_EQ(ids.size(), 6u);
    for (int i : {0, 2, 3}) q->ack(ids[i]);
    vh.tick(steady_now());  // checkpoint: cursor at 1, settled run [2, 3]
    q->ack(ids[4]);         // not checkpointed before the "crash"
    engine->close();        // no vh.shutdown(): nothing else is saved
  }
  Node n(dir.path());
  QueuePtr q;
  ASSERT_TRUE(n.vh().find_queue("q", 0, q).ok());
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"1", "4", "5"}));
}

}  // namespace
}  // namespace unimq::amqp::test

namespace unimq::amqp::test {
namespace {

// Under confirms, a persistent message one durable queue stored and another refused
// (reject-publish) is nacked.
TEST(Durability, RejectedByOneQueueIsNackedEvenIfStoredElsewhere) {
  TempDir dir;
  Node n(dir.path());
  declare(n.vh(), "full",
          args({{"x-max-length", ArgValue::integer(0)},
                {"x-overflow", ArgValue::str("reject-publish")}}),
          true);
  declare(n.vh(), "open", {}, true);
  ASSERT_TRUE(n.vh().queue_bind("full", "amq.fanout", "", {}, 0).ok());
  ASSERT_TRUE(n.vh().queue_bind("open", "amq.fanout", "", {}, 0).ok());
  std::promise<bool> done;
  auto out =
      n.vh().publish("amq.fanout", persistent("m", ""), [&](bool ok) { done.set_value(ok); });
  EXPECT_TRUE(out.rejected);
  ASSERT_TRUE(out.store_pending);
  EXPECT_FALSE(done.get_future().get());
}

}  // namespace
}  // namespace unimq::amqp::test

namespace unimq::amqp::test {
namespace {

class Acker : public Consumer {
 public:
  void deliver(Queue& q, const Delivery& d) override {
    q.ack(d.id);
    count.fetch_add(1);
  }
  void cancelled() override {}
  std::atomic<int> count{0};
};

// Persistent publishes from two threads, acks from the dispatching threads, journal
// completions on storage threads and checkpoints from housekeeping, all at once; after a
// clean reopen nothing comes back and every publish was confirmed.
TEST(Durability, ConcurrentPersistentTrafficSettlesCleanly) {
  TempDir dir;
  constexpr int kEach = 2000;
  {
    storage::EngineOptions o;
    o.data_dir = dir.path() + "/data";
    o.default_stream.fsync = storage::FsyncPolicy::Never;
    std::unique_ptr<storage::StorageEngine> engine;
    std::unique_ptr<storage::KvStore> kv;
    ASSERT_TRUE(storage::StorageEngine::open(o, engine).ok());
    ASSERT_TRUE(storage::open_kv_store(storage::KvBackend::RocksDb, dir.path() + "/kv", kv).ok());
    BrokerOptions bo;
    bo.tick_ms = 2;
    {
      Broker broker(bo, engine.get(), kv.get());
      VirtualHost& vh = *broker.vhost("/");
      auto q = declare(vh, "q", {}, true);
      auto acker = std::make_shared<Acker>();
      ASSERT_TRUE(q->consume(acker, ConsumeOptions{"c", false, false, 50, {}}).ok());
      std::atomic<int> confirmed{0}, failed{0};
      std::vector<std::thread> pubs;
      for (int t = 0; t < 2; ++t)
        pubs.emplace_back([&] {
          for (int i = 0; i < kEach; ++i) {
            auto out = vh.publish("", persistent("m", "q"),
                                  [&](bool ok) { (ok ? confirmed : failed).fetch_add(1); });
            if (!out.store_pending) failed.fetch_add(1);
          }
        });
      for (auto& t : pubs) t.join();
      for (int spin = 0;
           spin < 4000 && (confirmed + failed < 2 * kEach || acker->count < 2 * kEach); ++spin)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      EXPECT_EQ(confirmed.load(), 2 * kEach);
      EXPECT_EQ(failed.load(), 0);
      EXPECT_EQ(acker->count.load(), 2 * kEach);
      q->cancel(acker.get());
    }  // broker stop: final checkpoint
    engine->close();
  }
  Node n(dir.path());
  QueuePtr q;
  ASSERT_TRUE(n.vh().find_queue("q", 0, q).ok());
  EXPECT_EQ(q->message_count(), 0u);
}

}  // namespace
}  // namespace unimq::amqp::test

namespace unimq::amqp::test {
namespace {

// TTLs keep counting across a restart: what expired meanwhile is gone, the rest stays.
TEST(Durability, TtlCountsAcrossRestart) {
  TempDir dir;
  {
    Node n(dir.path());
    declare(n.vh(), "q", {}, true);
    BasicProperties p;
    p.delivery_mode = 2;
    p.expiration = "30";
    publish_stored(n.vh(), "", make_message("", "q", p, "short"));
    p.expiration = "600000";
    publish_stored(n.vh(), "", make_message("", "q", p, "long"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the short TTL must elapse
  Node n(dir.path());
  QueuePtr q;
  ASSERT_TRUE(n.vh().find_queue("q", 0, q).ok());
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"long"}));
}

}  // namespace
}  // namespace unimq::amqp::test

namespace unimq::amqp::test {
namespace {

// A durable queue at x-max-length 2 holding two unacked deliveries and two newer messages (the
// unacked ones do not count towards the limit) gets all four back as ready after a restart:
// the recovered queue applies its limit at once, dropping and dead-lettering the oldest, for
// every x-overflow (RabbitMQ applies the limits at queue start before it reads x-overflow).
void fill_past_limit_and_reopen(const std::string& dir, ArgTable qargs) {
  Node n(dir);
  ExchangeDeclare x;
  x.name = "dlx";
  x.type = "fanout";
  x.durable = true;
  ASSERT_TRUE(n.vh().exchange_declare(x).ok());
  declare(n.vh(), "dead", {}, true);
  ASSERT_TRUE(n.vh().queue_bind("dead", "dlx", "", {}, 0).ok());
  qargs.emplace_back("x-dead-letter-exchange", ArgValue::str("dlx"));
  auto q = declare(n.vh(), "q", std::move(qargs), true);
  for (int i = 0; i < 2; ++i) publish_stored(n.vh(), "", persistent(std::to_string(i), "q"));
  ASSERT_TRUE(q->get(false) && q->get(false));
  for (int i = 2; i < 4; ++i) publish_stored(n.vh(), "", persistent(std::to_string(i), "q"));
  EXPECT_EQ(q->message_count(), 2u);
}  // clean shutdown with both deliveries unacked

void expect_trimmed_on_recovery(ArgTable qargs) {
  TempDir dir;
  fill_past_limit_and_reopen(dir.path(), std::move(qargs));
  {
    Node n(dir.path());
    QueuePtr q, dead;
    ASSERT_TRUE(n.vh().find_queue("q", 0, q).ok());
    ASSERT_TRUE(n.vh().find_queue("dead", 0, dead).ok());
    EXPECT_EQ(q->message_count(), 2u) << "the recovered queue kept more than its limit";
    auto d = dead->get(false);
    ASSERT_TRUE(d) << "what recovery drops is dead-lettered";
    EXPECT_EQ(arg_string(d->delivery.message->headers(), "x-first-death-reason"), "maxlen");
    dead->reject(std::span<const uint64_t>(&d->delivery.id, 1), true);
  }
  // The drop was persisted (and the dead letters with it): nothing comes back twice.
  Node n(dir.path());
  QueuePtr q, dead;
  ASSERT_TRUE(n.vh().find_queue("q", 0, q).ok());
  ASSERT_TRUE(n.vh().find_queue("dead", 0, dead).ok());
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(drain(*dead), (std::vector<std::string>{"0", "1"}));
}

TEST(Durability, RecoveredQueueOverMaxLengthDropsAndDeadLettersTheOldest) {
  expect_trimmed_on_recovery(args({{"x-max-length", ArgValue::integer(2)}}));
}

TEST(Durability, RecoveredQueueOverMaxLengthBytesDropsTheOldest) {
  expect_trimmed_on_recovery(args({{"x-max-length-bytes", ArgValue::integer(2)}}));
}

TEST(Durability, RecoveredRejectPublishQueueIsTrimmedToo) {
  expect_trimmed_on_recovery(args(
      {{"x-max-length", ArgValue::integer(2)}, {"x-overflow", ArgValue::str("reject-publish")}}));
}

}  // namespace
}  // namespace unimq::amqp::test
