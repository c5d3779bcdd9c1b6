// RabbitMQ extensions: alternate exchanges, priority queues, consumer priorities,
// x-overflow reject-publish-dlx.
#include <gtest/gtest.h>

#include "amqp_test_util.h"

namespace unimq::amqp::test {
namespace {

TEST(Extensions, AlternateExchangeTakesUnroutable) {
  VirtualHost vh{"/", nullptr, nullptr};
  ExchangeDeclare ae;
  ae.name = "ae";
  ae.type = "fanout";
  ASSERT_TRUE(vh.exchange_declare(ae).ok());
  ExchangeDeclare ex;
  ex.name = "ex";
  ex.args = args({{"alternate-exchange", ArgValue::str("ae")}});
  ASSERT_TRUE(vh.exchange_declare(ex).ok());
  auto lost = declare(vh, "lost"), q = declare(vh, "q");
  ASSERT_TRUE(vh.queue_bind("lost", "ae", "", {}, 0).ok());
  ASSERT_TRUE(vh.queue_bind("q", "ex", "known", {}, 0).ok());
  EXPECT_TRUE(vh.publish("ex", msg("routed", "known")).routed);
  EXPECT_TRUE(vh.publish("ex", msg("to-ae", "unknown")).routed);  // no basic.return
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"routed"}));
  EXPECT_EQ(drain(*lost), (std::vector<std::string>{"to-ae"}));
}

TEST(Extensions, PriorityQueueHighestFirstAndRequeueKeepsPlace) {
  VirtualHost vh{"/", nullptr, nullptr};
  auto q = declare(vh, "pq", args({{"x-max-priority", ArgValue::integer(5)}}));
  for (int p : {1, 5, 9, 0, 5}) {
    BasicProperties props;
    props.priority = static_cast<uint8_t>(p);
    vh.publish("", msg(std::to_string(p), "pq", props));
  }
  // 9 is capped to 5 and keeps its publish order among the 5s.
  auto g = q->get(false);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->delivery.message->body, "5");
  q->reject(std::span<const uint64_t>(&g->delivery.id, 1), true);
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"5", "9", "5", "1", "0"}));
  QueueDeclare bad;
  bad.name = "bad";
  bad.args = args({{"x-max-priority", ArgValue::integer(300)}});
  QueueDeclareOk ok;
  EXPECT_EQ(vh.queue_declare(bad, ok).code, reply::kPreconditionFailed);
}

TEST(Extensions, ConsumerPriority) {
  VirtualHost vh{"/", nullptr, nullptr};
  auto q = declare(vh, "q");
  auto lo = std::make_shared<RecordingConsumer>(), hi = std::make_shared<RecordingConsumer>();
  ConsumeOptions o;
  o.args = args({{"x-priority", ArgValue::integer(1)}});
  ASSERT_TRUE(q->consume(lo, o).ok());
  o.args = args({{"x-priority", ArgValue::integer(10)}});
  o.prefetch = 3;
  ASSERT_TRUE(q->consume(hi, o).ok());
  for (int i = 0; i < 5; ++i) vh.publish("", msg(std::to_string(i), "q"));
  // The high-priority consumer takes all it has credit for; the rest overflow to the low one.
  EXPECT_EQ(hi->bodies(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(lo->bodies(), (std::vector<std::string>{"3", "4"}));
}

TEST(Extensions, RejectPublishDlxNacksAndDeadLetters) {
  VirtualHost vh{"/", nullptr, nullptr};
  auto dead = declare(vh, "dead");
  auto q = declare(vh, "q",
                   args({{"x-max-length", ArgValue::integer(1)},
                         {"x-overflow", ArgValue::str("reject-publish-dlx")},
                         {"x-dead-letter-exchange", ArgValue::str("")},
                         {"x-dead-letter-routing-key", ArgValue::str("dead")}}));
  EXPECT_FALSE(vh.publish("", msg("1", "q")).rejected);
  EXPECT_TRUE(vh.publish("", msg("2", "q")).rejected);
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"1"}));
  auto g = dead->get(true);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->delivery.message->body, "2");
  EXPECT_EQ(arg_string(g->delivery.message->headers(), "x-first-death-reason"), "maxlen");
}

}  // namespace
}  // namespace unimq::amqp::test
