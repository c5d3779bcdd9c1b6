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
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(fam->help), name,
                       fam->type == Type::Counter ? "counter" : "gauge");
    for (const auto& s : fam->series) {
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
