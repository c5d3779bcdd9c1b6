// Micro-benchmark of the subscription index: subscribe rate, match rate and heap footprint
// at 1k / 10k / 100k subscriptions (mostly exact filters, some per-device and global
// wildcards). Run a Release build: `core_bench [match_iterations]`.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/subscription_index.h"

namespace {

using unimq::core::Match;
using unimq::core::MatchContext;
using unimq::core::SubscriberRef;
using unimq::core::SubscriptionIndex;
using unimq::core::SubscriptionOptions;
using BenchClock = std::chrono::steady_clock;

double seconds_since(BenchClock::time_point start) {
  return std::chrono::duration<double>(BenchClock::now() - start).count();
}

// Bytes currently allocated from the heap (glibc); the delta around building the index is
// its memory footprint including the allocator's per-chunk overhead.
size_t heap_in_use() {
#if defined(__GLIBC__)
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

struct Filter {
  std::string filter;
  std::string group;
};

// Per device i: 70% exact, 20% "+", 10% "#"; every 100th device also joins a share group.
std::vector<Filter> make_filters(size_t n) {
  std::vector<Filter> out;
  out.reserve(n);
  for (size_t i = 0; out.size() < n; ++i) {
    const std::string dev = "devices/" + std::to_string(i);
    const size_t kind = i % 10;
    if (kind == 0) {
      out.push_back({dev + "/#", ""});
    } else if (kind <= 2) {
      out.push_back({dev + "/+/temp", ""});
    } else {
      out.push_back({dev + "/room" + std::to_string(i % 8) + "/temp", ""});
    }
    if (i % 100 == 0 && out.size() < n) out.push_back({"jobs/" + std::to_string(i / 100), "w"});
  }
  // A few broad wildcards every publish has to consider.
  const char* global[] = {"devices/+/+/alarm", "devices/+/room1/+", "$SYS/#", "+/status"};
  for (size_t g = 0; g < 4 && g < n; ++g) out[n - 1 - g] = {global[g], ""};
  return out;
}

std::vector<std::string> make_topics(size_t devices, size_t count) {
  std::mt19937_64 rng(42);
  std::vector<std::string> topics;
  topics.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    // ~10% of publishes go to devices nobody subscribed to.
    const size_t dev = rng() % (devices + devices / 10 + 1);
    const char* leaf = (rng() % 4 == 0) ? "hum" : "temp";
    topics.push_back("devices/" + std::to_string(dev) + "/room" + std::to_string(rng() % 8) + "/" +
                     leaf);
  }
  return topics;
}

void run(size_t n, size_t match_iterations) {
  const auto filters = make_filters(n);
  const auto topics = make_topics(n, 4096);
  SubscriptionOptions opts;
  opts.qos = 1;

  const size_t heap_before = heap_in_use();
  auto idx = std::make_unique<SubscriptionIndex>();
  auto start = BenchClock::now();
  for (size_t i = 0; i < filters.size(); ++i) {
    idx->add(filters[i].filter, filters[i].group, SubscriberRef{i + 1, uint32_t(i % 4)}, opts);
  }
  const double sub_s = seconds_since(start);
  const size_t heap_bytes = heap_in_use() - heap_before;

  std::vector<Match> out;
  out.reserve(64);
  size_t total_matches = 0;
  start = BenchClock::now();
  for (size_t i = 0; i < match_iterations; ++i) {
    out.clear();
    idx->match(topics[i % topics.size()], MatchContext{"publisher-1"}, out);
    total_matches += out.size();
  }
  const double match_s = seconds_since(start);

  start = BenchClock::now();
  for (size_t i = 0; i < filters.size(); ++i) idx->remove_all(i + 1);
  const double unsub_s = seconds_since(start);
  if (idx->size() != 0) std::fprintf(stderr, "index not empty after remove_all\n");

  std::printf(
      "%7zu subs | subscribe %6.2f M/s | match %6.2f M topics/s (%5.0f ns/topic, %.2f "
      "subscribers/topic) | remove_all %6.2f M/s | heap %6.1f MiB (%4.0f B/sub)\n",
      n, filters.size() / sub_s / 1e6, match_iterations / match_s / 1e6,
      match_s / match_iterations * 1e9, double(total_matches) / match_iterations,
      filters.size() / unsub_s / 1e6, heap_bytes / (1024.0 * 1024.0), double(heap_bytes) / n);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t iterations = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2'000'000;
  std::printf("core_bench: SubscriptionIndex (%zu matches per size)\n", iterations);
  for (size_t n : {1'000, 10'000, 100'000}) run(n, iterations);
  return 0;
}
