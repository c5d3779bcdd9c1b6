// GroupCoordinator: the membership state machine (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, session and rebalance timeouts), after Kafka's classic GroupCoordinator.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/kafka/groups/group_coordinator.h"

namespace unimq::kafka::groups {
namespace {

void answer_join(GroupCoordinator::Completions& out, JoinCallback cb, JoinResult r) {
  out.push_back([cb = std::move(cb), r = std::move(r)] { cb(r); });
}

void answer_join_error(GroupCoordinator::Completions& out, JoinCallback cb, int16_t error,
                       const std::string& member_id = {}) {
  JoinResult r;
  r.error = error;
  r.member_id = member_id;
  answer_join(out, std::move(cb), std::move(r));
}

void answer_sync(GroupCoordinator::Completions& out, SyncCallback cb, SyncResult r) {
  out.push_back([cb = std::move(cb), r = std::move(r)] { cb(r); });
}

void answer_sync_error(GroupCoordinator::Completions& out, SyncCallback cb, int16_t error) {
  SyncResult r;
  r.error = error;
  answer_sync(out, std::move(cb), std::move(r));
}

// A static member's instance id must map to the member id it presents.
bool fenced(const Group& g, const std::string& member_id,
            const std::optional<std::string>& instance_id) {
  if (!instance_id) return false;
  auto it = g.static_members.find(*instance_id);
  return it != g.static_members.end() && it->second != member_id;
}

}  // namespace

void GroupCoordinator::join(const JoinRequest& req, JoinCallback done) {
  Completions out;
  {
    std::lock_guard lock(mu_);
    join_locked(req, done, out);
  }
  run(out);
}

void GroupCoordinator::join_locked(const JoinRequest& req, JoinCallback& done, Completions& out) {
  if (req.group_id.empty()) return answer_join_error(out, std::move(done), err::kInvalidGroupId);
  if (req.session_timeout_ms <= 0 || req.session_timeout_ms > options_.max_session_timeout_ms)
    return answer_join_error(out, std::move(done), err::kInvalidSessionTimeout, req.member_id);
  auto it = groups_.find(req.group_id);
  if (it == groups_.end()) {
    if (!req.member_id.empty())
      return answer_join_error(out, std::move(done), err::kUnknownMemberId, req.member_id);
    Group fresh;
    if (!fresh.accepts(req.protocol_type, req.protocols, req.member_id))
      return answer_join_error(out, std::move(done), err::kInconsistentGroupProtocol);
    fresh.group_id = req.group_id;
    it = groups_.emplace(req.group_id, std::move(fresh)).first;
  }
  Group& g = it->second;
  if (!g.accepts(req.protocol_type, req.protocols, req.member_id))
    return answer_join_error(out, std::move(done), err::kInconsistentGroupProtocol, req.member_id);
  if (req.member_id.empty())
    join_new_member(g, req, done, out);
  else
    join_known_member(g, req, done, out);
}

void GroupCoordinator::join_new_member(Group& g, const JoinRequest& req, JoinCallback& done,
                                       Completions& out) {
  if (req.group_instance_id) {
    auto s = g.static_members.find(*req.group_instance_id);
    if (s != g.static_members.end()) {
      // A static member restarted: the new member id replaces (fences) the old one, and the
      // group rebalances so every member learns the new id.
      std::string old_id = s->second;
      auto m = g.members.find(old_id);
      if (m != g.members.end()) {
        if (m->second.awaiting_join)
          answer_join_error(out, std::move(m->second.awaiting_join), err::kFencedInstanceId);
        if (m->second.awaiting_sync)
          answer_sync_error(out, std::move(m->second.awaiting_sync), err::kFencedInstanceId);
        Member moved = std::move(m->second);
        g.members.erase(m);
        moved.member_id = new_member_id(req.client_id);
        if (g.leader_id == old_id) g.leader_id = moved.member_id;
        s->second = moved.member_id;
        std::string id = moved.member_id;
        g.members.emplace(id, std::move(moved));
        update_member(g.members.at(id), req, done, out);
        if (g.state != GroupState::PreparingRebalance) prepare_rebalance(g, out);
        try_complete_join(g, out);
        return;
      }
      g.static_members.erase(s);
    }
    std::string id = new_member_id(req.client_id);
    g.static_members[*req.group_instance_id] = id;
    return add_member_and_rebalance(g, id, req, done, out);
  }
  std::string id = new_member_id(req.client_id);
  if (req.require_known_member_id) {
    // JoinGroup v4+: the client must come back with this id (so retries do not leak members).
    g.pending_members[id] = now() + req.session_timeout_ms;
    return answer_join_error(out, std::move(done), err::kMemberIdRequired, id);
  }
  add_member_and_rebalance(g, id, req, done, out);
}

void GroupCoordinator::join_known_member(Group& g, const JoinRequest& req, JoinCallback& done,
                                         Completions& out) {
  const std::string& id = req.member_id;
  if (g.pending_members.count(id)) return add_member_and_rebalance(g, id, req, done, out);
  auto it = g.members.find(id);
  if (it == g.members.end())
    return answer_join_error(out, std::move(done), err::kUnknownMemberId, id);
  if (fenced(g, id, req.group_instance_id))
    return answer_join_error(out, std::move(done), err::kFencedInstanceId, id);
  Member& m = it->second;
  switch (g.state) {
    case GroupState::PreparingRebalance:
      update_member(m, req, done, out);
      return try_complete_join(g, out);
    case GroupState::CompletingRebalance:
    case GroupState::Stable: {
      bool unchanged = m.same_protocols(req.protocols);
      bool leader_rejoin = g.state == GroupState::Stable && g.leader_id == id;
      if (unchanged && !leader_rejoin) {
        // Nothing changed (e.g. a retried JoinGroup): answer with the current generation.
        m.session_deadline_ms = now() + m.session_timeout_ms;
        return answer_join(out, std::move(done), join_result_for(g, m));
      }
      update_member(m, req, done, out);
      prepare_rebalance(g, out);
      return try_complete_join(g, out);
    }
    case GroupState::Empty:
    case GroupState::Dead:
      return answer_join_error(out, std::move(done), err::kUnknownMemberId, id);
  }
}

void GroupCoordinator::add_member_and_rebalance(Group& g, const std::string& id,
                                                const JoinRequest& req, JoinCallback& done,
                                                Completions& out) {
  g.pending_members.erase(id);
  Member m;
  m.member_id = id;
  m.group_instance_id = req.group_instance_id;
  m.client_id = req.client_id;
  m.client_host = req.client_host;
  if (g.members.empty()) g.protocol_type = req.protocol_type;
  if (g.leader_id.empty() || !g.members.count(g.leader_id)) g.leader_id = id;
  auto [it, _] = g.members.emplace(id, std::move(m));
  update_member(it->second, req, done, out);
  if (g.state == GroupState::PreparingRebalance && g.initial_delay_until_ms > 0) {
    // New group still gathering members: each arrival extends the delay, within the
    // rebalance timeout.
    int64_t limit = g.rebalance_deadline_ms;
    g.initial_delay_until_ms =
        std::min(limit, now() + int64_t(options_.initial_rebalance_delay_ms));
  }
  if (g.state != GroupState::PreparingRebalance) prepare_rebalance(g, out);
  try_complete_join(g, out);
}

void GroupCoordinator::update_member(Member& m, const JoinRequest& req, JoinCallback& done,
                                     Completions& out) {
  m.session_timeout_ms = req.session_timeout_ms;
  m.rebalance_timeout_ms =
      req.rebalance_timeout_ms > 0 ? req.rebalance_timeout_ms : req.session_timeout_ms;
  m.protocol_type = req.protocol_type;
  m.protocols = req.protocols;
  if (!req.client_id.empty()) m.client_id = req.client_id;
  if (!req.client_host.empty()) m.client_host = req.client_host;
  m.session_deadline_ms = now() + m.session_timeout_ms;
  if (m.awaiting_join) {
    // A second JoinGroup from the same member replaces the held one.
    answer_join_error(out, std::move(m.awaiting_join), err::kRebalanceInProgress, m.member_id);
  }
  m.awaiting_join = std::move(done);
}

void GroupCoordinator::prepare_rebalance(Group& g, Completions& out) {
  if (g.state == GroupState::CompletingRebalance) {
    for (auto& [_, m] : g.members) {
      m.assignment.clear();
      if (m.awaiting_sync)
        answer_sync_error(out, std::move(m.awaiting_sync), err::kRebalanceInProgress);
      m.awaiting_sync = nullptr;
    }
  }
  bool new_group = g.state == GroupState::Empty;
  if (new_group) became_active(g);
  g.state = GroupState::PreparingRebalance;
  g.rebalance_deadline_ms = now() + g.max_rebalance_timeout_ms();
  g.initial_delay_until_ms = 0;
  if (new_group && options_.initial_rebalance_delay_ms > 0)
    g.initial_delay_until_ms =
        std::min(g.rebalance_deadline_ms, now() + int64_t(options_.initial_rebalance_delay_ms));
  spdlog::debug("kafka group {}: preparing rebalance (generation {}, {} members)", g.group_id,
                g.generation_id, g.members.size());
}

void GroupCoordinator::try_complete_join(Group& g, Completions& out) {
  if (g.state != GroupState::PreparingRebalance) return;
  int64_t t = now();
  if (g.initial_delay_until_ms > 0 && t < g.initial_delay_until_ms) return;
  if (g.all_members_joined() || t >= g.rebalance_deadline_ms) complete_join(g, out);
}

void GroupCoordinator::complete_join(Group& g, Completions& out) {
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.members)
    if (!m.awaiting_join) gone.push_back(id);
  for (const std::string& id : gone) {
    spdlog::info("kafka group {}: member {} did not rejoin in time, removed", g.group_id, id);
    remove_member(g, id, out);
  }
  g.pending_members.clear();
  g.initial_delay_until_ms = 0;
  ++g.generation_id;
  if (g.members.empty()) {
    g.state = GroupState::Empty;
    g.protocol_name.clear();
    g.leader_id.clear();
    became_empty(g);
    return;
  }
  if (!g.members.count(g.leader_id)) g.leader_id = g.members.begin()->first;
  g.protocol_name = g.select_protocol();
  g.state = GroupState::CompletingRebalance;
  int64_t t = now();
  g.sync_deadline_ms = t + g.max_rebalance_timeout_ms();
  for (auto& [_, m] : g.members) {
    answer_join(out, std::move(m.awaiting_join), join_result_for(g, m));
    m.awaiting_join = nullptr;
    m.session_deadline_ms = t + m.session_timeout_ms;
  }
  spdlog::info("kafka group {}: generation {} with {} members, protocol {}, leader {}", g.group_id,
               g.generation_id, g.members.size(), g.protocol_name, g.leader_id);
}

JoinResult GroupCoordinator::join_result_for(const Group& g, const Member& m) const {
  JoinResult r;
  r.generation_id = g.generation_id;
  r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol_name;
  r.leader = g.leader_id;
  r.member_id = m.member_id;
  if (m.member_id == g.leader_id) {
    r.members.reserve(g.members.size());
    for (const auto& [id, other] : g.members) {
      const Bytes* md = other.metadata_for(g.protocol_name);
      r.members.push_back({id, other.group_instance_id, md ? *md : Bytes{}});
    }
  }
  return r;
}

void GroupCoordinator::sync(const SyncRequest& req, SyncCallback done) {
  Completions out;
  {
    std::lock_guard lock(mu_);
    sync_locked(req, done, out);
  }
  run(out);
}

void GroupCoordinator::sync_locked(const SyncRequest& req, SyncCallback& done, Completions& out) {
  auto git = groups_.find(req.group_id);
  if (git == groups_.end()) return answer_sync_error(out, std::move(done), err::kUnknownMemberId);
  Group& g = git->second;
  auto it = g.members.find(req.member_id);
  if (it == g.members.end()) return answer_sync_error(out, std::move(done), err::kUnknownMemberId);
  if (fenced(g, req.member_id, req.group_instance_id))
    return answer_sync_error(out, std::move(done), err::kFencedInstanceId);
  if (req.generation_id != g.generation_id)
    return answer_sync_error(out, std::move(done), err::kIllegalGeneration);
  if ((req.protocol_type && *req.protocol_type != g.protocol_type) ||
      (req.protocol_name && *req.protocol_name != g.protocol_name))
    return answer_sync_error(out, std::move(done), err::kInconsistentGroupProtocol);
  Member& m = it->second;
  m.session_deadline_ms = now() + m.session_timeout_ms;
  switch (g.state) {
    case GroupState::Empty:
    case GroupState::Dead:
      return answer_sync_error(out, std::move(done), err::kUnknownMemberId);
    case GroupState::PreparingRebalance:
      return answer_sync_error(out, std::move(done), err::kRebalanceInProgress);
    case GroupState::Stable:
      return answer_sync(out, std::move(done),
                         {err::kNone, g.protocol_type, g.protocol_name, m.assignment});
    case GroupState::CompletingRebalance:
      break;
  }
  m.awaiting_sync = std::move(done);
  if (req.member_id != g.leader_id) return;
  for (auto& [_, member] : g.members) member.assignment.clear();
  for (const SyncAssignment& a : req.assignments) {
    auto target = g.members.find(a.member_id);
    if (target != g.members.end()) target->second.assignment = a.assignment;
  }
  g.state = GroupState::Stable;
  for (auto& [_, member] : g.members) {
    if (!member.awaiting_sync) continue;
    answer_sync(out, std::move(member.awaiting_sync),
                {err::kNone, g.protocol_type, g.protocol_name, member.assignment});
    member.awaiting_sync = nullptr;
  }
}

int16_t GroupCoordinator::heartbeat(const HeartbeatRequest& req) {
  std::lock_guard lock(mu_);
  auto git = groups_.find(req.group_id);
  if (git == groups_.end()) return err::kUnknownMemberId;
  Group& g = git->second;
  auto it = g.members.find(req.member_id);
  if (it == g.members.end()) return err::kUnknownMemberId;
  if (fenced(g, req.member_id, req.group_instance_id)) return err::kFencedInstanceId;
  Member& m = it->second;
  switch (g.state) {
    case GroupState::Empty:
    case GroupState::Dead:
      return err::kUnknownMemberId;
    case GroupState::PreparingRebalance:
      m.session_deadline_ms = now() + m.session_timeout_ms;
      return err::kRebalanceInProgress;
    case GroupState::CompletingRebalance:
    case GroupState::Stable:
      if (req.generation_id != g.generation_id) return err::kIllegalGeneration;
      m.session_deadline_ms = now() + m.session_timeout_ms;
      return err::kNone;
  }
  return err::kNone;
}

LeaveResult GroupCoordinator::leave(const std::string& group_id,
                                    const std::vector<LeaveMember>& members) {
  LeaveResult result;
  Completions out;
  {
    std::lock_guard lock(mu_);
    auto git = groups_.find(group_id);
    for (const LeaveMember& lm : members) {
      LeaveMemberResult r{lm.member_id, lm.group_instance_id, err::kNone};
      if (git == groups_.end()) {
        r.error = err::kUnknownMemberId;
        result.members.push_back(std::move(r));
        continue;
      }
      Group& g = git->second;
      std::string id = lm.member_id;
      if (lm.group_instance_id) {
        auto s = g.static_members.find(*lm.group_instance_id);
        if (s == g.static_members.end())
          r.error = err::kUnknownMemberId;
        else if (!id.empty() && id != s->second)
          r.error = err::kFencedInstanceId;
        else
          id = s->second;
      }
      if (r.error == err::kNone) {
        if (g.pending_members.erase(id)) {
          try_complete_join(g, out);
        } else if (!g.members.count(id)) {
          r.error = err::kUnknownMemberId;
        } else {
          spdlog::info("kafka group {}: member {} left", g.group_id, id);
          remove_member_and_update(g, id, out);
        }
      }
      result.members.push_back(std::move(r));
    }
  }
  run(out);
  return result;
}

void GroupCoordinator::remove_member(Group& g, const std::string& id, Completions& out) {
  auto it = g.members.find(id);
  if (it == g.members.end()) return;
  Member& m = it->second;
  if (m.awaiting_join) answer_join_error(out, std::move(m.awaiting_join), err::kUnknownMemberId);
  if (m.awaiting_sync) answer_sync_error(out, std::move(m.awaiting_sync), err::kUnknownMemberId);
  if (m.group_instance_id) g.static_members.erase(*m.group_instance_id);
  g.members.erase(it);
  if (g.leader_id == id) {
    g.leader_id.clear();
    for (const auto& [other, om] : g.members)
      if (om.awaiting_join || g.leader_id.empty()) g.leader_id = other;
  }
}

void GroupCoordinator::remove_member_and_update(Group& g, const std::string& id, Completions& out) {
  remove_member(g, id, out);
  if (g.state == GroupState::Stable || g.state == GroupState::CompletingRebalance)
    prepare_rebalance(g, out);
  try_complete_join(g, out);
}

void GroupCoordinator::tick() {
  Completions out;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, g] : groups_) tick_group(g, out);
    if (now() >= next_retention_check_ms_) {
      next_retention_check_ms_ = now() + options_.offsets_retention_check_interval_ms;
      expire_offsets();
    }
  }
  run(out);
}

void GroupCoordinator::tick_group(Group& g, Completions& out) {
  int64_t t = now();
  size_t pending_before = g.pending_members.size();
  std::erase_if(g.pending_members, [t](const auto& kv) { return kv.second <= t; });
  std::vector<std::string> expired;
  for (const auto& [id, m] : g.members)
    if (!m.awaiting_join && !m.awaiting_sync && m.session_deadline_ms <= t) expired.push_back(id);
  for (const std::string& id : expired) {
    spdlog::info("kafka group {}: member {} session timed out", g.group_id, id);
    remove_member_and_update(g, id, out);
  }
  if (g.state == GroupState::CompletingRebalance && t >= g.sync_deadline_ms) {
    // The leader never sent its assignment: drop the members that did not sync and retry.
    std::vector<std::string> stale;
    for (const auto& [id, m] : g.members)
      if (!m.awaiting_sync) stale.push_back(id);
    spdlog::info("kafka group {}: leader {} did not sync in time", g.group_id, g.leader_id);
    for (const std::string& id : stale) remove_member(g, id, out);
    prepare_rebalance(g, out);
  }
  if (pending_before != g.pending_members.size() || g.state == GroupState::PreparingRebalance)
    try_complete_join(g, out);
}

}  // namespace unimq::kafka::groups
