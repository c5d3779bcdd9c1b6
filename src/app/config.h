// Broker configuration: one plain struct with every setting and its default, loaded from a TOML
// file (config/unimq.toml documents every key) and overridden from the command line.
//
// Precedence (lowest to highest): built-in defaults < TOML file < dedicated CLI flags < --set.
// Every key is addressed as "section.key" (e.g. "mqtt.port") in TOML, --set and error messages.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace unimq::app {

// Thrown for unreadable/malformed files, unknown keys, type errors and invalid values. what()
// always names the offending key (and file:line when it comes from a file).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What to do when a session's pending queue (mqtt.max_queued_messages) is full.
enum class QueueDropPolicy { DropOldest, DropNewest };
const char* queue_drop_policy_name(QueueDropPolicy p);

// The event-loop count server.workers = 0 stands for on a machine with `cores` cores.
uint32_t auto_workers(uint32_t cores);

struct ServerConfig {
  std::string data_dir = "./data";
  std::string log_level = "info";  // trace, debug, info, warn, error, off
  uint32_t workers = 0;            // event-loop threads; 0 = auto_workers(cores)
  uint32_t node_id = 1;            // unique per node in a cluster

  bool operator==(const ServerConfig&) const = default;
};

struct MqttConfig {
  std::string bind = "0.0.0.0";
  uint16_t port = 1883;     // 0 disables the TCP listener
  uint16_t ws_port = 8083;  // 0 disables the WebSocket listener
  std::string ws_path = "/mqtt";
  uint32_t max_packet_size = 268435455;  // bytes, 1..268435455 (MQTT maximum)
  uint16_t receive_maximum = 65535;      // inbound QoS1/2 window announced in CONNACK, 1..65535
  uint32_t max_inflight = 1024;          // outbound window per session (capped by client's RM)
  uint32_t max_queued_messages = 10000;  // offline/pending queue per session, 0 = no queueing
  QueueDropPolicy queue_drop_policy = QueueDropPolicy::DropOldest;
  uint32_t max_session_expiry = 0xFFFFFFFF;  // seconds; 0xFFFFFFFF = never expires
  uint16_t max_keepalive = 65535;            // seconds, server cap on client keep-alive, 1..65535
  uint16_t topic_alias_maximum = 65535;      // inbound aliases accepted; 0 disables
  bool retain_available = true;
  bool wildcard_subscriptions = true;
  bool shared_subscriptions = true;
  // round_robin, random, sticky, hash_clientid; parse with core::parse_shared_strategy().
  std::string shared_strategy = "round_robin";
  uint32_t connect_timeout_ms = 10000;  // CONNECT must arrive within this after TCP accept
  uint32_t sys_interval_s = 10;         // $SYS publish period; 0 disables $SYS
  uint8_t max_qos = 2;                  // 0..2
  bool allow_anonymous = true;
  uint32_t retry_interval_s = 0;
  // Persist sessions, offline queues, retained messages, wills and delayed publishes in the
  // storage layer so that they survive a restart.
  bool persistence = true;  // 0 = redeliver unacked messages only on reconnect (v5 rule)

  bool operator==(const MqttConfig&) const = default;
};

// A listener that only has an address (reserved front ends and the admin HTTP API).
struct StorageConfig {
  std::string backend = "journal";        // streams: journal (segmented log on disk) or memory
  std::string fsync = "interval";         // always (group commit), interval, never
  uint32_t fsync_interval_ms = 100;       // for fsync = interval
  uint64_t segment_bytes = 128ull << 20;  // roll a journal segment past this size
  uint64_t segment_ms = 604800000;        // ... or this age
  uint64_t retention_ms = 604800000;      // delete segments older than this; 0 = keep forever
  uint64_t retention_bytes = 0;           // per stream; 0 = no size limit
  // Journal writeback starts per window written; pages 2 windows behind the end leave the
  // page cache (fresh pages are slow to fault on some VMs). 0 = off.
  uint64_t page_cache_window_bytes = 4ull << 20;
  // Journal appends bypass the page cache (O_DIRECT) where the file system allows it.
  bool direct_io = true;
  // Journal tail cache: while a stream has readers, what it writes is also kept in a ring of
  // this many bytes so tail reads come from memory (0 = off); all rings within tail_cache_bytes.
  uint64_t tail_cache_stream_bytes = 16ull << 20;
  uint64_t tail_cache_bytes = 128ull << 20;
  // Journal streams (Kafka partitions, durable AMQP queues...) open at once; creating more is
  // refused with a clear error. 0 = from the open-file limit (about 3 descriptors a stream).
  uint32_t max_streams = 0;
  // Sealed segments whose descriptors stay open (all streams); the least recently read are
  // closed beyond it and reopened when read. 0 = from the open-file limit, as max_streams.
  uint32_t max_open_segments = 0;
  std::string kv_backend = "rocksdb";  // metadata store: rocksdb or memory
  bool operator==(const StorageConfig&) const = default;
};

struct ListenerConfig {
  std::string bind = "0.0.0.0";
  uint16_t port = 0;  // 0 disables the listener

  bool operator==(const ListenerConfig&) const = default;
};

// Kafka wire protocol front end (src/protocol/kafka).
struct KafkaConfig {
  std::string bind = "0.0.0.0";
  uint16_t port = 9092;            // 0 disables the listener
  std::string advertised_host;     // host in Metadata answers; empty = the address dialled
  bool auto_create_topics = true;  // create unknown topics on Metadata/Produce
  uint32_t num_partitions = 1;     // partitions of an auto-created topic
  std::string sasl_users;          // "user:password,..." ; non-empty = SASL PLAIN required
  uint32_t group_initial_rebalance_delay_ms = 0;  // wait for more members before the first sync
  uint32_t offsets_retention_minutes = 10080;     // committed offsets of an Empty group expire
  uint32_t offsets_retention_check_interval_ms = 600000;  // how often expiry is looked for
  uint32_t max_request_size = 104857600;          // bytes; larger requests close the connection
  uint32_t producer_id_expiration_ms = 86400000;  // idle idempotent producers are forgotten

  bool operator==(const KafkaConfig&) const = default;
};

// AMQP 0-9-1 front end (src/protocol/amqp).
struct AmqpConfig {
  std::string bind = "0.0.0.0";
  uint16_t port = 5672;               // 0 disables the listener
  std::string users = "guest:guest";  // "user:password,..." for PLAIN and AMQPLAIN
  std::string vhosts = "/";           // comma-separated virtual hosts
  uint32_t frame_max = 131072;        // bytes, offered in Connection.Tune
  uint16_t channel_max = 2047;        // offered in Connection.Tune
  uint16_t heartbeat_s = 60;          // offered in Connection.Tune; 0 = none

  bool operator==(const AmqpConfig&) const = default;
};

// Cross-protocol routing through the shared topic namespace (docs/cross-protocol.md).
struct BridgeConfig {
  // MQTT topic filters whose messages are also appended to Kafka topics:
  // "filter=kafka_topic;filter=kafka_topic", e.g. "sensors/#=sensors". Empty = none.
  std::string mqtt_to_kafka;
  // Kafka records on topic T reach MQTT subscribers of "<prefix>T"; empty disables.
  std::string kafka_to_mqtt_prefix = "kafka/";
  // The AMQP topic exchange that MQTT topics map to (a/b/c <-> routing key a.b.c); empty
  // disables MQTT<->AMQP routing.
  std::string amqp_exchange = "amq.topic";

  bool operator==(const BridgeConfig&) const = default;
};

struct LogConfig {
  std::string file;             // empty = stderr
  std::string format = "text";  // text, json

  bool operator==(const LogConfig&) const = default;
};

struct Config {
  ServerConfig server;
  MqttConfig mqtt;
  StorageConfig storage;
  KafkaConfig kafka;
  AmqpConfig amqp;
  BridgeConfig bridge;
  ListenerConfig http{"0.0.0.0", 8080};
  LogConfig log;

  // server.workers with 0 resolved to the number of cores (at least 1).
  uint32_t effective_workers() const;

  bool operator==(const Config&) const = default;
};

// Parses a TOML file. Missing keys keep their defaults; unknown sections/keys, wrong types and
// invalid values throw ConfigError. The result is validate()d.
Config load_config(const std::string& path);
// Same, from TOML text; `source` names it in error messages.
Config load_config_string(std::string_view toml, std::string_view source = "<string>");

// Sets one key from its textual form, as given to --set: "mqtt.port", "1884". Booleans are
// true/false, integers decimal, strings taken verbatim. Throws ConfigError.
void apply_override(Config& config, std::string_view key, std::string_view value);
// Splits "section.key=value" and applies it.
void apply_override(Config& config, std::string_view assignment);

// Cross-field checks (e.g. two enabled listeners on the same port). Throws ConfigError.
void validate(const Config& config);

// The effective configuration as TOML (every key), loadable by load_config.
std::string dump_config(const Config& config);

// All "section.key" names, in file order (for help texts and tests).
std::vector<std::string> config_keys();

}  // namespace unimq::app
