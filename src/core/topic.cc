#include "core/topic.h"

#include <cstddef>

namespace unimq::core {

namespace {

constexpr size_t kMaxTopicBytes = 65535;  // MQTT UTF-8 string length prefix is 16 bits

constexpr std::string_view kSharePrefix = "$share/";
constexpr std::string_view kQueuePrefix = "$queue/";

}  // namespace

bool valid_topic_name(std::string_view topic) {
  if (topic.empty() || topic.size() > kMaxTopicBytes) return false;
  for (char c : topic) {
    if (c == '+' || c == '#' || c == '\0') return false;
  }
  return true;
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxTopicBytes) return false;
  size_t level_start = 0;
  for (size_t i = 0; i < filter.size(); ++i) {
    const char c = filter[i];
    if (c == '\0') return false;
    if (c == '/') {
      level_start = i + 1;
      continue;
    }
    if (c == '+' || c == '#') {
      // A wildcard must be the whole level: preceded by '/' (or start) and followed by '/'
      // (or end); '#' must in addition be the last character of the filter.
      if (i != level_start) return false;
      const bool at_end = i + 1 == filter.size();
      if (c == '#' && !at_end) return false;
      if (c == '+' && !at_end && filter[i + 1] != '/') return false;
    }
  }
  return true;
}

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (filter.empty() || topic.empty()) return false;
  // '$'-topics are reserved for the server: a leading wildcard must not reach them.
  if (topic.front() == '$' && (filter.front() == '+' || filter.front() == '#')) return false;

  size_t fpos = 0;
  size_t tpos = 0;
  bool topic_done = false;  // every topic level has been consumed
  while (true) {
    const size_t fend = filter.find('/', fpos);
    const std::string_view flevel = filter.substr(fpos, fend - fpos);
    // '#' covers the remaining levels, including none ("a/#" matches "a").
    if (flevel == "#") return true;
    if (topic_done) return false;
    const size_t tend = topic.find('/', tpos);
    const std::string_view tlevel = topic.substr(tpos, tend - tpos);
    if (flevel != "+" && flevel != tlevel) return false;
    const bool filter_last = fend == std::string_view::npos;
    const bool topic_last = tend == std::string_view::npos;
    if (filter_last) return topic_last;
    fpos = fend + 1;
    if (topic_last) {
      topic_done = true;
    } else {
      tpos = tend + 1;
    }
  }
}

SharedFilter parse_shared(std::string_view filter) {
  SharedFilter out;
  if (filter.starts_with(kQueuePrefix)) {
    out.shared = true;
    out.group = "$queue";
    out.filter = filter.substr(kQueuePrefix.size());
    out.valid = !out.filter.empty();
    return out;
  }
  if (!filter.starts_with(kSharePrefix)) {
    out.filter = filter;
    return out;
  }
  out.shared = true;
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) {
    // "$share/" or "$share/group": no filter at all.
    out.group = rest;
    out.valid = false;
    return out;
  }
  out.group = rest.substr(0, slash);
  out.filter = rest.substr(slash + 1);
  out.valid = !out.group.empty() && out.group.find_first_of("+#") == std::string_view::npos &&
              !out.filter.empty();
  return out;
}

}  // namespace unimq::core
