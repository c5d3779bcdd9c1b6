// Dead-lettering: reject/nack without requeue, TTL expiry, x-death headers.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "amqp_test_util.h"

namespace unimq::amqp::test {
namespace {

const ArgValue* death_field(const ArgTable& h, size_t i, const char* k) {
  const ArgValue* xd = find_arg(h, "x-death");
  if (!xd || xd->type != 'A' || xd->array.size() <= i) return nullptr;
  return find_arg(xd->array[i].table, k);
}

TEST(DeadLetter, RejectWithoutRequeueAddsXDeath) {
  VirtualHost vh{"/", nullptr, nullptr};
  ExchangeDeclare x;
  x.name = "dlx";
  x.type = "fanout";
  ASSERT_TRUE(vh.exchange_declare(x).ok());
  auto dlq = declare(vh, "dlq");
  ASSERT_TRUE(vh.queue_bind("dlq", "dlx", "", {}, 0).ok());
  auto q = declare(vh, "work", args({{"x-dead-letter-exchange", ArgValue::str("dlx")}}));
  ASSERT_TRUE(vh.queue_bind("work", "amq.direct", "job", {}, 0).ok());
  BasicProperties p;
  p.content_type = "text/plain";
  vh.publish("amq.direct", make_message("amq.direct", "job", p, "payload"));
  auto g = q->get(false);
  ASSERT_TRUE(g);
  q->reject(std::span<const uint64_t>(&g->delivery.id, 1), false);
  auto d = dlq->get(true);
  ASSERT_TRUE(d);
  const Message& m = *d->delivery.message;
  EXPECT_EQ(m.body, "payload");
  EXPECT_EQ(m.exchange, "dlx");
  EXPECT_EQ(m.routing_key, "job");
  BasicProperties out;
  ASSERT_TRUE(decode_properties(m.properties, out));
  EXPECT_EQ(out.content_type, "text/plain");
  ArgTable h = m.headers();
  EXPECT_EQ(death_field(h, 0, "reason")->s, "rejected");
  EXPECT_EQ(death_field(h, 0, "queue")->s, "work");
  EXPECT_EQ(death_field(h, 0, "exchange")->s, "amq.direct");
  EXPECT_EQ(death_field(h, 0, "count")->i, 1);
  EXPECT_EQ(death_field(h, 0, "routing-keys")->array.at(0).s, "job");
  EXPECT_EQ(arg_string(h, "x-first-death-reason"), "rejected");
}

TEST(DeadLetter, ExpiredMessagesGoToDlxWithCount) {
  VirtualHost vh{"/", nullptr, nullptr};
  auto dlq = declare(vh, "dlq");
  auto q = declare(vh, "q",
                   args({{"x-message-ttl", ArgValue::integer(10)},
                         {"x-dead-letter-exchange", ArgValue::str("")},
                         {"x-dead-letter-routing-key", ArgValue::str("dlq")}}));
  BasicProperties p;
  p.expiration = "5";
  vh.publish("", msg("m", "q", p));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  vh.tick(steady_now());  // housekeeping drops the expired head even without a get
  EXPECT_EQ(q->message_count(), 0u);
  auto d = dlq->get(true);
  ASSERT_TRUE(d);
  ArgTable h = d->delivery.message->headers();
  EXPECT_EQ(death_field(h, 0, "reason")->s, "expired");
  EXPECT_EQ(death_field(h, 0, "original-expiration")->s, "5");
  EXPECT_FALSE(d->delivery.message->expiration_ms);
}

TEST(DeadLetter, RepeatedRejectsCountUp) {
  VirtualHost vh{"/", nullptr, nullptr};
  // work dead-letters to retry via the default exchange; retry dead-letters back on reject.
  auto work = declare(vh, "work",
                      args({{"x-dead-letter-exchange", ArgValue::str("")},
                            {"x-dead-letter-routing-key", ArgValue::str("work")}}));
  vh.publish("", msg("m", "work"));
  for (int i = 1; i <= 3; ++i) {
    auto g = work->get(false);
    ASSERT_TRUE(g) << i;
    EXPECT_EQ(death_field(g->delivery.message->headers(), 0, "count")
                  ? death_field(g->delivery.message->headers(), 0, "count")->i
                  : 0,
              i - 1);
    work->reject(std::span<const uint64_t>(&g->delivery.id, 1), false);
  }
}

}  // namespace
}  // namespace unimq::amqp::test
