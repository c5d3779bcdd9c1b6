// Committed consumer-group offsets: an in-memory map backed by the KV store under
// "kafka/offsets/<group>/<topic>/<partition>" (value: see offset_store.cc), reloaded by load().
// Not thread-safe: the GroupCoordinator calls it under its own lock.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/kafka/groups/group_types.h"
#include "storage/kv_store.h"

namespace unimq::kafka::groups {

class OffsetStore {
 public:
  explicit OffsetStore(storage::KvStore& kv) : kv_(kv) {}

  // Reads every committed offset from the KV store (start-up).
  storage::Status load();
  // Writes the entries atomically, then updates memory. On failure nothing changes.
  storage::Status commit(const std::string& group, const std::vector<OffsetCommitEntry>& entries);
  // nullptr when nothing is committed for tp.
  const CommittedOffset* find(const std::string& group, const TopicPartition& tp) const;
  // Every committed partition of the group, in (topic, partition) order.
  std::vector<OffsetFetchEntry> all(const std::string& group) const;
  bool has_group(const std::string& group) const { return groups_.count(group) != 0; }
  std::vector<std::string> group_ids() const;
  storage::Status erase_group(const std::string& group);
  // Deletes these partitions' offsets (the group goes when none are left).
  storage::Status erase(const std::string& group, const std::vector<TopicPartition>& tps);

  static std::string key(std::string_view group, const TopicPartition& tp);

 private:
  storage::KvStore& kv_;
  std::map<std::string, std::map<TopicPartition, CommittedOffset>> groups_;
};

}  // namespace unimq::kafka::groups
