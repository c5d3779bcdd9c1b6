#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>

#include <fmt/format.h>

namespace unimq::metrics {

struct Registry::Series {
  Labels labels;
  std::string rendered_labels;  // `{a="b",c="d"}` or "" — built once at registration
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::function<double()> fn;
};

struct Registry::Family {
  std::string help;
  Type type;
  std::deque<Series> series;  // deque: references handed out stay valid on growth
};

namespace {

bool valid_name(std::string_view n, bool allow_colon) {
  if (n.empty()) return false;
  auto ok = [&](char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (allow_colon && c == ':') return true;
    return !first && c >= '0' && c <= '9';
  };
  for (size_t i = 0; i < n.size(); ++i)
    if (!ok(n[i], i == 0)) return false;
  return true;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + '"';
  }
  return out + '}';
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);  // shortest round-trip form, e.g. 3, 0.25, 1e+20
}

// name_bucket{...,le="b"} for each bound and +Inf, then name_sum and name_count.
void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                      const Histogram::Snapshot& h) {
  // `{a="b"}` -> `{a="b",le=`; "" -> `{le=`
  const std::string open = labels.empty() ? "{" : labels.substr(0, labels.size() - 1) + ",";
  for (size_t i = 0; i < h.buckets.size(); ++i) {
    const std::string le = i < h.bounds.size() ? format_double(h.bounds[i]) : "+Inf";
    out += fmt::format("{}_bucket{}le=\"{}\"}} {}\n", name, open, le, h.buckets[i]);
  }
  out += fmt::format("{}_sum{} {}\n", name, labels, format_double(h.sum_seconds));
  out += fmt::format("{}_count{} {}\n", name, labels, h.buckets.back());
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

uint64_t Counter::value() const {
  uint64_t sum = 0;
  for (const auto& s : shards_) sum += s.v.load(std::memory_order_relaxed);
  return sum;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  if (bounds_.size() > kMaxBounds || !std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::invalid_argument("histogram bounds must increase (at most 24)");
  for (double b : bounds_) bounds_ns_.push_back(int64_t(std::llround(b * 1e9)));
}

void Histogram::observe_ns(int64_t ns) {
  ns = std::max<int64_t>(ns, 0);
  size_t i = 0;
  while (i < bounds_ns_.size() && ns > bounds_ns_[i]) ++i;
  Shard& s = shards_[detail::shard_index() % kShards];
  s.counts[i].fetch_add(1, std::memory_order_relaxed);
  s.sum_ns.fetch_add(uint64_t(ns), std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  out.bounds = bounds_;
  out.buckets.assign(bounds_.size() + 1, 0);
  uint64_t sum_ns = 0;
  for (const auto& s : shards_) {
    for (size_t i = 0; i <= bounds_.size(); ++i)
      out.buckets[i] += s.counts[i].load(std::memory_order_relaxed);
    sum_ns += s.sum_ns.load(std::memory_order_relaxed);
  }
  for (size_t i = 1; i < out.buckets.size(); ++i) out.buckets[i] += out.buckets[i - 1];
  out.sum_seconds = double(sum_ns) / 1e9;
  return out;
}

std::vector<double> duration_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Series& Registry::series(std::string&& name, std::string&& help, Type type,
                                   Labels&& labels) {
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name: " + name);
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto& ln = labels[i].first;
    if (!valid_name(ln, false) || ln.rfind("__", 0) == 0)
      throw std::invalid_argument("invalid label name '" + ln + "' for metric " + name);
    for (size_t j = 0; j < i; ++j)
      if (labels[j].first == ln)
        throw std::invalid_argument("duplicate label '" + ln + "' for metric " + name);
  }
  auto& fam = families_[name];
  if (!fam) {
    fam = std::make_unique<Family>();
    fam->help = std::move(help);
    fam->type = type;
  } else if (fam->type != type) {
    throw std::logic_error("metric " + name + " already registered with another type");
  }
  for (auto& s : fam->series)
    if (s.labels == labels) return s;
  auto& s = fam->series.emplace_back();
  s.rendered_labels = render_labels(labels);
  s.labels = std::move(labels);
  return s;
}

Counter& Registry::counter(std::string name, std::string help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& s = series(std::move(name), std::move(help), Type::Counter, std::move(labels));
  if (!s.counter) {
    if (s.fn) throw std::logic_error("metric series already registered as a function");
    s.counter = std::make_unique<Counter>();
  }
  return *s.counter;
}

Gauge& Registry::gauge(std::string name, std::string help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& s = series(std::move(name), std::move(help), Type::Gauge, std::move(labels));
  if (!s.gauge) {
    if (s.fn) throw std::logic_error("metric series already registered as a function");
    s.gauge = std::make_unique<Gauge>();
  }
  return *s.gauge;
}

Histogram& Registry::histogram(std::string name, std::string help, Labels labels,
                               std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& s = series(std::move(name), std::move(help), Type::Histogram, std::move(labels));
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *s.histogram;
}

void Registry::gauge_fn(std::string name, std::string help, Labels labels,
                        std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto& s = series(std::move(name), std::move(help), Type::Gauge, std::move(labels));
  if (s.gauge) throw std::logic_error("metric series already registered as a gauge");
  s.fn = std::move(fn);
}

void Registry::counter_fn(std::string name, std::string help, Labels labels,
                          std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto& s = series(std::move(name), std::move(help), Type::Counter, std::move(labels));
  if (s.counter) throw std::logic_error("metric series already registered as a counter");
  s.fn = std::move(fn);
}

std::string Registry::render_prometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    const char* type = fam->type == Type::Counter     ? "counter"
                       : fam->type == Type::Histogram ? "histogram"
                                                      : "gauge";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(fam->help), name, type);
    for (const auto& s : fam->series) {
      if (s.histogram) {
        render_histogram(out, name, s.rendered_labels, s.histogram->snapshot());
        continue;
      }
      std::string value;
      if (s.counter) {
        value = std::to_string(s.counter->value());
      } else if (s.gauge) {
        value = std::to_string(s.gauge->value());
      } else {
        value = format_double(s.fn ? s.fn() : 0.0);
      }
      out += name + s.rendered_labels + ' ' + value + '\n';
    }
  }
  return out;
}

Registry& global_registry() {
  static Registry* r = new Registry();  // never destroyed: metrics may be bumped during exit
  return *r;
}

}  // namespace unimq::metrics
