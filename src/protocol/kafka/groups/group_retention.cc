// Committed-offset retention, as Kafka's offsets.retention.minutes (KIP-211): the offsets of a
// group that had members expire all together once it has been Empty for the retention; those
// of a standalone committer (no group membership ever) each expire that long after their own
// commit; a consumer group with members keeps them, except those of topics none of its
// members subscribes to any more (each expires that long after its commit). An Empty group
// left with no offsets disappears (ListGroups, DescribeGroups), as Kafka's cleanup does.
//
// When a group became Empty must survive a restart, so each group that had members has a KV
// record "kafka/groups/<group>" = big-endian i64: the time it became Empty, or 0 while it has
// members (after a restart it then counts as Empty since the load: its members are gone).
#include <spdlog/spdlog.h>

#include <functional>
#include <set>

#include "protocol/kafka/groups/group_coordinator.h"

namespace unimq::kafka::groups {
namespace {

constexpr std::string_view kRecordPrefix = "kafka/groups/";

std::string record_key(const std::string& group_id) {
  std::string k(kRecordPrefix);
  k += group_id;
  return k;
}

std::string encode_i64(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((uint64_t(v) >> (56 - 8 * i)) & 0xff);
  return out;
}

bool decode_i64(std::string_view s, int64_t& v) {
  if (s.size() != 8) return false;
  uint64_t u = 0;
  for (char c : s) u = (u << 8) | uint8_t(c);
  v = int64_t(u);
  return true;
}

// The topics of a ConsumerProtocolSubscription (every version starts with version int16,
// topics array<string>).
bool parse_subscription(const Bytes& b, std::set<std::string>& topics) {
  size_t p = 0;
  auto need = [&](size_t n) { return b.size() - p >= n; };
  auto be = [&](int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | b[p++];
    return v;
  };
  if (!need(6)) return false;
  p += 2;  // version
  const int32_t n = int32_t(be(4));
  if (n < 0) return false;
  for (int32_t i = 0; i < n; ++i) {
    if (!need(2)) return false;
    const int16_t len = int16_t(be(2));
    if (len < 0 || !need(size_t(len))) return false;
    topics.emplace(reinterpret_cast<const char*>(b.data() + p), size_t(len));
    p += size_t(len);
  }
  return true;
}

}  // namespace

// Kafka knows a group's subscribed topics only for protocol type "consumer" and when every
// member's subscription parses; otherwise no offset of a group with members expires.
bool GroupCoordinator::subscribed_topics(const Group& g, std::set<std::string>& topics) const {
  topics.clear();
  if (g.protocol_type != "consumer" || g.members.empty()) return false;
  for (const auto& [_, m] : g.members) {
    const Bytes* md = m.metadata_for(g.protocol_name);
    if (!md || !parse_subscription(*md, topics)) return false;
  }
  return true;
}

void GroupCoordinator::became_active(Group& g) {
  g.had_members = true;
  g.empty_since_ms = 0;
  if (storage::Status st = kv_.put(record_key(g.group_id), encode_i64(0), false); !st.ok())
    spdlog::warn("kafka group {}: saving its state failed: {}", g.group_id, st.message);
}

void GroupCoordinator::became_empty(Group& g) {
  g.empty_since_ms = now();
  if (!g.had_members) return;
  if (storage::Status st = kv_.put(record_key(g.group_id), encode_i64(g.empty_since_ms), false);
      !st.ok())
    spdlog::warn("kafka group {}: saving its state failed: {}", g.group_id, st.message);
}

void GroupCoordinator::erase_group_record(const std::string& group_id) {
  (void)kv_.del(record_key(group_id), false);
}

void GroupCoordinator::load_group_records() {
  const int64_t t = now();
  std::vector<std::string> orphans;
  (void)kv_.scan(kRecordPrefix, [&](std::string_view k, std::string_view v) {
    std::string id(k.substr(kRecordPrefix.size()));
    int64_t empty_since = 0;
    auto it = groups_.find(id);
    if (it == groups_.end() || !decode_i64(v, empty_since)) {
      orphans.push_back(std::move(id));  // no offsets left: nothing to retain
      return true;
    }
    it->second.had_members = true;
    it->second.empty_since_ms = empty_since > 0 ? empty_since : t;
    return true;
  });
  for (const std::string& id : orphans) erase_group_record(id);
}

void GroupCoordinator::expire_offsets() {
  const int64_t t = now();
  const int64_t retention = options_.offsets_retention_ms;
  std::set<std::string> subscribed;
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = it->second;
    const bool empty = g.state == GroupState::Empty && g.members.empty();
    // Which offsets can expire, and from when (Kafka's GroupMetadata.removeExpiredOffsets).
    std::function<bool(const OffsetFetchEntry&)> due;
    if (empty && g.had_members) {
      due = [&](const OffsetFetchEntry&) { return t - g.empty_since_ms >= retention; };
    } else if (empty) {
      due = [&](const OffsetFetchEntry& e) {
        return t - e.committed.commit_timestamp_ms >= retention;
      };
    } else if (g.state == GroupState::Stable && subscribed_topics(g, subscribed)) {
      // A consumer group that no longer subscribes to a topic: that topic's offsets expire
      // retention after their commit.
      due = [&](const OffsetFetchEntry& e) {
        return !subscribed.count(e.tp.topic) && t - e.committed.commit_timestamp_ms >= retention;
      };
    }
    if (due && retention > 0 && offsets_.has_group(g.group_id)) {
      std::vector<TopicPartition> expired;
      for (const OffsetFetchEntry& e : offsets_.all(g.group_id))
        if (due(e)) expired.push_back(e.tp);
      if (!expired.empty()) {
        if (storage::Status st = offsets_.erase(g.group_id, expired); st.ok())
          spdlog::info("kafka group {}: {} committed offsets expired", g.group_id, expired.size());
        else
          spdlog::error("kafka group {}: deleting expired offsets failed: {}", g.group_id,
                        st.message);
      }
    }
    if (empty && g.pending_members.empty() && !offsets_.has_group(g.group_id)) {
      if (g.had_members) erase_group_record(g.group_id);
      spdlog::debug("kafka group {}: empty with no offsets, removed", g.group_id);
      it = groups_.erase(it);
      continue;
    }
    ++it;
  }
}

}  // namespace unimq::kafka::groups
