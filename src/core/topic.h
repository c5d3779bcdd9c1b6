// Topic names and filters (MQTT rules, used by every protocol that routes by topic).
#pragma once

#include <string_view>

namespace unimq::core {

// A topic name to publish to: non-empty, no '+' or '#', no U+0000, <= 65535 bytes.
bool valid_topic_name(std::string_view topic);
// A subscription filter: non-empty; '+' alone in its level; '#' alone and last.
bool valid_topic_filter(std::string_view filter);
bool has_wildcard(std::string_view filter);
// Does `filter` match `topic`? '$'-topics are not matched by a leading '+' or '#'.
bool topic_matches(std::string_view filter, std::string_view topic);

// "$share/{group}/{filter}" and "$queue/{filter}" (group "$queue").
struct SharedFilter {
  bool shared = false;
  std::string_view group;   // empty when not shared
  std::string_view filter;  // the real filter
  bool valid = true;        // false for "$share/", "$share/g", bad group names
};
SharedFilter parse_shared(std::string_view filter);

}  // namespace unimq::core
