// GroupCoordinator: construction, committed offsets, and the admin views (ListGroups,
// DescribeGroups, DeleteGroups). The membership state machine is in group_membership.cc.
#include "protocol/kafka/groups/group_coordinator.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "core/clock.h"

namespace unimq::kafka::groups {
namespace {

// Topic names are [a-zA-Z0-9._-]; anything else cannot exist (and would break the KV key).
bool plausible_topic(const std::string& t) {
  return !t.empty() && t.find('/') == std::string::npos;
}

}  // namespace

GroupCoordinator::GroupCoordinator(storage::KvStore& kv, CoordinatorOptions options)
    : options_(std::move(options)), offsets_(kv), kv_(kv), rng_(std::random_device{}()) {
  if (!options_.clock) options_.clock = [] { return core::wall_ms(); };
}

GroupCoordinator::~GroupCoordinator() { fail_pending(); }

storage::Status GroupCoordinator::load() {
  std::lock_guard lock(mu_);
  storage::Status st = offsets_.load();
  if (!st.ok()) return st;
  for (const std::string& id : offsets_.group_ids()) {
    Group& g = groups_[id];
    g.group_id = id;
  }
  load_group_records();
  return st;
}

std::string GroupCoordinator::new_member_id(const std::string& client_id) {
  // "<client.id>-<uuid v4>", as Kafka names members.
  uint64_t hi = rng_(), lo = rng_();
  hi = (hi & ~0xf000ULL) | 0x4000ULL;
  lo = (lo & ~(0xcULL << 60)) | (0x8ULL << 60);
  char uuid[40];
  std::snprintf(uuid, sizeof uuid, "%08x-%04x-%04x-%04x-%012llx", unsigned(hi >> 32),
                unsigned((hi >> 16) & 0xffff), unsigned(hi & 0xffff), unsigned(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return client_id + "-" + uuid;
}

void GroupCoordinator::run(Completions& done) {
  for (auto& fn : done) fn();
  done.clear();
}

void GroupCoordinator::fail_pending() {
  Completions out;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, g] : groups_) {
      for (auto& [id, m] : g.members) {
        if (m.awaiting_join) {
          JoinResult r;
          r.error = err::kCoordinatorNotAvailable;
          r.member_id = id;
          out.push_back([cb = std::move(m.awaiting_join), r] { cb(r); });
          m.awaiting_join = nullptr;
        }
        if (m.awaiting_sync) {
          SyncResult r;
          r.error = err::kCoordinatorNotAvailable;
          out.push_back([cb = std::move(m.awaiting_sync), r] { cb(r); });
          m.awaiting_sync = nullptr;
        }
      }
    }
  }
  run(out);
}

std::vector<PartitionError> GroupCoordinator::commit_offsets(const OffsetCommitRequest& req) {
  std::vector<PartitionError> result;
  result.reserve(req.offsets.size());
  auto fail_all = [&](int16_t error) {
    for (const OffsetCommitEntry& e : req.offsets) result.push_back({e.tp, error});
    return result;
  };
  if (req.group_id.empty()) return fail_all(err::kInvalidGroupId);
  std::lock_guard lock(mu_);
  auto git = groups_.find(req.group_id);
  if (git == groups_.end()) {
    // Not a group member: only "simple" commits (generation -1) may create the group.
    if (req.generation_id >= 0) return fail_all(err::kIllegalGeneration);
    git = groups_.emplace(req.group_id, Group{}).first;
    git->second.group_id = req.group_id;
  }
  Group& g = git->second;
  if (!(req.generation_id < 0 && g.state == GroupState::Empty)) {
    if (g.state == GroupState::CompletingRebalance) return fail_all(err::kRebalanceInProgress);
    auto m = g.members.find(req.member_id);
    if (m == g.members.end()) return fail_all(err::kUnknownMemberId);
    if (req.group_instance_id && m->second.group_instance_id != req.group_instance_id)
      return fail_all(err::kFencedInstanceId);
    if (req.generation_id != g.generation_id) return fail_all(err::kIllegalGeneration);
    m->second.session_deadline_ms = now() + m->second.session_timeout_ms;
  }
  std::vector<OffsetCommitEntry> valid;
  valid.reserve(req.offsets.size());
  int64_t t = now();
  for (const OffsetCommitEntry& e : req.offsets) {
    if (!plausible_topic(e.tp.topic) || e.tp.partition < 0) continue;
    valid.push_back(e);
    if (valid.back().committed.commit_timestamp_ms <= 0)
      valid.back().committed.commit_timestamp_ms = t;
  }
  storage::Status st = offsets_.commit(req.group_id, valid);
  if (!st.ok())
    spdlog::error("kafka group {}: storing committed offsets failed: {}", req.group_id, st.message);
  for (const OffsetCommitEntry& e : req.offsets) {
    int16_t error = err::kNone;
    if (!plausible_topic(e.tp.topic) || e.tp.partition < 0)
      error = err::kUnknownTopicOrPartition;
    else if (!st.ok())
      error = err::kKafkaStorageError;
    result.push_back({e.tp, error});
  }
  return result;
}

OffsetFetchResult GroupCoordinator::fetch_offsets(
    const std::string& group_id, const std::optional<std::vector<TopicPartition>>& partitions) {
  OffsetFetchResult result;
  std::lock_guard lock(mu_);
  if (!partitions) {
    result.partitions = offsets_.all(group_id);
    return result;
  }
  result.partitions.reserve(partitions->size());
  for (const TopicPartition& tp : *partitions) {
    OffsetFetchEntry e{tp, {}, err::kNone};
    if (const CommittedOffset* c = offsets_.find(group_id, tp)) e.committed = *c;
    result.partitions.push_back(std::move(e));
  }
  return result;
}

std::vector<GroupListing> GroupCoordinator::list_groups() {
  std::lock_guard lock(mu_);
  std::vector<GroupListing> out;
  out.reserve(groups_.size());
  for (const auto& [id, g] : groups_) out.push_back({id, g.protocol_type, g.state});
  return out;
}

GroupDescription GroupCoordinator::describe(const std::string& group_id) {
  std::lock_guard lock(mu_);
  GroupDescription d;
  d.group_id = group_id;
  auto git = groups_.find(group_id);
  if (git == groups_.end()) return d;  // Kafka answers unknown groups as Dead, no error
  const Group& g = git->second;
  d.state = g.state;
  d.protocol_type = g.protocol_type;
  bool stable = g.state == GroupState::Stable;
  if (stable) d.protocol_name = g.protocol_name;
  for (const auto& [id, m] : g.members) {
    DescribedMember dm{id, m.group_instance_id, m.client_id, m.client_host, {}, {}};
    if (stable) {
      if (const Bytes* md = m.metadata_for(g.protocol_name)) dm.metadata = *md;
      dm.assignment = m.assignment;
    }
    d.members.push_back(std::move(dm));
  }
  return d;
}

std::vector<DeleteGroupResult> GroupCoordinator::delete_groups(
    const std::vector<std::string>& group_ids) {
  std::vector<DeleteGroupResult> out;
  {
    std::lock_guard lock(mu_);
    for (const std::string& id : group_ids) {
      DeleteGroupResult r{id, err::kNone};
      auto git = groups_.find(id);
      if (id.empty()) {
        r.error = err::kInvalidGroupId;
      } else if (git == groups_.end()) {
        r.error = err::kGroupIdNotFound;
      } else if (!git->second.members.empty() || git->second.state != GroupState::Empty) {
        r.error = err::kNonEmptyGroup;
      } else if (!offsets_.erase_group(id).ok()) {
        r.error = err::kKafkaStorageError;
      } else {
        if (git->second.had_members) erase_group_record(id);
        groups_.erase(git);
        spdlog::info("kafka group {}: deleted", id);
      }
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace unimq::kafka::groups
