// The consumer-group coordinator of this node (every group's coordinator is this node): the
// classic group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup state machine) and the
// committed offsets (OffsetStore). Assignments are computed by the client leader; the
// coordinator relays the bytes and accepts any protocol (assignor) name.
//
// Threading: one mutex guards all groups. Group operations are rare next to produce/fetch
// (joins, ~1 heartbeat per member every few seconds, periodic commits), so a lock is simpler
// than pinning each group to a loop and gives the same answers from any connection's loop.
// Held JoinGroup/SyncGroup answers are callbacks; every callback runs after the lock is
// released, on the thread that completed it (the caller of join/sync/leave/tick), possibly
// inside the call itself: handlers post the answer to their connection's loop.
// Time: deadlines use the injected clock; tick() (driven by a timer on one loop, or
// explicitly in tests) expires sessions and ends rebalances whose timeout passed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "protocol/kafka/groups/group.h"
#include "protocol/kafka/groups/group_types.h"
#include "protocol/kafka/groups/offset_store.h"
#include "storage/kv_store.h"

namespace unimq::kafka::groups {

struct CoordinatorOptions {
  int32_t initial_rebalance_delay_ms = 0;  // kafka.group_initial_rebalance_delay_ms
  int32_t max_session_timeout_ms = 1800000;
  // offsets.retention.minutes: committed offsets of a group that became Empty are deleted this
  // long after (a standalone committer's: this long after each commit). <= 0: never.
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;
  // offsets.retention.check.interval.ms: how often tick() looks for expired offsets (and drops
  // Empty groups left with no offsets).
  int64_t offsets_retention_check_interval_ms = 600000;
  std::function<int64_t()> clock;  // milliseconds; default: wall clock
};

class GroupCoordinator {
 public:
  GroupCoordinator(storage::KvStore& kv, CoordinatorOptions options = {});
  ~GroupCoordinator();
  GroupCoordinator(const GroupCoordinator&) = delete;
  GroupCoordinator& operator=(const GroupCoordinator&) = delete;

  // Loads committed offsets (groups with offsets appear as Empty groups).
  storage::Status load();

  void join(const JoinRequest& req, JoinCallback done);
  void sync(const SyncRequest& req, SyncCallback done);
  int16_t heartbeat(const HeartbeatRequest& req);
  LeaveResult leave(const std::string& group_id, const std::vector<LeaveMember>& members);

  std::vector<PartitionError> commit_offsets(const OffsetCommitRequest& req);
  // partitions = nullopt: every committed partition of the group.
  OffsetFetchResult fetch_offsets(const std::string& group_id,
                                  const std::optional<std::vector<TopicPartition>>& partitions);

  std::vector<GroupListing> list_groups();
  GroupDescription describe(const std::string& group_id);
  std::vector<DeleteGroupResult> delete_groups(const std::vector<std::string>& group_ids);

  // Expires member sessions and pending member ids, ends timed-out join/sync phases; every
  // offsets_retention_check_interval_ms, expires committed offsets.
  void tick();
  // Answers every held JoinGroup/SyncGroup with COORDINATOR_NOT_AVAILABLE (shutdown).
  void fail_pending();

  // Answers produced under the lock, run after it is released.
  using Completions = std::vector<std::function<void()>>;

 private:
  int64_t now() const { return options_.clock(); }
  std::string new_member_id(const std::string& client_id);
  static void run(Completions& done);

  void join_locked(const JoinRequest& req, JoinCallback& done, Completions& out);
  void join_new_member(Group& g, const JoinRequest& req, JoinCallback& done, Completions& out);
  void join_known_member(Group& g, const JoinRequest& req, JoinCallback& done, Completions& out);
  void add_member_and_rebalance(Group& g, const std::string& id, const JoinRequest& req,
                                JoinCallback& done, Completions& out);
  void update_member(Member& m, const JoinRequest& req, JoinCallback& done, Completions& out);
  void prepare_rebalance(Group& g, Completions& out);
  void try_complete_join(Group& g, Completions& out);
  void complete_join(Group& g, Completions& out);
  JoinResult join_result_for(const Group& g, const Member& m) const;
  void sync_locked(const SyncRequest& req, SyncCallback& done, Completions& out);
  void remove_member(Group& g, const std::string& id, Completions& out);
  void remove_member_and_update(Group& g, const std::string& id, Completions& out);
  void tick_group(Group& g, Completions& out);
  // Offset retention (group_retention.cc).
  void became_active(Group& g);
  void became_empty(Group& g);
  void load_group_records();
  void expire_offsets();
  void erase_group_record(const std::string& group_id);
  bool subscribed_topics(const Group& g, std::set<std::string>& topics) const;

  CoordinatorOptions options_;
  std::mutex mu_;
  std::map<std::string, Group> groups_;
  OffsetStore offsets_;
  storage::KvStore& kv_;
  int64_t next_retention_check_ms_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace unimq::kafka::groups
