#include "protocol/kafka/groups/offset_store.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstring>

namespace unimq::kafka::groups {
namespace {

constexpr std::string_view kPrefix = "kafka/offsets/";

// Value layout (big-endian): version u8 (=1) | offset i64 | leader_epoch i32 |
// commit_timestamp_ms i64 | metadata bytes (the rest).
constexpr uint8_t kVersion = 1;
constexpr size_t kFixed = 1 + 8 + 4 + 8;

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(char((v >> (8 * i)) & 0xff));
}

uint64_t get_be(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

std::string encode_value(const CommittedOffset& c) {
  std::string out;
  out.reserve(kFixed + c.metadata.size());
  out.push_back(char(kVersion));
  put_be(out, uint64_t(c.offset), 8);
  put_be(out, uint32_t(c.leader_epoch), 4);
  put_be(out, uint64_t(c.commit_timestamp_ms), 8);
  out.append(c.metadata);
  return out;
}

bool decode_value(std::string_view v, CommittedOffset& c) {
  if (v.size() < kFixed || uint8_t(v[0]) != kVersion) return false;
  c.offset = int64_t(get_be(v.data() + 1, 8));
  c.leader_epoch = int32_t(uint32_t(get_be(v.data() + 9, 4)));
  c.commit_timestamp_ms = int64_t(get_be(v.data() + 13, 8));
  c.metadata.assign(v.substr(kFixed));
  return true;
}

// "<group>/<topic>/<partition>" after the prefix. Topic names cannot contain '/', group ids
// can, so the key is split from the right.
bool parse_key(std::string_view rest, std::string& group, TopicPartition& tp) {
  size_t p2 = rest.rfind('/');
  if (p2 == std::string_view::npos || p2 == 0) return false;
  size_t p1 = rest.rfind('/', p2 - 1);
  if (p1 == std::string_view::npos) return false;
  std::string_view part = rest.substr(p2 + 1);
  auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), tp.partition);
  if (ec != std::errc() || ptr != part.data() + part.size()) return false;
  tp.topic.assign(rest.substr(p1 + 1, p2 - p1 - 1));
  group.assign(rest.substr(0, p1));
  return !tp.topic.empty();
}

}  // namespace

std::string OffsetStore::key(std::string_view group, const TopicPartition& tp) {
  std::string k;
  k.reserve(kPrefix.size() + group.size() + tp.topic.size() + 16);
  k.append(kPrefix).append(group).append("/").append(tp.topic).append("/");
  k.append(std::to_string(tp.partition));
  return k;
}

storage::Status OffsetStore::load() {
  groups_.clear();
  size_t count = 0;
  storage::Status st = kv_.scan(kPrefix, [&](std::string_view k, std::string_view v) {
    std::string group;
    TopicPartition tp;
    CommittedOffset c;
    if (!parse_key(k.substr(kPrefix.size()), group, tp) || !decode_value(v, c)) {
      spdlog::warn("kafka: ignoring malformed committed offset entry {}", k);
      return true;
    }
    groups_[group][tp] = std::move(c);
    ++count;
    return true;
  });
  if (st.ok() && count > 0)
    spdlog::info("kafka: loaded {} committed offsets of {} groups", count, groups_.size());
  return st;
}

storage::Status OffsetStore::commit(const std::string& group,
                                    const std::vector<OffsetCommitEntry>& entries) {
  std::vector<storage::KvWrite> batch;
  batch.reserve(entries.size());
  for (const OffsetCommitEntry& e : entries)
    batch.push_back({storage::KvWrite::Op::Put, key(group, e.tp), encode_value(e.committed)});
  // Not fsync'd (the RocksDB WAL is written, so a process crash loses nothing); Kafka does
  // not fsync its offsets topic per commit either.
  storage::Status st = kv_.write(batch, false);
  if (!st.ok()) return st;
  auto& offsets = groups_[group];
  for (const OffsetCommitEntry& e : entries) offsets[e.tp] = e.committed;
  return st;
}

const CommittedOffset* OffsetStore::find(const std::string& group, const TopicPartition& tp) const {
  auto g = groups_.find(group);
  if (g == groups_.end()) return nullptr;
  auto it = g->second.find(tp);
  return it == g->second.end() ? nullptr : &it->second;
}

std::vector<OffsetFetchEntry> OffsetStore::all(const std::string& group) const {
  std::vector<OffsetFetchEntry> out;
  auto g = groups_.find(group);
  if (g == groups_.end()) return out;
  out.reserve(g->second.size());
  for (const auto& [tp, c] : g->second) out.push_back({tp, c, err::kNone});
  return out;
}

std::vector<std::string> OffsetStore::group_ids() const {
  std::vector<std::string> out;
  out.reserve(groups_.size());
  for (const auto& [g, _] : groups_) out.push_back(g);
  return out;
}

storage::Status OffsetStore::erase_group(const std::string& group) {
  auto g = groups_.find(group);
  if (g == groups_.end()) return storage::Status::Ok();
  std::vector<storage::KvWrite> batch;
  for (const auto& [tp, _] : g->second)
    batch.push_back({storage::KvWrite::Op::Delete, key(group, tp), {}});
  storage::Status st = kv_.write(batch, false);
  if (st.ok()) groups_.erase(g);
  return st;
}

storage::Status OffsetStore::erase(const std::string& group,
                                   const std::vector<TopicPartition>& tps) {
  auto g = groups_.find(group);
  if (g == groups_.end()) return storage::Status::Ok();
  std::vector<storage::KvWrite> batch;
  batch.reserve(tps.size());
  for (const TopicPartition& tp : tps)
    batch.push_back({storage::KvWrite::Op::Delete, key(group, tp), {}});
  storage::Status st = kv_.write(batch, false);
  if (!st.ok()) return st;
  for (const TopicPartition& tp : tps) g->second.erase(tp);
  if (g->second.empty()) groups_.erase(g);
  return st;
}

}  // namespace unimq::kafka::groups
