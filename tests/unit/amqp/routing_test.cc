// Exchanges: default, direct, fanout, topic, headers, exchange-to-exchange, declare rules.
#include <gtest/gtest.h>

#include "amqp_test_util.h"

namespace unimq::amqp::test {
namespace {

class Routing : public ::testing::Test {
 protected:
  VirtualHost vh{"/", nullptr, nullptr};
};

TEST_F(Routing, DefaultExchangeRoutesByQueueName) {
  auto q = declare(vh, "q1");
  auto out = vh.publish("", msg("hello", "q1"));
  EXPECT_TRUE(out.routed);
  EXPECT_FALSE(vh.publish("", msg("x", "nope")).routed);
  EXPECT_EQ(drain(*q), (std::vector<std::string>{"hello"}));
  EXPECT_EQ(vh.queue_bind("q1", "", "k", {}, 0).code, reply::kAccessRefused);
  EXPECT_EQ(vh.exchange_delete("", false).code, reply::kAccessRefused);
}

TEST_F(Routing, PredeclaredExchangesExistAndAreReserved) {
  for (const char* x : {"amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"}) {
    ExchangeDeclare d;
    d.name = x;
    d.passive = true;
    EXPECT_TRUE(vh.exchange_declare(d).ok()) << x;
    d.passive = false;
    d.durable = true;
    d.type = x == std::string("amq.direct")   ? "direct"
             : x == std::string("amq.fanout") ? "fanout"
             : x == std::string("amq.topic")  ? "topic"
                                              : "headers";
    EXPECT_TRUE(vh.exchange_declare(d).ok()) << x;  // same properties: fine, as RabbitMQ
    d.durable = false;
    EXPECT_EQ(vh.exchange_declare(d).code, reply::kPreconditionFailed) << x;
  }
  ExchangeDeclare mine;
  mine.name = "amq.mine";
  EXPECT_EQ(vh.exchange_declare(mine).code, reply::kAccessRefused);
  ExchangeDeclare d;
  d.name = "missing";
  d.passive = true;
  Result r = vh.exchange_declare(d);
  EXPECT_EQ(r.code, reply::kNotFound);
  EXPECT_EQ(r.text, "NOT_FOUND - no exchange 'missing' in vhost '/'");
}

TEST_F(Routing, RedeclareWithOtherPropertiesFails) {
  ExchangeDeclare d;
  d.name = "x";
  d.type = "direct";
  ASSERT_TRUE(vh.exchange_declare(d).ok());
  EXPECT_TRUE(vh.exchange_declare(d).ok());
  d.type = "fanout";
  Result r = vh.exchange_declare(d);
  EXPECT_EQ(r.code, reply::kPreconditionFailed);
  EXPECT_EQ(r.text,
            "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/': "
            "received 'fanout' but current is 'direct'");
  d.type = "bogus";
  d.name = "y";
  EXPECT_EQ(vh.exchange_declare(d).code, reply::kCommandInvalid);
}

TEST_F(Routing, DirectFanoutTopic) {
  auto a = declare(vh, "a"), b = declare(vh, "b");
  ASSERT_TRUE(vh.queue_bind("a", "amq.direct", "k1", {}, 0).ok());
  ASSERT_TRUE(vh.queue_bind("b", "amq.direct", "k2", {}, 0).ok());
  vh.publish("amq.direct", msg("d1", "k1"));
  ASSERT_TRUE(vh.queue_bind("a", "amq.fanout", "", {}, 0).ok());
  ASSERT_TRUE(vh.queue_bind("b", "amq.fanout", "", {}, 0).ok());
  vh.publish("amq.fanout", msg("f", "whatever"));
  ASSERT_TRUE(vh.queue_bind("a", "amq.topic", "s.*.t", {}, 0).ok());
  ASSERT_TRUE(vh.queue_bind("a", "amq.topic", "s.#", {}, 0).ok());  // overlapping: once
  ASSERT_TRUE(vh.queue_bind("b", "amq.topic", "#.t", {}, 0).ok());
  vh.publish("amq.topic", msg("t1", "s.x.t"));
  vh.publish("amq.topic", msg("t2", "s.x"));
  EXPECT_EQ(drain(*a), (std::vector<std::string>{"d1", "f", "t1", "t2"}));
  EXPECT_EQ(drain(*b), (std::vector<std::string>{"f", "t1"}));
  ASSERT_TRUE(vh.queue_unbind("a", "amq.topic", "s.#", {}, 0).ok());
  vh.publish("amq.topic", msg("t3", "s.x"));
  EXPECT_TRUE(drain(*a).empty());
}

TEST_F(Routing, HeadersAllAndAny) {
  auto all = declare(vh, "all"), any = declare(vh, "any");
  ASSERT_TRUE(vh.queue_bind("all", "amq.headers", "",
                            args({{"x-match", ArgValue::str("all")},
                                  {"format", ArgValue::str("pdf")},
                                  {"type", ArgValue::str("report")}}),
                            0)
                  .ok());
  ASSERT_TRUE(vh.queue_bind("any", "amq.headers", "",
                            args({{"x-match", ArgValue::str("any")},
                                  {"format", ArgValue::str("pdf")},
                                  {"size", ArgValue::integer(3)}}),
                            0)
                  .ok());
  auto with = [](ArgTable h) {
    BasicProperties p;
    p.headers = std::move(h);
    return p;
  };
  ArgValue three;
  three.type = 'I';  // another integer width: still equal
  three.i = 3;
  vh.publish(
      "amq.headers",
      msg("both", "",
          with(args({{"format", ArgValue::str("pdf")}, {"type", ArgValue::str("report")}}))));
  vh.publish("amq.headers", msg("size", "", with(args({{"size", three}}))));
  vh.publish("amq.headers", msg("none", "", with(args({{"format", ArgValue::str("zip")}}))));
  vh.publish("amq.headers", msg("noheaders", ""));
  EXPECT_EQ(drain(*all), (std::vector<std::string>{"both"}));
  EXPECT_EQ(drain(*any), (std::vector<std::string>{"both", "size"}));
}

TEST_F(Routing, ExchangeToExchangeAndAutoDelete) {
  ExchangeDeclare d;
  d.name = "src";
  d.type = "topic";
  ASSERT_TRUE(vh.exchange_declare(d).ok());
  d.name = "dst";
  d.type = "fanout";
  d.auto_delete = true;
  ASSERT_TRUE(vh.exchange_declare(d).ok());
  auto q = declare(vh, "q");
  ASSERT_TRUE(vh.exchange_bind("dst", "src", "a.#", {}).ok());
  ASSERT_TRUE(vh.exchange_bind("src", "dst", "", {}).ok());  // a cycle must not loop
  ASSERT_TRUE(vh.queue_bind("q", "dst", "", {}, 0).ok());
  EXPECT_TRUE(vh.publish("src", msg("m", "a.b")).routed);
  EXPECT_FALSE(vh.publish("src", msg("m", "b")).routed);
  EXPECT_EQ(drain(*q).size(), 1u);
  // dst is auto-delete: it goes with its last binding as a source.
  ASSERT_TRUE(vh.exchange_unbind("src", "dst", "", {}).ok());
  ASSERT_TRUE(vh.queue_unbind("q", "dst", "", {}, 0).ok());
  d.passive = true;
  EXPECT_EQ(vh.exchange_declare(d).code, reply::kNotFound);
}

TEST_F(Routing, InternalAndMissingExchange) {
  ExchangeDeclare d;
  d.name = "internal";
  d.internal = true;
  ASSERT_TRUE(vh.exchange_declare(d).ok());
  EXPECT_EQ(vh.publish("internal", msg("m")).error.code, reply::kAccessRefused);
  EXPECT_EQ(vh.publish("nope", msg("m")).error.code, reply::kNotFound);
}

TEST_F(Routing, ExchangeDeleteIfUnused) {
  ExchangeDeclare d;
  d.name = "x";
  ASSERT_TRUE(vh.exchange_declare(d).ok());
  declare(vh, "q");
  ASSERT_TRUE(vh.queue_bind("q", "x", "k", {}, 0).ok());
  EXPECT_EQ(vh.exchange_delete("x", true).code, reply::kPreconditionFailed);
  EXPECT_TRUE(vh.exchange_delete("x", false).ok());
  EXPECT_TRUE(vh.exchange_delete("x", false).ok());  // missing: still ok
}

}  // namespace
}  // namespace unimq::amqp::test
