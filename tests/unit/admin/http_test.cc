#include "admin/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace unimq::admin {
namespace {

using nlohmann::json;

class FakeBroker : public BrokerView {
 public:
  std::vector<ClientInfo> clients() override {
    ClientInfo a;
    a.client_id = "sensor-1";
    a.peer = "10.0.0.7:51234";
    a.username = "alice";
    a.protocol = "mqtt";
    a.protocol_version = 5;
    a.connected = true;
    a.clean_start = true;
    a.session_expiry = 3600;
    a.keep_alive = 60;
    a.subscriptions = 2;
    a.inflight = 1;
    a.queued = 4;
    a.connected_at_ms = 1700000000000;
    ClientInfo b;
    b.client_id = "odd/id with space";
    b.protocol = "mqtt";
    b.protocol_version = 4;
    return {a, b};
  }
  std::vector<SubscriptionInfo> subscriptions() override {
    SubscriptionInfo s1{"sensor-1", "a/+", "", 1, true, false, 2, 7};
    SubscriptionInfo s2{"sensor-1", "b/#", "g1", 2, false, true, 0, 0};
    SubscriptionInfo s3{"other", "c", "", 0, false, false, 0, 0};
    return {s1, s2, s3};
  }
  std::vector<TopicInfo> topics() override { return {{"a/b", true, 12, 3}, {"c", false, 0, 1}}; }
  bool healthy() override { return healthy_.load(); }

  std::atomic<bool> healthy_{true};
};

class AdminHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.counter("unimq_test_total", "Test counter.", {{"k", "v"}}).inc(3);
    server_ = std::make_unique<AdminServer>("127.0.0.1", 0, broker_, registry_);
    server_->start();
    ASSERT_NE(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_connection_timeout(5);
  }
  void TearDown() override { server_->stop(); }

  httplib::Result get(const std::string& path) { return client_->Get(path.c_str()); }

  FakeBroker broker_;
  metrics::Registry registry_;
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminHttpTest, Health) {
  auto r = get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r->body), json({{"status", "ok"}}));
  broker_.healthy_ = false;
  r = get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["status"], "unhealthy");
}

TEST_F(AdminHttpTest, Metrics) {
  auto r = get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_EQ(r->body,
            "# HELP unimq_test_total Test counter.\n# TYPE unimq_test_total counter\n"
            "unimq_test_total{k=\"v\"} 3\n");
}

TEST_F(AdminHttpTest, Clients) {
  auto r = get("/api/v1/clients");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = json::parse(r->body);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0], json({{"client_id", "sensor-1"},
                        {"peer", "10.0.0.7:51234"},
                        {"username", "alice"},
                        {"protocol", "mqtt"},
                        {"protocol_version", 5},
                        {"connected", true},
                        {"clean_start", true},
                        {"session_expiry", 3600},
                        {"keep_alive", 60},
                        {"subscriptions", 2},
                        {"inflight", 1},
                        {"queued", 4},
                        {"connected_at_ms", 1700000000000}}));

  r = get("/api/v1/clients/sensor-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["username"], "alice");

  r = get("/api/v1/clients/odd%2Fid%20with%20space");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["protocol_version"], 4);

  r = get("/api/v1/clients/nobody");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body), json({{"error", "client not found"}, {"client_id", "nobody"}}));
}

TEST_F(AdminHttpTest, Subscriptions) {
  auto r = get("/api/v1/subscriptions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = json::parse(r->body);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0], json({{"client_id", "sensor-1"},
                        {"filter", "a/+"},
                        {"share_group", ""},
                        {"qos", 1},
                        {"no_local", true},
                        {"retain_as_published", false},
                        {"retain_handling", 2},
                        {"subscription_id", 7}}));
  EXPECT_EQ(j[1]["share_group"], "g1");

  r = get("/api/v1/subscriptions?client_id=other");
  ASSERT_TRUE(r);
  j = json::parse(r->body);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["filter"], "c");

  r = get("/api/v1/subscriptions?client_id=nobody");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body), json::array());
}

TEST_F(AdminHttpTest, Topics) {
  auto r = get("/api/v1/topics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body),
            json::parse(R"([{"topic":"a/b","retained":true,"retained_bytes":12,"subscribers":3},
                            {"topic":"c","retained":false,"retained_bytes":0,"subscribers":1}])"));
}

TEST_F(AdminHttpTest, UnknownPathIs404Json) {
  auto r = get("/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(r->body), json({{"error", "not found"}, {"path", "/nope"}}));
  r = get("/api/v1/clients/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

class ThrowingBroker : public FakeBroker {
  std::vector<TopicInfo> topics() override { throw std::runtime_error("view broken"); }
};

TEST(AdminServer, HandlerExceptionIs500Json) {
  ThrowingBroker broker;
  metrics::Registry registry;
  AdminServer server("127.0.0.1", 0, broker, registry);
  server.start();
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/api/v1/topics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(json::parse(r->body)["error"], "view broken");
}

TEST(AdminServer, PortInUseThrowsAndStopIsIdempotent) {
  FakeBroker broker;
  metrics::Registry registry;
  AdminServer first("127.0.0.1", 0, broker, registry);
  first.start();
  AdminServer second("127.0.0.1", first.port(), broker, registry);
  try {
    second.start();
    FAIL() << "expected runtime_error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot listen on 127.0.0.1:" + std::to_string(first.port()));
  }
  first.stop();
  first.stop();
}

TEST(AdminServer, StartStopRepeatedly) {
  FakeBroker broker;
  metrics::Registry registry;
  for (int i = 0; i < 20; ++i) {
    AdminServer s("127.0.0.1", 0, broker, registry);
    s.start();
    s.stop();
  }
}

}  // namespace
}  // namespace unimq::admin
