#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace unimq::metrics {
namespace {

TEST(Counter, ManyThreadsSumExactly) {
  Counter c;
  constexpr int kThreads = 80;  // more threads than shards: shared shards must stay exact
  constexpr int kIncs = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kIncs; ++i) c.inc();
      c.inc(5);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), uint64_t{kThreads} * (kIncs + 5));
}

TEST(Gauge, AddSubSet) {
  Gauge g;
  g.add(10);
  g.sub(3);
  EXPECT_EQ(g.value(), 7);
  g.sub(10);
  EXPECT_EQ(g.value(), -3);
  g.set(42);
  EXPECT_EQ(g.value(), 42);
}

TEST(Registry, SameNameAndLabelsReturnsSameMetric) {
  Registry r;
  Counter& a = r.counter("x_total", "X.", {{"k", "v"}});
  Counter& b = r.counter("x_total", "ignored", {{"k", "v"}});
  Counter& c = r.counter("x_total", "X.", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  // References survive many later registrations.
  for (int i = 0; i < 1000; ++i) r.counter("x_total", "X.", {{"k", std::to_string(i)}});
  a.inc(3);
  EXPECT_EQ(b.value(), 3u);
}

TEST(Registry, RejectsBadNamesAndTypeClashes) {
  Registry r;
  EXPECT_THROW(r.counter("1abc", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("a-b", "h"), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "h", {{"__x", "v"}}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "h", {{"a:b", "v"}}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "h", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  r.counter("m", "h");
  EXPECT_THROW(r.gauge("m", "h"), std::logic_error);
  EXPECT_NO_THROW(r.gauge("ns:sub_metric", "h"));
}

TEST(Registry, RendersPrometheusGolden) {
  Registry r;
  r.gauge("unimq_connections", "Open client connections.", {{"protocol", "mqtt"}}).set(3);
  auto& in = r.counter("unimq_messages_total", "Messages by direction.", {{"dir", "in"}});
  auto& out = r.counter("unimq_messages_total", "Messages by direction.", {{"dir", "out"}});
  in.inc(10);
  out.inc();
  r.gauge_fn("unimq_queue_depth", "Queued messages.", {}, [] { return 2.5; });
  r.counter_fn("unimq_bytes_total", "Bytes.", {}, [] { return 1e20; });
  r.gauge_fn("unimq_nan", "Not a number.", {}, [] { return std::nan(""); });
  r.gauge_fn("unimq_inf", "Infinite.", {{"s", "+"}},
             [] { return std::numeric_limits<double>::infinity(); });
  r.gauge_fn("unimq_inf", "Infinite.", {{"s", "-"}},
             [] { return -std::numeric_limits<double>::infinity(); });

  EXPECT_EQ(r.render_prometheus(),
            "# HELP unimq_bytes_total Bytes.\n"
            "# TYPE unimq_bytes_total counter\n"
            "unimq_bytes_total 1e+20\n"
            "# HELP unimq_connections Open client connections.\n"
            "# TYPE unimq_connections gauge\n"
            "unimq_connections{protocol=\"mqtt\"} 3\n"
            "# HELP unimq_inf Infinite.\n"
            "# TYPE unimq_inf gauge\n"
            "unimq_inf{s=\"+\"} +Inf\n"
            "unimq_inf{s=\"-\"} -Inf\n"
            "# HELP unimq_messages_total Messages by direction.\n"
            "# TYPE unimq_messages_total counter\n"
            "unimq_messages_total{dir=\"in\"} 10\n"
            "unimq_messages_total{dir=\"out\"} 1\n"
            "# HELP unimq_nan Not a number.\n"
            "# TYPE unimq_nan gauge\n"
            "unimq_nan NaN\n"
            "# HELP unimq_queue_depth Queued messages.\n"
            "# TYPE unimq_queue_depth gauge\n"
            "unimq_queue_depth 2.5\n");
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_help("a\\b\"c\nd"), "a\\\\b\"c\\nd");
  Registry r;
  r.counter("c_total", "Line one\nline \\two", {{"topic", "a/\"b\"\\\n"}, {"x", ""}}).inc(2);
  EXPECT_EQ(r.render_prometheus(),
            "# HELP c_total Line one\\nline \\\\two\n"
            "# TYPE c_total counter\n"
            "c_total{topic=\"a/\\\"b\\\"\\\\\\n\",x=\"\"} 2\n");
}

TEST(Registry, GaugeFnReplacedOnReregistration) {
  Registry r;
  r.gauge_fn("g", "h", {}, [] { return 1.0; });
  r.gauge_fn("g", "h", {}, [] { return 2.0; });
  EXPECT_EQ(r.render_prometheus(), "# HELP g h\n# TYPE g gauge\ng 2\n");
}

TEST(Histogram, CountsIntoTheFirstBucketThatHoldsTheValue) {
  Histogram h({0.001, 0.01});
  h.observe_ns(0);
  h.observe_ns(1'000'000);  // exactly on a bound: counted in it ("le")
  h.observe_ns(1'000'001);
  h.observe_ns(50'000'000);
  h.observe_ns(-5);  // a clock that went back counts as 0
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.buckets, (std::vector<uint64_t>{3, 4, 5}));  // cumulative, then +Inf
  EXPECT_NEAR(snap.sum_seconds, 0.052000001, 1e-12);
  EXPECT_THROW(Histogram({0.01, 0.001}), std::invalid_argument);
  EXPECT_THROW(Histogram({0.01, 0.01}), std::invalid_argument);
}

TEST(Histogram, ManyThreadsCountExactly) {
  Histogram h(duration_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)  // more threads than the histogram's shards
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.observe_ns(int64_t(t) * 1'000'000);
    });
  for (auto& t : threads) t.join();
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.buckets.back(), 120000u);
  EXPECT_EQ(snap.buckets[3], 20000u);  // <= 1 ms: threads 0 and 1
  EXPECT_NEAR(snap.sum_seconds, 10000 * 0.066, 1e-6);
}

TEST(Registry, RendersHistogramsAsPrometheusDoes) {
  Registry r;
  Histogram& h = r.histogram("req_seconds", "Request time", {{"api", "Produce"}}, {0.001, 0.5});
  EXPECT_EQ(&h, &r.histogram("req_seconds", "ignored", {{"api", "Produce"}}));
  r.histogram("bare_seconds", "No labels", {}, {1});
  h.observe_ns(200'000);
  h.observe_ns(2'000'000'000);
  EXPECT_EQ(r.render_prometheus(),
            "# HELP bare_seconds No labels\n"
            "# TYPE bare_seconds histogram\n"
            "bare_seconds_bucket{le=\"1\"} 0\n"
            "bare_seconds_bucket{le=\"+Inf\"} 0\n"
            "bare_seconds_sum 0\n"
            "bare_seconds_count 0\n"
            "# HELP req_seconds Request time\n"
            "# TYPE req_seconds histogram\n"
            "req_seconds_bucket{api=\"Produce\",le=\"0.001\"} 1\n"
            "req_seconds_bucket{api=\"Produce\",le=\"0.5\"} 1\n"
            "req_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 2\n"
            "req_seconds_sum{api=\"Produce\"} 2.0002\n"
            "req_seconds_count{api=\"Produce\"} 2\n");
  EXPECT_THROW(r.counter("req_seconds", "clash"), std::logic_error);
}

TEST(Registry, GlobalIsASingleton) {
  EXPECT_EQ(&global_registry(), &global_registry());
  global_registry().counter("unimq_test_global_total", "t").inc();
  EXPECT_NE(global_registry().render_prometheus().find("unimq_test_global_total 1"),
            std::string::npos);
}

}  // namespace
}  // namespace unimq::metrics
