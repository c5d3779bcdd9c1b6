// Process-wide metrics with a lock-free hot path and Prometheus text exposition (format 0.0.4).
//
// Registration (counter()/gauge()/gauge_fn()) takes a mutex and is meant for setup time: look a
// metric up once, keep the reference (valid for the registry's lifetime) and call inc()/add() on
// the hot path. Metrics sharing a name form one family (one HELP/TYPE block); each label set is
// one series. Registering the same name + labels again returns the existing metric.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace unimq::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

namespace detail {
inline constexpr size_t kShards = 64;
// Each thread gets a fixed shard on first use; threads beyond kShards share (still correct).
inline size_t shard_index() {
  static std::atomic<size_t> next{0};
  thread_local const size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return slot;
}
}  // namespace detail

// Monotonic counter. inc() is a relaxed add on the calling thread's cache line, so worker
// threads never contend; value() sums the shards (eventually consistent).
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void inc(uint64_t n = 1) {
    shards_[detail::shard_index()].v.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const;

 private:
  struct alignas(64) Shard {
    std::atomic<uint64_t> v{0};
  };
  std::array<Shard, detail::kShards> shards_;
};

// Value that goes up and down. A single atomic: set() must be exact, so no sharding.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void add(int64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  void sub(int64_t n = 1) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(int64_t n) { v_.store(n, std::memory_order_relaxed); }
  int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> v_{0};
};

// Distribution of durations, exposed as a Prometheus histogram in seconds. observe_ns() is a
// few relaxed adds into the calling thread's shard: no lock, no allocation.
class Histogram {
 public:
  static constexpr size_t kMaxBounds = 24;
  // Upper bounds in seconds, increasing (+Inf is implied); at most kMaxBounds.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe_ns(int64_t ns);

  struct Snapshot {
    std::vector<double> bounds;     // as given
    std::vector<uint64_t> buckets;  // cumulative: observations <= bounds[i]; then +Inf
    double sum_seconds = 0;
  };
  Snapshot snapshot() const;

 private:
  static constexpr size_t kShards = 8;
  struct alignas(64) Shard {
    std::array<std::atomic<uint64_t>, kMaxBounds + 1> counts{};  // per bucket, not cumulative
    std::atomic<uint64_t> sum_ns{0};
  };
  std::vector<double> bounds_;
  std::vector<int64_t> bounds_ns_;
  std::array<Shard, kShards> shards_;
};

// Bounds for request durations: 100 us to 30 s.
std::vector<double> duration_buckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* (no "__"
  // prefix, no duplicates); otherwise std::invalid_argument. Reusing a name with another type
  // throws std::logic_error. The help text of the first registration wins.
  Counter& counter(std::string name, std::string help, Labels labels = {});
  Gauge& gauge(std::string name, std::string help, Labels labels = {});
  // Sampled at render time (e.g. queue sizes owned elsewhere). `fn` runs under the registry
  // lock on the HTTP thread: it must be thread-safe and must not call back into the registry.
  // Re-registering the same name + labels replaces the function.
  void gauge_fn(std::string name, std::string help, Labels labels, std::function<double()> fn);
  // Same, for monotonic values kept elsewhere (rendered with TYPE counter).
  void counter_fn(std::string name, std::string help, Labels labels, std::function<double()> fn);

  Histogram& histogram(std::string name, std::string help, Labels labels,
                       std::vector<double> bounds = duration_buckets());

  // Families sorted by name, series in registration order.
  std::string render_prometheus() const;

 private:
  enum class Type { Counter, Gauge, Histogram };
  struct Series;
  struct Family;
  Series& series(std::string&& name, std::string&& help, Type type, Labels&& labels);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_;
};

// The registry /metrics exposes. Modules register into it at startup.
Registry& global_registry();

// Prometheus escaping, exposed for tests: label values escape backslash, double quote and
// newline; HELP text escapes backslash and newline.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);

}  // namespace unimq::metrics
