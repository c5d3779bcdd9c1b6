#include "app/config.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>
#include <variant>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace unimq::app {
namespace {

enum class Kind { Bool, Int, String };
using Value = std::variant<bool, int64_t, std::string>;

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Bool:
      return "boolean";
    case Kind::Int:
      return "integer";
    case Kind::String:
      return "string";
  }
  return "?";
}

// One row per key: the table drives TOML loading, --set, dumping and key listing, so a new
// setting is added in exactly one place (plus config/unimq.toml).
struct Field {
  std::string key;
  Kind kind;
  int64_t min = 0, max = 0;                        // Int only
  std::vector<std::string> choices;                // String enums; empty = free text
  std::function<void(Config&, const Value&)> set;  // value already checked
  std::function<Value(const Config&)> get;
};

template <typename S, typename T>
Field int_field(std::string key, S Config::*sec, T S::*mem, int64_t lo, int64_t hi) {
  return Field{
      std::move(key),
      Kind::Int,
      lo,
      hi,
      {},
      [=](Config& c, const Value& v) { (c.*sec).*mem = static_cast<T>(std::get<int64_t>(v)); },
      [=](const Config& c) { return Value{static_cast<int64_t>((c.*sec).*mem)}; }};
}

template <typename S>
Field bool_field(std::string key, S Config::*sec, bool S::*mem) {
  return Field{std::move(key),
               Kind::Bool,
               0,
               0,
               {},
               [=](Config& c, const Value& v) { (c.*sec).*mem = std::get<bool>(v); },
               [=](const Config& c) { return Value{(c.*sec).*mem}; }};
}

template <typename S>
Field str_field(std::string key, S Config::*sec, std::string S::*mem,
                std::vector<std::string> choices = {}) {
  return Field{std::move(key),
               Kind::String,
               0,
               0,
               std::move(choices),
               [=](Config& c, const Value& v) { (c.*sec).*mem = std::get<std::string>(v); },
               [=](const Config& c) { return Value{(c.*sec).*mem}; }};
}

constexpr int64_t kU16 = 65535;
constexpr int64_t kU32 = 0xFFFFFFFF;

const std::vector<Field>& fields() {
  using C = Config;
  static const std::vector<Field> table = [] {
    std::vector<Field> f;
    f.push_back(str_field("server.data_dir", &C::server, &ServerConfig::data_dir));
    f.push_back(str_field("server.log_level", &C::server, &ServerConfig::log_level,
                          {"trace", "debug", "info", "warn", "error", "off"}));
    f.push_back(int_field("server.workers", &C::server, &ServerConfig::workers, 0, 1024));
    f.push_back(int_field("server.node_id", &C::server, &ServerConfig::node_id, 0, kU32));

    using M = MqttConfig;
    f.push_back(str_field("mqtt.bind", &C::mqtt, &M::bind));
    f.push_back(int_field("mqtt.port", &C::mqtt, &M::port, 0, kU16));
    f.push_back(int_field("mqtt.ws_port", &C::mqtt, &M::ws_port, 0, kU16));
    f.push_back(str_field("mqtt.ws_path", &C::mqtt, &M::ws_path));
    f.push_back(int_field("mqtt.max_packet_size", &C::mqtt, &M::max_packet_size, 1, 268435455));
    f.push_back(int_field("mqtt.receive_maximum", &C::mqtt, &M::receive_maximum, 1, kU16));
    f.push_back(int_field("mqtt.max_inflight", &C::mqtt, &M::max_inflight, 1, kU16));
    f.push_back(int_field("mqtt.max_queued_messages", &C::mqtt, &M::max_queued_messages, 0, kU32));
    f.push_back(Field{"mqtt.queue_drop_policy",
                      Kind::String,
                      0,
                      0,
                      {"drop_oldest", "drop_newest"},
                      [](Config& c, const Value& v) {
                        c.mqtt.queue_drop_policy = std::get<std::string>(v) == "drop_newest"
                                                       ? QueueDropPolicy::DropNewest
                                                       : QueueDropPolicy::DropOldest;
                      },
                      [](const Config& c) {
                        return Value{std::string(queue_drop_policy_name(c.mqtt.queue_drop_policy))};
                      }});
    f.push_back(int_field("mqtt.max_session_expiry", &C::mqtt, &M::max_session_expiry, 0, kU32));
    f.push_back(int_field("mqtt.max_keepalive", &C::mqtt, &M::max_keepalive, 1, kU16));
    f.push_back(int_field("mqtt.topic_alias_maximum", &C::mqtt, &M::topic_alias_maximum, 0, kU16));
    f.push_back(bool_field("mqtt.retain_available", &C::mqtt, &M::retain_available));
    f.push_back(bool_field("mqtt.wildcard_subscriptions", &C::mqtt, &M::wildcard_subscriptions));
    f.push_back(bool_field("mqtt.shared_subscriptions", &C::mqtt, &M::shared_subscriptions));
    f.push_back(str_field("mqtt.shared_strategy", &C::mqtt, &M::shared_strategy,
                          {"round_robin", "random", "sticky", "hash_clientid"}));
    f.push_back(int_field("mqtt.connect_timeout_ms", &C::mqtt, &M::connect_timeout_ms, 1, kU32));
    f.push_back(int_field("mqtt.sys_interval_s", &C::mqtt, &M::sys_interval_s, 0, 86400));
    f.push_back(int_field("mqtt.max_qos", &C::mqtt, &M::max_qos, 0, 2));
    f.push_back(bool_field("mqtt.allow_anonymous", &C::mqtt, &M::allow_anonymous));
    f.push_back(int_field("mqtt.retry_interval_s", &C::mqtt, &M::retry_interval_s, 0, 86400));
    f.push_back(bool_field("mqtt.persistence", &C::mqtt, &M::persistence));

    using S = StorageConfig;
    constexpr int64_t kI63 = INT64_MAX;
    f.push_back(str_field("storage.backend", &C::storage, &S::backend, {"journal", "memory"}));
    f.push_back(
        str_field("storage.fsync", &C::storage, &S::fsync, {"always", "interval", "never"}));
    f.push_back(
        int_field("storage.fsync_interval_ms", &C::storage, &S::fsync_interval_ms, 1, 3600000));
    f.push_back(
        int_field("storage.segment_bytes", &C::storage, &S::segment_bytes, 4096, 1LL << 40));
    f.push_back(int_field("storage.segment_ms", &C::storage, &S::segment_ms, 1000, kI63));
    f.push_back(int_field("storage.retention_ms", &C::storage, &S::retention_ms, 0, kI63));
    f.push_back(int_field("storage.retention_bytes", &C::storage, &S::retention_bytes, 0, kI63));
    f.push_back(int_field("storage.page_cache_window_bytes", &C::storage,
                          &S::page_cache_window_bytes, 0, 1LL << 40));
    f.push_back(bool_field("storage.direct_io", &C::storage, &S::direct_io));
    f.push_back(int_field("storage.tail_cache_stream_bytes", &C::storage,
                          &S::tail_cache_stream_bytes, 0, 1LL << 34));
    f.push_back(
        int_field("storage.tail_cache_bytes", &C::storage, &S::tail_cache_bytes, 0, 1LL << 40));
    f.push_back(int_field("storage.max_streams", &C::storage, &S::max_streams, 0, 1LL << 31));
    f.push_back(
        int_field("storage.max_open_segments", &C::storage, &S::max_open_segments, 0, 1LL << 31));
    f.push_back(
        str_field("storage.kv_backend", &C::storage, &S::kv_backend, {"rocksdb", "memory"}));

    using K = KafkaConfig;
    f.push_back(str_field("kafka.bind", &C::kafka, &K::bind));
    f.push_back(int_field("kafka.port", &C::kafka, &K::port, 0, kU16));
    f.push_back(str_field("kafka.advertised_host", &C::kafka, &K::advertised_host));
    f.push_back(bool_field("kafka.auto_create_topics", &C::kafka, &K::auto_create_topics));
    f.push_back(int_field("kafka.num_partitions", &C::kafka, &K::num_partitions, 1, 10000));
    f.push_back(str_field("kafka.sasl_users", &C::kafka, &K::sasl_users));
    f.push_back(int_field("kafka.group_initial_rebalance_delay_ms", &C::kafka,
                          &K::group_initial_rebalance_delay_ms, 0, 600000));
    f.push_back(int_field("kafka.offsets_retention_minutes", &C::kafka,
                          &K::offsets_retention_minutes, 1, 1LL << 31));
    f.push_back(int_field("kafka.offsets_retention_check_interval_ms", &C::kafka,
                          &K::offsets_retention_check_interval_ms, 1, 1LL << 31));
    f.push_back(
        int_field("kafka.max_request_size", &C::kafka, &K::max_request_size, 1024, 1LL << 30));
    f.push_back(int_field("kafka.producer_id_expiration_ms", &C::kafka,
                          &K::producer_id_expiration_ms, 1, (1LL << 32) - 1));

    using A = AmqpConfig;
    f.push_back(str_field("amqp.bind", &C::amqp, &A::bind));
    f.push_back(int_field("amqp.port", &C::amqp, &A::port, 0, kU16));
    f.push_back(str_field("amqp.users", &C::amqp, &A::users));
    f.push_back(str_field("amqp.vhosts", &C::amqp, &A::vhosts));
    f.push_back(int_field("amqp.frame_max", &C::amqp, &A::frame_max, 4096, kU32));
    f.push_back(int_field("amqp.channel_max", &C::amqp, &A::channel_max, 1, kU16));
    f.push_back(int_field("amqp.heartbeat_s", &C::amqp, &A::heartbeat_s, 0, kU16));

    using B = BridgeConfig;
    f.push_back(str_field("bridge.mqtt_to_kafka", &C::bridge, &B::mqtt_to_kafka));
    f.push_back(str_field("bridge.kafka_to_mqtt_prefix", &C::bridge, &B::kafka_to_mqtt_prefix));
    f.push_back(str_field("bridge.amqp_exchange", &C::bridge, &B::amqp_exchange));

    f.push_back(str_field("http.bind", &C::http, &ListenerConfig::bind));
    f.push_back(int_field("http.port", &C::http, &ListenerConfig::port, 0, kU16));

    f.push_back(str_field("log.file", &C::log, &LogConfig::file));
    f.push_back(str_field("log.format", &C::log, &LogConfig::format, {"text", "json"}));
    return f;
  }();
  return table;
}

const Field* find_field(std::string_view key) {
  for (const auto& f : fields())
    if (f.key == key) return &f;
  return nullptr;
}

bool known_section(std::string_view s) {
  return std::any_of(fields().begin(), fields().end(), [&](const Field& f) {
    return std::string_view(f.key).substr(0, f.key.find('.')) == s;
  });
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// Range/choice checks shared by every input path; `where` prefixes the message.
void check_and_set(Config& c, const Field& f, const Value& v, const std::string& where) {
  if (f.kind == Kind::Int) {
    int64_t n = std::get<int64_t>(v);
    if (n < f.min || n > f.max)
      throw ConfigError(
          fmt::format("{}{}: value {} out of range [{}, {}]", where, f.key, n, f.min, f.max));
  } else if (f.kind == Kind::String && !f.choices.empty()) {
    const auto& s = std::get<std::string>(v);
    if (std::find(f.choices.begin(), f.choices.end(), s) == f.choices.end())
      throw ConfigError(fmt::format("{}{}: invalid value \"{}\" (expected one of: {})", where,
                                    f.key, s, join(f.choices)));
  }
  f.set(c, v);
}

std::string where_of(std::string_view source, const toml::node& n) {
  const auto& b = n.source().begin;
  return fmt::format("{}:{}:{}: ", source, b.line, b.column);
}

const char* toml_type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    default:
      return "date/time";
  }
}

Config from_table(const toml::table& root, std::string_view source) {
  Config c;
  for (const auto& [sec_key, sec_node] : root) {
    std::string sec(sec_key.str());
    const auto* sec_table = sec_node.as_table();
    if (!sec_table || !known_section(sec))
      throw ConfigError(fmt::format("{}unknown {} '{}'", where_of(source, sec_node),
                                    sec_table ? "section" : "key", sec));
    for (const auto& [key, node] : *sec_table) {
      std::string full = sec + "." + std::string(key.str());
      const Field* f = find_field(full);
      std::string where = where_of(source, node);
      if (!f) throw ConfigError(fmt::format("{}unknown key '{}'", where, full));
      Value v;
      if (f->kind == Kind::Bool && node.is_boolean()) {
        v = node.as_boolean()->get();
      } else if (f->kind == Kind::Int && node.is_integer()) {
        v = node.as_integer()->get();
      } else if (f->kind == Kind::String && node.is_string()) {
        v = node.as_string()->get();
      } else {
        throw ConfigError(fmt::format("{}{}: expected {}, got {}", where, full, kind_name(f->kind),
                                      toml_type_name(node)));
      }
      check_and_set(c, *f, v, where);
    }
  }
  validate(c);
  return c;
}

std::string toml_quote(const std::string& s) {
  std::ostringstream os;
  os << toml::value<std::string>(s);
  return os.str();
}

}  // namespace

const char* queue_drop_policy_name(QueueDropPolicy p) {
  return p == QueueDropPolicy::DropNewest ? "drop_newest" : "drop_oldest";
}

uint32_t auto_workers(uint32_t cores) {
  // One loop per core, except on machines with two cores or fewer: there a second loop costs
  // more than it brings. A message whose publisher and subscriber live on different loops
  // wakes a second thread, and that thread competes for the same two cores with the kernel's
  // network processing, the storage threads and, often, co-located clients. Measured on the
  // 2-core bench machine (docs/benchmarks.md): one loop gives +12% MQTT throughput and about
  // half the p99 latency at 10k msg/s of two loops.
  return cores <= 2 ? 1 : cores;
}

uint32_t Config::effective_workers() const {
  if (server.workers != 0) return server.workers;
  return auto_workers(std::max(1u, std::thread::hardware_concurrency()));
}

Config load_config_string(std::string_view toml_text, std::string_view source) {
  try {
    return from_table(toml::parse(toml_text, source), source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(fmt::format("{}:{}:{}: {}", source, b.line, b.column, e.description()));
  }
}

Config load_config(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw ConfigError(fmt::format("config file '{}' not found or not a regular file", path));
  try {
    return from_table(toml::parse_file(path), path);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ConfigError(fmt::format("{}:{}:{}: {}", path, b.line, b.column, e.description()));
  }
}

void apply_override(Config& config, std::string_view key, std::string_view value) {
  const Field* f = find_field(key);
  if (!f) throw ConfigError(fmt::format("unknown key '{}'", key));
  Value v;
  switch (f->kind) {
    case Kind::Bool:
      if (value == "true") {
        v = true;
      } else if (value == "false") {
        v = false;
      } else {
        throw ConfigError(fmt::format("{}: expected boolean (true/false), got \"{}\"", key, value));
      }
      break;
    case Kind::Int: {
      int64_t n = 0;
      auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (err != std::errc() || end != value.data() + value.size() || value.empty())
        throw ConfigError(fmt::format("{}: expected integer, got \"{}\"", key, value));
      v = n;
      break;
    }
    case Kind::String:
      v = std::string(value);
      break;
  }
  check_and_set(config, *f, v, "");
}

void apply_override(Config& config, std::string_view assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw ConfigError(fmt::format("expected section.key=value, got \"{}\"", assignment));
  apply_override(config, assignment.substr(0, eq), assignment.substr(eq + 1));
}

void validate(const Config& c) {
  if (c.mqtt.ws_path.empty() || c.mqtt.ws_path.front() != '/')
    throw ConfigError(fmt::format("mqtt.ws_path: must start with '/', got \"{}\"", c.mqtt.ws_path));
  struct L {
    const char* key;
    const std::string& bind;
    uint16_t port;
  };
  const L listeners[] = {{"mqtt.port", c.mqtt.bind, c.mqtt.port},
                         {"mqtt.ws_port", c.mqtt.bind, c.mqtt.ws_port},
                         {"kafka.port", c.kafka.bind, c.kafka.port},
                         {"amqp.port", c.amqp.bind, c.amqp.port},
                         {"http.port", c.http.bind, c.http.port}};
  for (const auto& l : listeners) {
    const std::string bind_key =
        std::string(l.key).substr(0, std::string(l.key).find('.')) + ".bind";
    if (l.bind.empty()) throw ConfigError(bind_key + ": must not be empty");
  }
  // Catch the port clash at startup rather than as an obscure bind error later.
  for (size_t i = 0; i < std::size(listeners); ++i) {
    for (size_t j = i + 1; j < std::size(listeners); ++j) {
      const auto &a = listeners[i], &b = listeners[j];
      if (a.port == 0 || a.port != b.port) continue;
      bool overlap = a.bind == b.bind || a.bind == "0.0.0.0" || b.bind == "0.0.0.0" ||
                     a.bind == "::" || b.bind == "::";
      if (overlap)
        throw ConfigError(fmt::format("{} and {} both use port {} (set one to 0 to disable it)",
                                      a.key, b.key, a.port));
    }
  }
}

std::string dump_config(const Config& c) {
  std::string out;
  std::string section;
  for (const auto& f : fields()) {
    auto dot = f.key.find('.');
    std::string sec = f.key.substr(0, dot);
    if (sec != section) {
      out += fmt::format("{}[{}]\n", section.empty() ? "" : "\n", sec);
      section = sec;
    }
    Value v = f.get(c);
    std::string text;
    if (auto* b = std::get_if<bool>(&v)) {
      text = *b ? "true" : "false";
    } else if (auto* n = std::get_if<int64_t>(&v)) {
      text = std::to_string(*n);
    } else {
      text = toml_quote(std::get<std::string>(v));
    }
    out += fmt::format("{} = {}\n", f.key.substr(dot + 1), text);
  }
  return out;
}

std::vector<std::string> config_keys() {
  std::vector<std::string> keys;
  for (const auto& f : fields()) keys.push_back(f.key);
  return keys;
}

}  // namespace unimq::app
