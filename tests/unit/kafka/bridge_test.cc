#include <gtest/gtest.h>

#include "protocol/kafka/bridge/bus_records.h"
#include "protocol/kafka/bridge/topic_mapping.h"
#include "storage/compression/compressed_batch.h"
#include "storage/record_batch.h"

namespace unimq::kafka::bridge {
namespace {

TEST(BridgeMapping, ParsesRoutesAndMatchesFirst) {
  std::string error;
  auto m = TopicMapping::parse(" sensors/+/temp=temps ; sensors/#=sensors;;a/b=ab ", error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->routes().size(), 3u);
  ASSERT_NE(m->kafka_topic_for("sensors/k1/temp"), nullptr);
  EXPECT_EQ(*m->kafka_topic_for("sensors/k1/temp"), "temps");
  EXPECT_EQ(*m->kafka_topic_for("sensors/k1/hum"), "sensors");
  EXPECT_EQ(*m->kafka_topic_for("a/b"), "ab");
  EXPECT_EQ(m->kafka_topic_for("a/c"), nullptr);
  EXPECT_TRUE(TopicMapping::parse("", error)->empty());
}

TEST(BridgeMapping, RejectsBadEntries) {
  std::string error;
  EXPECT_FALSE(TopicMapping::parse("sensors/#", error));
  EXPECT_NE(error.find("'='"), std::string::npos);
  EXPECT_FALSE(TopicMapping::parse("a/#/b=t", error));
  EXPECT_FALSE(TopicMapping::parse("a/b=bad topic", error));
  EXPECT_FALSE(TopicMapping::parse("a/b=", error));
}

TEST(BridgeMapping, Murmur2MatchesKafkasDefaultPartitioner) {
  // Vectors from Kafka's UtilsTest.testMurmur2.
  EXPECT_EQ(murmur2("21"), -973932308);
  EXPECT_EQ(murmur2("foobar"), -790332482);
  EXPECT_EQ(murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(murmur2("abc"), 479470107);
  EXPECT_EQ(partition_for_key("abc", 1), 0);
}

struct CollectingSink : core::BusSink {
  std::vector<core::MessagePtr> got;
  void on_bus_message(const core::MessagePtr& m, core::Origin) override { got.push_back(m); }
};

TEST(BridgeRecords, CompressedKafkaBatchReachesTheBusWithKeyHeadersTimestamp) {
  std::vector<storage::AppendRecord> recs(2);
  recs[0].key = "k";
  recs[0].value = "v0";
  recs[0].headers = {{"h", "x"}};
  recs[0].timestamp_ms = 1234;
  recs[1].value = "v1";
  recs[1].timestamp_ms = 1235;
  std::vector<uint8_t> batch;
  ASSERT_TRUE(storage::compression::encode_compressed_batch(recs, 1,
                                                            storage::compression::Codec::Lz4, batch)
                  .ok());
  core::Bus bus;
  ASSERT_TRUE(publish_batch(bus, "kafka/", "orders", batch).ok());  // nobody listens: no-op
  CollectingSink sink;
  bus.add_sink(core::Origin::Mqtt, &sink);
  ASSERT_TRUE(publish_batch(bus, "", "orders", batch).ok());  // empty prefix: disabled
  EXPECT_TRUE(sink.got.empty());
  ASSERT_TRUE(publish_batch(bus, "kafka/", "orders", batch).ok());
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0]->topic, "kafka/orders");
  EXPECT_EQ(sink.got[0]->key, "k");
  EXPECT_EQ(sink.got[0]->payload, "v0");
  EXPECT_EQ(sink.got[0]->timestamp_ms, 1234);
  ASSERT_EQ(sink.got[0]->props.user_properties.size(), 1u);
  EXPECT_EQ(sink.got[0]->props.user_properties[0].second, "x");
  EXPECT_EQ(sink.got[1]->payload, "v1");
}

TEST(BridgeRecords, BusMessageBecomesOneRecordKeyedByTopic) {
  core::Message m;
  m.topic = "sensors/k1/temp";
  m.payload = "21.5";
  m.timestamp_ms = 777;
  m.props.user_properties = {{"unit", "C"}};
  std::vector<uint8_t> batch;
  encode_message(m, 999, batch);
  ASSERT_TRUE(storage::validate_producer_batch(batch).ok());
  std::vector<storage::Record> out;
  ASSERT_TRUE(storage::decode_batch(batch, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, "sensors/k1/temp");
  EXPECT_EQ(out[0].value, "21.5");
  EXPECT_EQ(out[0].timestamp_ms, 777);
  ASSERT_EQ(out[0].headers.size(), 2u);
  EXPECT_EQ(out[0].headers[0].key, "unit");
  EXPECT_EQ(out[0].headers[1].key, "mqtt.topic");
  EXPECT_EQ(out[0].headers[1].value, "sensors/k1/temp");
}

}  // namespace
}  // namespace unimq::kafka::bridge
