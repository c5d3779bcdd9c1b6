// Wall-clock time in milliseconds since the Unix epoch (timestamps, persisted deadlines).
#pragma once

#include <chrono>
#include <cstdint>

namespace unimq::core {

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace unimq::core
