#include "meta/topic_catalog.h"

#include <gtest/gtest.h>

#include <memory>

namespace unimq::meta {
namespace {

std::unique_ptr<storage::KvStore> memory_kv() {
  std::unique_ptr<storage::KvStore> kv;
  EXPECT_TRUE(storage::open_kv_store(storage::KvBackend::Memory, "", kv).ok());
  return kv;
}

TEST(TopicCatalog, CreatePersistsAndLoadsBack) {
  auto kv = memory_kv();
  TopicCatalog a(*kv);
  ASSERT_TRUE(a.load().ok());
  TopicInfo created;
  ASSERT_TRUE(a.create("orders", 3, {{"retention.ms", "1000"}}, &created).ok());
  EXPECT_NE(created.id, (std::array<uint8_t, 16>{}));
  auto again = a.create("orders", 1, {});
  EXPECT_EQ(again.message, TopicCatalog::kExists);

  TopicCatalog b(*kv);
  ASSERT_TRUE(b.load().ok());
  auto t = b.find("orders");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, created);
  EXPECT_EQ(b.find_by_id(created.id)->name, "orders");
}

TEST(TopicCatalog, NamesFollowKafkaRules) {
  EXPECT_TRUE(TopicCatalog::valid_name("a.b_c-D9"));
  EXPECT_FALSE(TopicCatalog::valid_name(""));
  EXPECT_FALSE(TopicCatalog::valid_name("."));
  EXPECT_FALSE(TopicCatalog::valid_name(".."));
  EXPECT_FALSE(TopicCatalog::valid_name("a/b"));
  EXPECT_FALSE(TopicCatalog::valid_name(std::string(250, 'a')));
  auto kv = memory_kv();
  TopicCatalog c(*kv);
  EXPECT_FALSE(c.create("bad name", 1, {}).ok());
  EXPECT_FALSE(c.create("zero", 0, {}).ok());
}

TEST(TopicCatalog, PartitionsOnlyGrowConfigsUpdateAndRemoveDeletes) {
  auto kv = memory_kv();
  TopicCatalog c(*kv);
  ASSERT_TRUE(c.create("t", 2, {{"retention.ms", "5"}}).ok());
  EXPECT_FALSE(c.set_partitions("t", 2).ok());
  ASSERT_TRUE(c.set_partitions("t", 4).ok());
  ASSERT_TRUE(c.update_configs("t", {{"retention.ms", std::nullopt}, {"cleanup.policy", "delete"}})
                  .ok());
  TopicCatalog reloaded(*kv);
  ASSERT_TRUE(reloaded.load().ok());
  auto t = reloaded.find("t");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->partitions, 4u);
  EXPECT_EQ(t->configs, (std::map<std::string, std::string>{{"cleanup.policy", "delete"}}));
  ASSERT_TRUE(c.remove("t").ok());
  EXPECT_FALSE(c.remove("t").ok());
  TopicCatalog empty(*kv);
  ASSERT_TRUE(empty.load().ok());
  EXPECT_TRUE(empty.list().empty());
}

}  // namespace
}  // namespace unimq::meta
