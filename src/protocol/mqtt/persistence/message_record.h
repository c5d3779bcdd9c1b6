// The mapping between an MQTT message and a storage record, also the cross-protocol contract:
//   key       = MQTT topic
//   value     = payload
//   timestamp = publish time (wall clock, ms)
//   headers   = MQTT 5 user properties as they are, plus the MQTT attributes under
//               "$mqtt.*" names: qos, retain, pfi (payload format), content_type,
//               response_topic, correlation_data, expiry_ms (absolute wall-clock expiry).
#pragma once

#include <string>
#include <vector>

#include "core/message.h"
#include "storage/types.h"

namespace unimq::mqtt {

// Holds the strings an AppendRecord views into while it is being appended.
struct RecordScratch {
  std::vector<std::string> owned;
  storage::AppendRecord record;
};

void to_record(const core::Message& m, RecordScratch& out);
// nullptr if the record is not an MQTT message (no key).
core::MessagePtr from_record(const storage::Record& r);

}  // namespace unimq::mqtt
