#include "protocol/kafka/groups/group.h"

#include <algorithm>

namespace unimq::kafka::groups {

const char* state_name(GroupState s) {
  switch (s) {
    case GroupState::Empty:
      return "Empty";
    case GroupState::PreparingRebalance:
      return "PreparingRebalance";
    case GroupState::CompletingRebalance:
      return "CompletingRebalance";
    case GroupState::Stable:
      return "Stable";
    case GroupState::Dead:
      return "Dead";
  }
  return "Dead";
}

const Bytes* Member::metadata_for(const std::string& protocol) const {
  for (const ProtocolMetadata& p : protocols)
    if (p.name == protocol) return &p.metadata;
  return nullptr;
}

bool Member::same_protocols(const std::vector<ProtocolMetadata>& other) const {
  if (other.size() != protocols.size()) return false;
  for (size_t i = 0; i < other.size(); ++i)
    if (other[i].name != protocols[i].name || other[i].metadata != protocols[i].metadata)
      return false;
  return true;
}

bool Group::all_members_joined() const {
  if (!pending_members.empty()) return false;
  return std::all_of(members.begin(), members.end(),
                     [](const auto& kv) { return bool(kv.second.awaiting_join); });
}

int32_t Group::max_rebalance_timeout_ms() const {
  int32_t t = 0;
  for (const auto& [_, m] : members) t = std::max(t, m.rebalance_timeout_ms);
  return t;
}

std::string Group::select_protocol() const {
  auto leader = members.find(leader_id);
  if (leader == members.end()) {
    if (members.empty()) return {};
    leader = members.begin();
  }
  for (const ProtocolMetadata& p : leader->second.protocols) {
    bool all = std::all_of(members.begin(), members.end(),
                           [&](const auto& kv) { return kv.second.supports(p.name); });
    if (all) return p.name;
  }
  return {};
}

bool Group::accepts(const std::string& type, const std::vector<ProtocolMetadata>& p,
                    const std::string& self) const {
  if (p.empty() || type.empty()) return false;
  bool others =
      std::any_of(members.begin(), members.end(), [&](const auto& kv) { return kv.first != self; });
  if (!others) return true;
  if (type != protocol_type) return false;
  for (const ProtocolMetadata& candidate : p) {
    bool all = std::all_of(members.begin(), members.end(), [&](const auto& kv) {
      return kv.first == self || kv.second.supports(candidate.name);
    });
    if (all) return true;
  }
  return false;
}

}  // namespace unimq::kafka::groups
