// Run phases shared between the control thread (writer) and the io threads (readers).
#pragma once

#include <atomic>

namespace unimq::bench {

enum class Phase : int { Setup, Warmup, Measure, Drain, Done };

struct RunState {
  std::atomic<Phase> phase{Phase::Setup};

  Phase get() const { return phase.load(std::memory_order_relaxed); }
  bool measuring() const { return get() == Phase::Measure; }
};

// Single-writer counter readable from other threads without a locked instruction.
inline void bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace unimq::bench
