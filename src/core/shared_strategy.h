// How a share group ($share/{group}/{filter}, $queue/{filter}) picks the one member that gets
// each message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace unimq::core {

enum class SharedStrategy { RoundRobin, Random, Sticky, HashClientId };

// Parses "round_robin", "random", "sticky", "hash_clientid"; nullopt if unknown.
std::optional<SharedStrategy> parse_shared_strategy(std::string_view s);
const char* shared_strategy_name(SharedStrategy s);

// Per-group picking state. pick() returns an index in [0, members).
class SharedPicker {
 public:
  SharedPicker(SharedStrategy s, uint64_t seed);
  size_t pick(size_t members, std::string_view publisher_client_id);
  // A member was removed at index `removed`; keeps sticky/round-robin positions sensible.
  void on_member_removed(size_t removed, size_t members_left);

 private:
  SharedStrategy strategy_;
  uint64_t rng_;        // xorshift state for Random
  size_t next_ = 0;     // RoundRobin cursor
  std::optional<size_t> sticky_;
};

}  // namespace unimq::core
