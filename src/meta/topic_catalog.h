// Kafka topic metadata: name -> partition count, topic id, per-topic configs. Persisted in the
// KV store under "meta/topics/<name>" as JSON, loaded once at start-up. Thread-safe (one mutex:
// metadata is not on the produce/fetch hot path; front ends cache what they need).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/kv_store.h"
#include "storage/status.h"

namespace unimq::meta {

struct TopicInfo {
  std::string name;
  uint32_t partitions = 0;
  std::array<uint8_t, 16> id{};                // random UUID, never all zero
  std::map<std::string, std::string> configs;  // only explicitly set keys
  bool operator==(const TopicInfo&) const = default;
};

class TopicCatalog {
 public:
  static constexpr std::string_view kPrefix = "meta/topics/";
  static constexpr std::string_view kExists = "topic exists";

  explicit TopicCatalog(storage::KvStore& kv) : kv_(kv) {}

  // Reads every topic from the KV store (call once before use).
  storage::Status load();

  std::optional<TopicInfo> find(std::string_view name) const;
  std::optional<TopicInfo> find_by_id(const std::array<uint8_t, 16>& id) const;
  std::vector<TopicInfo> list() const;

  // Errors: InvalidArgument with message kExists if the topic exists, InvalidArgument for a
  // bad name or partitions == 0, IoError if the KV write fails.
  storage::Status create(std::string_view name, uint32_t partitions,
                         std::map<std::string, std::string> configs, TopicInfo* out = nullptr);
  storage::Status remove(std::string_view name);  // NotFound if absent
  // Grows a topic to `partitions` (never shrinks: InvalidArgument).
  storage::Status set_partitions(std::string_view name, uint32_t partitions);
  // Replaces (set) or removes (value nullopt) config keys.
  storage::Status update_configs(std::string_view name,
                                 const std::map<std::string, std::optional<std::string>>& changes);

  // Kafka's rule: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
  static bool valid_name(std::string_view name);

 private:
  storage::Status persist(const TopicInfo& t);

  storage::KvStore& kv_;
  mutable std::mutex mu_;
  std::map<std::string, TopicInfo, std::less<>> topics_;
};

}  // namespace unimq::meta
