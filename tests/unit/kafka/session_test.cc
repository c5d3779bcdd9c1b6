// The connection handler: framing, ApiVersions from the dispatch table, unsupported versions,
// SASL gating, and answers in request order whatever order handlers finish in.
#include "protocol/kafka/session/kafka_session.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "net/event_loop.h"
#include "protocol/kafka/codec/generated/api_table.h"
#include "protocol/kafka/codec/generated/api_versions.h"
#include "protocol/kafka/handlers/registry.h"
#include "protocol/kafka/kafka_broker.h"
#include "storage/kv_store.h"
#include "support/fake_connection.h"

namespace unimq::kafka {
namespace {

using test::FakeConnection;

class SessionTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kafka_session_test_" + std::to_string(::getpid()));
    storage::EngineOptions eo;
    eo.data_dir = dir_.string();
    eo.default_backend = storage::Backend::Memory;
    ASSERT_TRUE(storage::StorageEngine::open(eo, engine_).ok());
    ASSERT_TRUE(storage::open_kv_store(storage::KvBackend::Memory, "", kv_).ok());
  }
  void TearDown() override {
    handler_.reset();
    broker_.reset();
    engine_->close();
    std::filesystem::remove_all(dir_);
  }
  void make(KafkaOptions o = {}) {
    broker_ = std::make_unique<KafkaBroker>(o, loops_, *engine_, *kv_);
    broker_->load();
    conn_ = std::make_unique<FakeConnection>(loops_.loop(0));
    handler_ = std::make_unique<KafkaConnectionHandler>(*broker_, *conn_);
  }
  // A framed request: header v1/v2 + body.
  template <typename Req>
  std::vector<uint8_t> frame(int16_t key, int16_t version, int32_t corr, const Req& body,
                             bool flexible) {
    codec::Writer w;
    w.i32(0);
    codec::RequestHeader h;
    h.request_api_key = key;
    h.request_api_version = version;
    h.correlation_id = corr;
    h.client_id = "test";
    h.encode(w, flexible ? 2 : 1);
    body.encode(w, version);
    w.put_i32_at(0, int32_t(w.size() - 4));
    return w.flatten();
  }
  size_t feed(const std::vector<uint8_t>& bytes) { return handler_->on_data(bytes); }

  net::EventLoopGroup loops_{1};
  std::filesystem::path dir_;
  std::unique_ptr<storage::StorageEngine> engine_;
  std::unique_ptr<storage::KvStore> kv_;
  std::unique_ptr<KafkaBroker> broker_;
  std::unique_ptr<FakeConnection> conn_;
  std::unique_ptr<KafkaConnectionHandler> handler_;
};

TEST(HandlerTable, EveryServedVersionExistsInTheGeneratedSchemas) {
  for (const auto& e : handler_table()) {
    const auto* s = codec::find_api_schema(e.api_key);
    ASSERT_NE(s, nullptr) << e.api_key;
    EXPECT_GE(e.min_version, s->min_version) << s->name;
    EXPECT_LE(e.max_version, s->max_version) << s->name;
    EXPECT_LE(e.min_version, e.max_version) << s->name;
    EXPECT_EQ(find_handler(e.api_key), &e);
  }
  EXPECT_EQ(find_handler(99), nullptr);
}

TEST_F(SessionTest, ApiVersionsV3AnswersTheTableWithResponseHeaderV0) {
  make();
  codec::ApiVersionsRequest req;
  req.client_software_name = "t";
  req.client_software_version = "1";
  const auto bytes = frame(18, 3, 42, req, true);
  EXPECT_EQ(feed(bytes), bytes.size());
  ASSERT_GE(conn_->out.size(), 8u);
  codec::Reader r(conn_->out);
  EXPECT_EQ(size_t(r.i32()), conn_->out.size() - 4);
  codec::ResponseHeader h;
  ASSERT_TRUE(h.decode(r, 0));  // no tagged fields in the ApiVersions response header
  EXPECT_EQ(h.correlation_id, 42);
  codec::ApiVersionsResponse resp;
  ASSERT_TRUE(resp.decode(r, 3));
  EXPECT_EQ(resp.error_code, 0);
  ASSERT_EQ(resp.api_keys.size(), handler_table().size());
  for (size_t i = 0; i < resp.api_keys.size(); ++i) {
    EXPECT_EQ(resp.api_keys[i].api_key, handler_table()[i].api_key);
    EXPECT_EQ(resp.api_keys[i].max_version, handler_table()[i].max_version);
  }
}

TEST_F(SessionTest, UnsupportedApiVersionsVersionAnswersV0WithUnsupportedVersion) {
  make();
  codec::Writer w;
  w.i32(0);
  w.i16(18);
  w.i16(77);  // a future version: body not decodable, answered anyway
  w.i32(5);
  w.string("x", false);
  w.i8(0);
  w.put_i32_at(0, int32_t(w.size() - 4));
  const auto bytes = w.flatten();
  EXPECT_EQ(feed(bytes), bytes.size());
  codec::Reader r(conn_->out);
  r.i32();
  EXPECT_EQ(r.i32(), 5);
  codec::ApiVersionsResponse resp;
  ASSERT_TRUE(resp.decode(r, 0));
  EXPECT_EQ(resp.error_code, 35);
  EXPECT_EQ(resp.api_keys.size(), handler_table().size());
  EXPECT_TRUE(conn_->open);
}

TEST_F(SessionTest, UnsupportedApiClosesTheConnection) {
  make();
  codec::ApiVersionsRequest req;
  const auto bytes = frame(18, 3, 1, req, true);
  auto bad = bytes;
  bad[4] = 0;
  bad[5] = 57;  // UpdateFeatures: not served
  feed(bad);
  EXPECT_FALSE(conn_->open);
  EXPECT_TRUE(conn_->out.empty());
}

TEST_F(SessionTest, OversizedOrMalformedFramesClose) {
  KafkaOptions o;
  o.max_request_size = 100;
  make(o);
  std::vector<uint8_t> big = {0, 0, 1, 0};
  feed(big);
  EXPECT_FALSE(conn_->open);

  make();
  // Metadata v1 with a truncated body (topic count says 5, nothing follows).
  std::vector<uint8_t> m = {0, 0, 0, 14, 0, 3, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 5};
  feed(m);
  EXPECT_FALSE(conn_->open);
}

TEST_F(SessionTest, PartialFramesWaitForMoreBytes) {
  make();
  codec::ApiVersionsRequest req;
  const auto bytes = frame(18, 3, 1, req, true);
  std::vector<uint8_t> head(bytes.begin(), bytes.begin() + 6);
  EXPECT_EQ(feed(head), 0u);
  EXPECT_TRUE(conn_->out.empty());
  EXPECT_EQ(feed(bytes), bytes.size());
  EXPECT_FALSE(conn_->out.empty());
}

TEST_F(SessionTest, SaslRequiredClosesOtherApisBeforeAuthentication) {
  KafkaOptions o;
  o.sasl_users = {{"alice", "pw"}};
  make(o);
  codec::ApiVersionsRequest av;
  feed(frame(18, 3, 1, av, true));
  EXPECT_TRUE(conn_->open);
  codec::Writer w;  // Metadata v1, all topics
  w.i32(0);
  w.i16(3);
  w.i16(1);
  w.i32(2);
  w.string("x", false);
  w.i32(-1);
  w.put_i32_at(0, int32_t(w.size() - 4));
  feed(w.flatten());
  EXPECT_FALSE(conn_->open);
}

TEST_F(SessionTest, AnswersGoOutInRequestOrder) {
  make();
  auto session = std::make_shared<KafkaSession>(*broker_, *conn_);
  const uint64_t a = session->open_slot(1, 0, false);
  const uint64_t b = session->open_slot(2, 0, false);
  const uint64_t c = session->open_slot(3, 0, false);
  codec::ApiVersionsResponse resp;
  Responder(session, c).send(resp);
  Responder(session, b).none();  // acks=0 style: no answer, must not block c
  EXPECT_TRUE(conn_->out.empty());
  EXPECT_EQ(session->pending(), 3u);
  Responder(session, a).send(resp);
  EXPECT_EQ(session->pending(), 0u);
  codec::Reader r(conn_->out);
  std::vector<int32_t> order;
  while (r.remaining() > 0 && r.ok()) {
    const int32_t size = r.i32();
    codec::Reader f = r.sub(size_t(size));
    order.push_back(f.i32());
  }
  EXPECT_EQ(order, (std::vector<int32_t>{1, 3}));
}

TEST_F(SessionTest, ReadingPausesWhenTooManyAnswersArePending) {
  make();
  auto session = std::make_shared<KafkaSession>(*broker_, *conn_);
  std::vector<uint64_t> seqs;
  for (size_t i = 0; i < KafkaSession::kMaxPending; ++i)
    seqs.push_back(session->open_slot(0, 0, false));
  EXPECT_TRUE(conn_->paused);
  for (auto s : seqs) Responder(session, s).none();
  EXPECT_FALSE(conn_->paused);
}

}  // namespace
}  // namespace unimq::kafka
