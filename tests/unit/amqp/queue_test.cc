// Queues: consumers, credit, requeue order, arguments, exclusivity, counts.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "amqp_test_util.h"

namespace unimq::amqp::test {
namespace {

class Queues : public ::testing::Test {
 protected:
  VirtualHost vh{"/", nullptr, nullptr};
};

ConsumeOptions opts(const std::string& tag, uint32_t prefetch = 0, bool no_ack = false) {
  ConsumeOptions o;
  o.tag = tag;
  o.prefetch = prefetch;
  o.no_ack = no_ack;
  return o;
}

TEST_F(Queues, RoundRobinWithPrefetchAndAck) {
  auto q = declare(vh, "q");
  auto c1 = std::make_shared<RecordingConsumer>(), c2 = std::make_shared<RecordingConsumer>();
  ASSERT_TRUE(q->consume(c1, opts("c1", 1)).ok());
  ASSERT_TRUE(q->consume(c2, opts("c2", 1)).ok());
  for (int i = 0; i < 4; ++i) vh.publish("", msg(std::to_string(i), "q"));
  EXPECT_EQ(c1->bodies(), (std::vector<std::string>{"0"}));
  EXPECT_EQ(c2->bodies(), (std::vector<std::string>{"1"}));
  EXPECT_EQ(q->message_count(), 2u);
  q->ack(c1->got[0].d.id);  // credit back: c1 takes the next one
  EXPECT_EQ(c1->bodies(), (std::vector<std::string>{"0", "2"}));
  EXPECT_EQ(q->consumer_count(), 2u);
}

TEST_F(Queues, RequeueRestoresOriginalOrderAsRedelivered) {
  auto q = declare(vh, "q");
  for (int i = 0; i < 4; ++i) vh.publish("", msg(std::to_string(i), "q"));
  auto g0 = q->get(false), g1 = q->get(false);
  ASSERT_TRUE(g0 && g1);
  uint64_t ids[] = {g1->delivery.id, g0->delivery.id};
  q->reject(ids, true);
  std::vector<std::pair<std::string, bool>> seen;
  while (auto g = q->get(true))
    seen.emplace_back(g->delivery.message->body, g->delivery.redelivered);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, bool>>{
                      {"0", true}, {"1", true}, {"2", false}, {"3", false}}));
}

TEST_F(Queues, NotReadyConsumerIsSkippedUntilDispatch) {
  auto q = declare(vh, "q");
  auto c = std::make_shared<RecordingConsumer>();
  c->is_ready = false;
  ASSERT_TRUE(q->consume(c, opts("c")).ok());
  vh.publish("", msg("m", "q"));
  EXPECT_TRUE(c->bodies().empty());
  c->is_ready = true;
  q->dispatch();
  EXPECT_EQ(c->bodies(), (std::vector<std::string>{"m"}));
}

TEST_F(Queues, MessageTtlAndPerMessageExpiration) {
  auto q = declare(vh, "q", args({{"x-message-ttl", ArgValue::integer(30)}}));
  vh.publish("", msg("queue-ttl", "q"));
  BasicProperties p;
  p.expiration = "0";
  auto q2 = declare(vh, "q2");
  vh.publish("", msg("expire-now", "q2", p));
  p.expiration = "60000";
  vh.publish("", msg("later", "q2", p));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // TTL must really elapse
  EXPECT_TRUE(drain(*q).empty());
  EXPECT_EQ(drain(*q2), (std::vector<std::string>{"later"}));
}

TEST_F(Queues, MaxLengthDropHeadDeadLetters) {
  auto dlq = declare(vh, "dlq");
  auto q = declare(vh, "q",
                   args({{"x-max-length", ArgValue::integer(2)},
                         {"x-dead-letter-exchange", ArgValue::str("")},
                         {"x-dead-letter-routing-key", ArgValue::str("dlq")}}));
  for (int i = 0; i < 4; ++i) vh.publish("", msg(std::to_string(i), "q"));
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(drain(*dlq), (std::vector<std::string>{"0", "1"}));
}

TEST_F(Queues, MaxLengthBytesAndRejectPublish) {
  auto q = declare(vh, "q",
                   args({{"x-max-length", ArgValue::integer(1)},
                         {"x-overflow", ArgValue::str("reject-publish")}}));
  EXPECT_FALSE(vh.publish("", msg("a", "q")).rejected);
  auto out = vh.publish("", msg("b", "q"));
  EXPECT_TRUE(out.rejected);
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"a"}));
  auto qb = declare(vh, "qb", args({{"x-max-length-bytes", ArgValue::integer(5)}}));
  vh.publish("", msg("aaa", "qb"));
  vh.publish("", msg("bbb", "qb"));
  EXPECT_EQ(drain(*qb), (std::vector<std::string>{"bbb"}));
}

// Requeued messages go back to the head: a drop-head queue they push past its limit drops (and
// dead-letters) its oldest at once; a reject-publish queue keeps them all and refuses publishes.
TEST_F(Queues, RequeuePastMaxLengthDropsTheOldestUnlessRejectPublish) {
  auto dlq = declare(vh, "dlq");
  auto dh = declare(vh, "dh",
                    args({{"x-max-length", ArgValue::integer(2)},
                          {"x-dead-letter-exchange", ArgValue::str("")},
                          {"x-dead-letter-routing-key", ArgValue::str("dlq")}}));
  auto rp = declare(vh, "rp",
                    args({{"x-max-length", ArgValue::integer(2)},
                          {"x-overflow", ArgValue::str("reject-publish")}}));
  for (const auto& q : {dh, rp}) {
    const std::string name = q->name();
    for (int i = 0; i < 2; ++i) vh.publish("", msg(std::to_string(i), name));
    auto g0 = q->get(false), g1 = q->get(false);
    ASSERT_TRUE(g0 && g1);
    for (int i = 2; i < 4; ++i) EXPECT_FALSE(vh.publish("", msg(std::to_string(i), name)).rejected);
    uint64_t ids[] = {g0->delivery.id, g1->delivery.id};
    q->reject(ids, true);
  }
  EXPECT_EQ(drain(*dlq), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(dh->message_count(), 2u);
  EXPECT_EQ(rp->message_count(), 4u);
  EXPECT_TRUE(vh.publish("", msg("over", "rp")).rejected);
  EXPECT_EQ(drain(*dh), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(drain(*rp), (std::vector<std::string>{"0", "1", "2", "3"}));
}

TEST_F(Queues, BadArgumentsAre406) {
  QueueDeclare d;
  d.name = "bad";
  d.args = args({{"x-message-ttl", ArgValue::str("soon")}});
  QueueDeclareOk ok;
  EXPECT_EQ(vh.queue_declare(d, ok).code, reply::kPreconditionFailed);
  d.args = args({{"x-overflow", ArgValue::str("explode")}});
  EXPECT_EQ(vh.queue_declare(d, ok).code, reply::kPreconditionFailed);
  d.args = args({{"x-queue-type", ArgValue::str("quorum")}});
  EXPECT_TRUE(vh.queue_declare(d, ok).ok());
  d.args = args({{"x-queue-type", ArgValue::str("classic")}});
  EXPECT_EQ(vh.queue_declare(d, ok).code, reply::kPreconditionFailed);  // inequivalent
}

TEST_F(Queues, DeclareRulesAndCounts) {
  QueueDeclare d;
  QueueDeclareOk ok;
  ASSERT_TRUE(vh.queue_declare(d, ok).ok());
  EXPECT_EQ(ok.name.rfind("amq.gen-", 0), 0u);
  EXPECT_EQ(ok.name.size(), 30u);
  d.name = "amq.mine";
  EXPECT_EQ(vh.queue_declare(d, ok).code, reply::kAccessRefused);
  d.name = "q";
  d.passive = true;
  Result r = vh.queue_declare(d, ok);
  EXPECT_EQ(r.code, reply::kNotFound);
  EXPECT_EQ(r.text, "NOT_FOUND - no queue 'q' in vhost '/'");
  d.passive = false;
  ASSERT_TRUE(vh.queue_declare(d, ok).ok());
  vh.publish("", msg("1", "q"));
  vh.publish("", msg("2", "q"));
  auto c = std::make_shared<RecordingConsumer>();
  QueuePtr q;
  ASSERT_TRUE(vh.find_queue("q", 0, q).ok());
  d.passive = true;
  ASSERT_TRUE(vh.queue_declare(d, ok).ok());
  EXPECT_EQ(ok.message_count, 2u);
  ASSERT_TRUE(q->consume(c, opts("c", 1)).ok());
  ASSERT_TRUE(vh.queue_declare(d, ok).ok());
  EXPECT_EQ(ok.message_count, 1u);
  EXPECT_EQ(ok.consumer_count, 1u);
  d.passive = false;
  d.durable = true;
  EXPECT_EQ(vh.queue_declare(d, ok).code, reply::kPreconditionFailed);
}

TEST_F(Queues, ExclusiveQueuesBelongToOneConnection) {
  QueueDeclare d;
  d.name = "ex";
  d.exclusive = true;
  d.connection_id = 1;
  QueueDeclareOk ok;
  ASSERT_TRUE(vh.queue_declare(d, ok).ok());
  d.connection_id = 2;
  EXPECT_EQ(vh.queue_declare(d, ok).code, reply::kResourceLocked);
  QueuePtr q;
  EXPECT_EQ(vh.find_queue("ex", 2, q).code, reply::kResourceLocked);
  EXPECT_EQ(vh.queue_bind("ex", "amq.direct", "k", {}, 2).code, reply::kResourceLocked);
  ASSERT_TRUE(vh.find_queue("ex", 1, q).ok());
  vh.connection_closed(1);
  EXPECT_TRUE(q->deleted());
  EXPECT_EQ(vh.find_queue("ex", 1, q).code, reply::kNotFound);
}

TEST_F(Queues, AutoDeleteAfterLastConsumer) {
  QueueDeclare d;
  d.name = "ad";
  d.auto_delete = true;
  QueueDeclareOk ok;
  ASSERT_TRUE(vh.queue_declare(d, ok).ok());
  QueuePtr q;
  ASSERT_TRUE(vh.find_queue("ad", 0, q).ok());
  auto c1 = std::make_shared<RecordingConsumer>(), c2 = std::make_shared<RecordingConsumer>();
  ASSERT_TRUE(q->consume(c1, opts("a")).ok());
  ASSERT_TRUE(q->consume(c2, opts("b")).ok());
  EXPECT_TRUE(q->cancel(c1.get()));
  EXPECT_FALSE(q->deleted());
  EXPECT_TRUE(q->cancel(c2.get()));
  EXPECT_TRUE(q->deleted());
}

TEST_F(Queues, ExclusiveConsumer) {
  auto q = declare(vh, "q");
  auto c1 = std::make_shared<RecordingConsumer>(), c2 = std::make_shared<RecordingConsumer>();
  ConsumeOptions o = opts("a");
  o.exclusive = true;
  ASSERT_TRUE(q->consume(c1, o).ok());
  EXPECT_EQ(q->consume(c2, opts("b")).code, reply::kAccessRefused);
}

TEST_F(Queues, DeleteCancelsConsumersAndChecksConditions) {
  auto q = declare(vh, "q");
  vh.publish("", msg("m", "q"));
  uint32_t n = 0;
  EXPECT_EQ(vh.queue_delete("q", false, true, 0, n).code, reply::kPreconditionFailed);
  auto c = std::make_shared<RecordingConsumer>();
  ASSERT_TRUE(q->consume(c, opts("c")).ok());
  EXPECT_EQ(vh.queue_delete("q", true, false, 0, n).code, reply::kPreconditionFailed);
  vh.publish("", msg("m2", "q"));
  q->cancel(c.get());
  auto c2 = std::make_shared<RecordingConsumer>();
  c2->is_ready = false;
  ASSERT_TRUE(q->consume(c2, opts("c2")).ok());
  vh.publish("", msg("m3", "q"));
  ASSERT_TRUE(vh.queue_delete("q", false, false, 0, n).ok());
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(c2->was_cancelled);
  EXPECT_TRUE(vh.queue_delete("q", false, false, 0, n).ok());  // missing: ok, 0
  EXPECT_EQ(n, 0u);
}

TEST_F(Queues, PurgeCounts) {
  auto q = declare(vh, "q");
  for (int i = 0; i < 3; ++i) vh.publish("", msg("m", "q"));
  uint32_t n = 0;
  ASSERT_TRUE(vh.queue_purge("q", 0, n).ok());
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(vh.queue_purge("nope", 0, n).code, reply::kNotFound);
}

TEST_F(Queues, ExpiresDeletesUnusedQueue) {
  auto q = declare(vh, "q", args({{"x-expires", ArgValue::integer(20)}}));
  auto now = [] { return steady_now(); };
  vh.tick(now());
  EXPECT_FALSE(q->deleted());
  vh.tick(now() + 25);
  EXPECT_TRUE(q->deleted());
}

TEST_F(Queues, SingleActiveConsumer) {
  ArgValue t;
  t.type = 't';
  t.i = 1;
  auto q = declare(vh, "q", args({{"x-single-active-consumer", t}}));
  auto c1 = std::make_shared<RecordingConsumer>(), c2 = std::make_shared<RecordingConsumer>();
  ASSERT_TRUE(q->consume(c1, opts("a")).ok());
  ASSERT_TRUE(q->consume(c2, opts("b")).ok());
  vh.publish("", msg("1", "q"));
  vh.publish("", msg("2", "q"));
  EXPECT_EQ(c1->bodies().size(), 2u);
  EXPECT_TRUE(c2->bodies().empty());
  q->cancel(c1.get());
  vh.publish("", msg("3", "q"));
  EXPECT_EQ(c2->bodies(), (std::vector<std::string>{"3"}));
}

}  // namespace
}  // namespace unimq::amqp::test

namespace unimq::amqp::test {
namespace {

// ready() may reserve channel-wide credit: the queue calls it only when it will deliver.
class Reserving : public RecordingConsumer {
 public:
  bool ready() const override {
    if (reserved >= limit) return false;
    ++reserved;
    return true;
  }
  mutable int reserved = 0;
  int limit = 3;
};

TEST(QueueContract, ReadyTrueMeansExactlyOneDelivery) {
  VirtualHost vh{"/", nullptr, nullptr};
  auto q = declare(vh, "q");
  auto a = std::make_shared<Reserving>(), b = std::make_shared<Reserving>();
  ConsumeOptions o;
  o.prefetch = 2;  // per-consumer credit runs out before the channel-wide one for `a`
  ASSERT_TRUE(q->consume(a, o).ok());
  ASSERT_TRUE(q->consume(b, ConsumeOptions{}).ok());
  for (int i = 0; i < 10; ++i) vh.publish("", msg(std::to_string(i), "q"));
  EXPECT_EQ(static_cast<int>(a->bodies().size()), a->reserved);
  EXPECT_EQ(static_cast<int>(b->bodies().size()), b->reserved);
  EXPECT_EQ(a->bodies().size(), 2u);
  EXPECT_EQ(b->bodies().size(), 3u);
  EXPECT_EQ(q->message_count(), 5u);
}

}  // namespace
}  // namespace unimq::amqp::test
