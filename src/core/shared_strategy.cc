#include "core/shared_strategy.h"

namespace unimq::core {

namespace {

// splitmix64: turns any seed (including 0) into a well-mixed non-zero xorshift state.
uint64_t mix_seed(uint64_t seed) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z != 0 ? z : 0x2545F4914F6CDD1Dull;
}

uint64_t xorshift64(uint64_t& state) {
  uint64_t x = state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  state = x;
  return x;
}

// FNV-1a: stable across processes and builds, so a publisher keeps its member after restarts
// (std::hash gives no such guarantee).
uint64_t fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

std::optional<SharedStrategy> parse_shared_strategy(std::string_view s) {
  if (s == "round_robin") return SharedStrategy::RoundRobin;
  if (s == "random") return SharedStrategy::Random;
  if (s == "sticky") return SharedStrategy::Sticky;
  if (s == "hash_clientid" || s == "hash") return SharedStrategy::HashClientId;
  return std::nullopt;
}

const char* shared_strategy_name(SharedStrategy s) {
  switch (s) {
    case SharedStrategy::RoundRobin:
      return "round_robin";
    case SharedStrategy::Random:
      return "random";
    case SharedStrategy::Sticky:
      return "sticky";
    case SharedStrategy::HashClientId:
      return "hash_clientid";
  }
  return "unknown";
}

SharedPicker::SharedPicker(SharedStrategy s, uint64_t seed) : strategy_(s), rng_(mix_seed(seed)) {}

size_t SharedPicker::pick(size_t members, std::string_view publisher_client_id) {
  if (members == 0) return 0;  // caller never asks for an empty group; stay in range anyway
  switch (strategy_) {
    case SharedStrategy::RoundRobin: {
      const size_t idx = next_ % members;
      next_ = idx + 1;
      return idx;
    }
    case SharedStrategy::Random:
      return static_cast<size_t>(xorshift64(rng_) % members);
    case SharedStrategy::Sticky:
      if (!sticky_ || *sticky_ >= members) {
        sticky_ = static_cast<size_t>(xorshift64(rng_) % members);
      }
      return *sticky_;
    case SharedStrategy::HashClientId:
      return static_cast<size_t>(fnv1a(publisher_client_id) % members);
  }
  return 0;
}

void SharedPicker::on_member_removed(size_t removed, size_t members_left) {
  if (members_left == 0) {
    next_ = 0;
    sticky_.reset();
    return;
  }
  // Members after `removed` shift down by one: shift the cursor with them so the cycle
  // neither skips nor repeats a member.
  if (removed < next_) --next_;
  if (next_ >= members_left) next_ = 0;
  if (sticky_) {
    if (*sticky_ == removed) {
      sticky_.reset();  // the next pick chooses a new member
    } else if (*sticky_ > removed) {
      --*sticky_;
    }
  }
}

}  // namespace unimq::core
