// Turns an MQTT PUBLISH or will into the protocol-neutral core::Message.
#pragma once

#include <cstdint>
#include <string>

#include "core/message.h"
#include "protocol/mqtt/codec/packet.h"

namespace unimq::mqtt {

// Mutable until routed (the journal offset is filled in after the append).
std::shared_ptr<core::Message> build_message(const Publish& p, std::string topic,
                                             uint64_t origin_session,
                                             const std::string& origin_client);
core::MessagePtr build_will_message(const Will& w, uint64_t origin_session,
                                    const std::string& origin_client);

}  // namespace unimq::mqtt
