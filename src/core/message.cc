#include "core/message.h"

namespace unimq::core {

std::optional<uint32_t> Message::remaining_expiry(Clock::time_point now) const {
  if (!expires_at) return std::nullopt;
  auto left = std::chrono::duration_cast<std::chrono::seconds>(*expires_at - now).count();
  return left < 1 ? 1u : static_cast<uint32_t>(left);
}

}  // namespace unimq::core
