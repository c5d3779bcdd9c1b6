#include "storage/types.h"

namespace unimq::storage {

std::string StreamId::to_string() const {
  return ns + "/" + name + "/" + std::to_string(partition);
}

const char* fsync_policy_name(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::Always:
      return "always";
    case FsyncPolicy::Interval:
      return "interval";
    case FsyncPolicy::Never:
      return "never";
  }
  return "?";
}

std::optional<FsyncPolicy> parse_fsync_policy(std::string_view s) {
  if (s == "always") return FsyncPolicy::Always;
  if (s == "interval") return FsyncPolicy::Interval;
  if (s == "never") return FsyncPolicy::Never;
  return std::nullopt;
}

}  // namespace unimq::storage
