// Shared by AlterConfigs and IncrementalAlterConfigs: validates and applies topic config
// changes (persisted, retention pushed to the streams).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "protocol/kafka/error_codes.h"

namespace unimq::kafka {

class KafkaBroker;

struct AlterOutcome {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> message;
};

// resource_type 2 = topic (others: INVALID_REQUEST). `replace_all`: keys not in `changes` are
// reset to their defaults (AlterConfigs); otherwise only the listed keys change.
AlterOutcome alter_topic_configs(KafkaBroker& broker, int8_t resource_type,
                                 const std::string& topic,
                                 const std::map<std::string, std::optional<std::string>>& changes,
                                 bool replace_all, bool validate_only);

}  // namespace unimq::kafka
