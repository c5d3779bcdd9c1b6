// Round trips, golden bytes and truncation for the generated Kafka codecs.
#include <gtest/gtest.h>

#include "protocol/kafka/codec/generated/api_table.h"
#include "protocol/kafka/codec/generated/api_versions.h"
#include "protocol/kafka/codec/generated/create_topics.h"
#include "protocol/kafka/codec/generated/fetch.h"
#include "protocol/kafka/codec/generated/headers.h"
#include "protocol/kafka/codec/generated/metadata.h"
#include "protocol/kafka/codec/generated/produce.h"

namespace unimq::kafka::codec {
namespace {

std::vector<uint8_t> from_hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(uint8_t(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

template <typename M>
std::vector<uint8_t> encode(const M& m, int16_t v) {
  Writer w;
  m.encode(w, v);
  return w.flatten();
}

// encode -> decode -> equal value and identical bytes; every strict prefix is malformed.
template <typename M>
void round_trip(const M& m, int16_t v, bool check_prefixes = true) {
  SCOPED_TRACE(testing::Message() << typeid(M).name() << " v" << v);
  const auto bytes = encode(m, v);
  Reader r(bytes);
  M back;
  ASSERT_TRUE(back.decode(r, v));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(encode(back, v), bytes);
  if (!check_prefixes) return;
  for (size_t n = 0; n < bytes.size(); ++n) {
    Reader t(std::span<const uint8_t>(bytes.data(), n));
    M partial;
    EXPECT_FALSE(partial.decode(t, v)) << "prefix of " << n << " bytes decoded";
  }
}

template <typename M>
void default_round_trips(const M& m = M{}) {
  for (int16_t v = M::kMinVersion; v <= M::kMaxVersion; ++v) round_trip(m, v, false);
}

TEST(GeneratedCodec, DefaultValuesRoundTripAtEveryVersionOfEveryApi) {
  default_round_trips<ApiVersionsRequest>();
  default_round_trips<ApiVersionsResponse>();
  MetadataRequest no_topics;  // null topics (= all) only exists from v1
  no_topics.topics.emplace();
  default_round_trips(no_topics);
  default_round_trips<MetadataResponse>();
  default_round_trips<ProduceRequest>();
  default_round_trips<ProduceResponse>();
  default_round_trips<FetchRequest>();
  default_round_trips<FetchResponse>();
  default_round_trips<CreateTopicsRequest>();
  default_round_trips<CreateTopicsResponse>();
  default_round_trips<RequestHeader>();
  default_round_trips<ResponseHeader>();
}

TEST(GeneratedCodec, ApiTableListsEveryRequestedApi) {
  EXPECT_EQ(api_schemas().size(), 25u);
  ASSERT_NE(find_api_schema(api_key::kFetch), nullptr);
  EXPECT_EQ(find_api_schema(api_key::kFetch)->first_flexible, 12);
  EXPECT_EQ(find_api_schema(api_key::kSaslHandshake)->first_flexible, 32767);
  EXPECT_EQ(find_api_schema(99), nullptr);
}

// Captured from `kcat -L` (librdkafka 2.0.2): size, header v2 (key 18, v3, corr 1, "rdkafka"),
// body: compact "librdkafka", compact "2.0.2", no tags.
TEST(GeneratedCodec, ApiVersionsV3RequestFromLibrdkafka) {
  const auto frame =
      from_hex("000000240012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200");
  Reader r(std::span<const uint8_t>(frame).subspan(4));
  RequestHeader h;
  ASSERT_TRUE(h.decode(r, 2));
  EXPECT_EQ(h.request_api_key, 18);
  EXPECT_EQ(h.request_api_version, 3);
  EXPECT_EQ(h.correlation_id, 1);
  EXPECT_EQ(h.client_id, "rdkafka");
  ApiVersionsRequest req;
  ASSERT_TRUE(req.decode(r, 3));
  EXPECT_EQ(req.client_software_name, "librdkafka");
  EXPECT_EQ(req.client_software_version, "2.0.2");
  EXPECT_EQ(r.remaining(), 0u);
  Writer w;
  h.encode(w, 2);
  req.encode(w, 3);
  EXPECT_EQ(w.flatten(), std::vector<uint8_t>(frame.begin() + 4, frame.end()));
}

// ApiVersions v3 response computed by hand: error 0, one key (18, 0..3, no tags),
// throttle 0, no tags (the optional tagged fields stay at their defaults, so are not sent).
TEST(GeneratedCodec, ApiVersionsV3ResponseGoldenBytes) {
  ApiVersionsResponse resp;
  resp.api_keys.push_back({18, 0, 3});
  EXPECT_EQ(encode(resp, 3), from_hex("0000"
                                      "02"
                                      "0012"
                                      "0000"
                                      "0003"
                                      "00"
                                      "00000000"
                                      "00"));
  EXPECT_EQ(encode(resp, 0), from_hex("0000"
                                      "00000001"
                                      "0012"
                                      "0000"
                                      "0003"));
  round_trip(resp, 3);
  round_trip(resp, 1);
}

// Metadata v12 request as librdkafka sends it for one topic (computed by hand): compact array
// of one topic {topic id zero, compact name "t1", no tags}, allow auto create, include topic
// authorized operations false, no tags.
TEST(GeneratedCodec, MetadataV12RequestGoldenBytes) {
  const auto body = from_hex(
      "02"
      "00000000000000000000000000000000"
      "03"
      "7431"
      "00"
      "01"
      "00"
      "00");
  Reader r(body);
  MetadataRequest m;
  ASSERT_TRUE(m.decode(r, 12));
  ASSERT_TRUE(m.topics.has_value());
  ASSERT_EQ(m.topics->size(), 1u);
  EXPECT_EQ((*m.topics)[0].name, "t1");
  EXPECT_TRUE(m.allow_auto_topic_creation);
  EXPECT_EQ(encode(m, 12), body);
  // null topic list = all topics
  const auto all = from_hex(
      "00"
      "01"
      "00"
      "00");
  Reader r2(all);
  MetadataRequest m2;
  ASSERT_TRUE(m2.decode(r2, 12));
  EXPECT_FALSE(m2.topics.has_value());
}

// Captured from `kcat -L -t t1` (librdkafka 2.0.2) through a logging proxy: Metadata v4,
// header v1 (corr 2, "rdkafka"), topics ["t1"], allow auto creation.
TEST(GeneratedCodec, MetadataV4RequestFromLibrdkafka) {
  const auto frame = from_hex("0000001a0003000400000002000772646b61666b61000000010002743101");
  Reader r(std::span<const uint8_t>(frame).subspan(4));
  RequestHeader h;
  ASSERT_TRUE(h.decode(r, 1));
  EXPECT_EQ(h.request_api_key, 3);
  EXPECT_EQ(h.request_api_version, 4);
  EXPECT_EQ(h.correlation_id, 2);
  MetadataRequest m;
  ASSERT_TRUE(m.decode(r, 4));
  EXPECT_EQ(r.remaining(), 0u);
  ASSERT_TRUE(m.topics && m.topics->size() == 1);
  EXPECT_EQ((*m.topics)[0].name, "t1");
  EXPECT_TRUE(m.allow_auto_topic_creation);
  Writer w;
  h.encode(w, 1);
  m.encode(w, 4);
  EXPECT_EQ(w.flatten(), std::vector<uint8_t>(frame.begin() + 4, frame.end()));
}

TEST(GeneratedCodec, MetadataResponsePopulatedAcrossVersions) {
  MetadataResponse m;
  m.brokers.push_back({0, "localhost", 9092, std::nullopt});
  m.cluster_id = "unimq";
  m.controller_id = 0;
  MetadataResponse::MetadataResponseTopic t;
  t.name = "orders";
  t.topic_id.bytes[0] = 7;
  t.partitions.push_back({0, 0, 0, 0, {0}, {0}, {}});
  m.topics.push_back(t);
  for (int16_t v : {0, 1, 5, 8, 9, 10, 12}) round_trip(m, v);
}

TEST(GeneratedCodec, ProduceRequestRecordsPointIntoTheRequest) {
  const std::vector<uint8_t> batch = {1, 2, 3, 4, 5};
  ProduceRequest p;
  p.acks = -1;
  p.timeout_ms = 1000;
  ProduceRequest::TopicProduceData t;
  t.name = "orders";
  ProduceRequest::TopicProduceData::PartitionProduceData pd;
  pd.index = 2;
  pd.records = Records::of(batch);
  t.partition_data.push_back(pd);
  p.topic_data.push_back(t);
  for (int16_t v : {3, 7, 8, 9, 11}) round_trip(p, v);
  const auto bytes = encode(p, 9);
  Reader r(bytes);
  ProduceRequest back;
  ASSERT_TRUE(back.decode(r, 9));
  const auto& rec = back.topic_data[0].partition_data[0].records;
  EXPECT_GE(rec.data, bytes.data());
  EXPECT_LT(rec.data, bytes.data() + bytes.size());
  EXPECT_EQ(std::vector<uint8_t>(rec.data, rec.data + rec.size), batch);
}

TEST(GeneratedCodec, FetchResponseRecordsWithOwnerAreExternalSegments) {
  auto owned = std::make_shared<std::vector<uint8_t>>(std::vector<uint8_t>(100, 0xab));
  FetchResponse f;
  FetchResponse::FetchableTopicResponse t;
  t.topic = "orders";
  FetchResponse::FetchableTopicResponse::PartitionData pd;
  pd.high_watermark = 10;
  pd.records = Records::of(*owned, owned);
  t.partitions.push_back(pd);
  f.responses.push_back(t);
  Writer w;
  f.encode(w, 12);
  ASSERT_EQ(w.externals().size(), 1u);
  EXPECT_EQ(w.externals()[0].data, owned->data());
  EXPECT_EQ(w.size(), w.buf().size() + 100);
  const auto flat = w.flatten();
  Reader r(flat);
  FetchResponse back;
  ASSERT_TRUE(back.decode(r, 12));
  EXPECT_EQ(back, f);
  for (int16_t v : {4, 7, 11, 12}) round_trip(f, v, false);
}

TEST(GeneratedCodec, FetchResponseTaggedFieldsRoundTripAndUnknownTagsAreSkipped) {
  FetchResponse f;
  FetchResponse::FetchableTopicResponse t;
  t.topic = "x";
  FetchResponse::FetchableTopicResponse::PartitionData pd;
  pd.current_leader.leader_id = 3;  // tagged field 1, not default: sent
  pd.current_leader.leader_epoch = 4;
  t.partitions.push_back(pd);
  f.responses.push_back(t);
  round_trip(f, 12);
  // Unknown top-level tag 9 with 2 bytes of payload is skipped.
  ProduceResponse p;
  auto bytes = encode(p, 9);
  ASSERT_EQ(bytes.back(), 0);  // no tags
  bytes.back() = 1;
  for (uint8_t b : {9, 2, 0xff, 0xee}) bytes.push_back(b);
  Reader r(bytes);
  ProduceResponse back;
  EXPECT_TRUE(back.decode(r, 9));
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(GeneratedCodec, CreateTopicsAcrossVersions) {
  CreateTopicsRequest c;
  CreateTopicsRequest::CreatableTopic t;
  t.name = "a";
  t.num_partitions = 3;
  t.replication_factor = 1;
  t.configs.push_back({"retention.ms", "1000"});
  c.topics.push_back(t);
  c.validate_only = true;
  for (int16_t v : {1, 4, 5, 7}) round_trip(c, v);
}

TEST(GeneratedCodec, HugeArrayCountIsMalformedNotAnAllocation) {
  const auto body = from_hex("7fffffff00");  // Metadata v1: topics count 2^31-1
  Reader r(body);
  MetadataRequest m;
  EXPECT_FALSE(m.decode(r, 1));
  Reader r2(body);
  EXPECT_FALSE(decode_any_request(api_key::kMetadata, 1, r2));
  Reader r3(body);
  EXPECT_FALSE(decode_any_request(api_key::kMetadata, 13, r3));  // unknown version
}

TEST(Reader, VarintsAndBounds) {
  Writer w;
  w.varint(-1);
  w.varlong(1234567890123LL);
  w.uvarint(300);
  const auto b = w.flatten();
  Reader r(b);
  EXPECT_EQ(r.varint(), -1);
  EXPECT_EQ(r.varlong(), 1234567890123LL);
  EXPECT_EQ(r.uvarint(), 300u);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.i32(), 0);
  EXPECT_FALSE(r.ok());
  const std::vector<uint8_t> endless(12, 0xff);
  Reader e(endless);
  e.uvarint();
  EXPECT_FALSE(e.ok());
}

}  // namespace
}  // namespace unimq::kafka::codec
