// Answers a request at a version the broker does not serve (but Kafka's schemas define) with
// UNSUPPORTED_VERSION in that version's response format (unsupported_version.cc).
#pragma once

#include <cstdint>

#include "protocol/kafka/handlers/handler.h"

namespace unimq::kafka {

// The handler answering api_key's requests at such a version (it closes the connection on a
// malformed body, or for Produce with acks=0), or nullptr: no error answer, close.
HandlerFn unsupported_version_answer(int16_t api_key);

}  // namespace unimq::kafka
