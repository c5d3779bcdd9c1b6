// Answers a request at a version the broker does not serve (but Kafka's schemas define) with
// UNSUPPORTED_VERSION in that version's response format (unsupported_version.cc).
#pragma once

#include <cstdint>

namespace unimq::kafka {

struct RequestContext;

// Whether answer_unsupported_version() knows api_key's error answer (else: close).
bool answers_unsupported_versions(int16_t api_key);
// Answers ctx (or closes the connection: a malformed body, Produce with acks=0).
void answer_unsupported_version(RequestContext& ctx);

}  // namespace unimq::kafka
