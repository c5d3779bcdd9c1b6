// What one session receives for one routed message, after merging its overlapping
// subscriptions: the granted QoS, the retain flag to send, and the subscription identifiers.
#pragma once

#include <cstdint>
#include <vector>

#include "core/message.h"

namespace unimq::mqtt {

struct Delivery {
  uint64_t session_id = 0;
  uint8_t qos = 0;
  bool retain = false;
  std::vector<uint32_t> subscription_ids;
  // Set for a share-group pick: if the session is gone when this arrives, another member of
  // the group gets the message instead ([MQTT-4.8.2], Shared Subscriptions). `hops` bounds
  // how often it is passed on.
  uint64_t share_key = 0;
  uint8_t hops = 0;
};

// A message waiting in a session (queued, or in flight towards the client).
struct Outbound {
  core::MessagePtr msg;
  uint8_t qos = 0;
  bool retain = false;
  std::vector<uint32_t> subscription_ids;
  uint32_t stream = 0;     // journal position of msg (kept after msg is released, QoS 2)
  int64_t offset = -1;     // -1 = not journaled
  uint64_t share_key = 0;  // from a share group: passed to another member if the session ends
};

}  // namespace unimq::mqtt
