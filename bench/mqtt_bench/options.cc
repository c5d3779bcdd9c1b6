#include "options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <map>

#include "payload.h"

namespace unimq::bench {

const char* topic_mode_name(TopicMode m) {
  switch (m) {
    case TopicMode::Fanout:
      return "fanout";
    case TopicMode::Fanin:
      return "fanin";
    case TopicMode::Pairs:
      return "pairs";
  }
  return "?";
}

Options parse_options(int argc, char** argv) {
  Options o;
  CLI::App app{"mqtt_bench: MQTT throughput / latency / connection-memory load generator"};
  app.add_option("--host", o.host, "Broker address")->capture_default_str();
  app.add_option("--port", o.port, "Broker MQTT port")->capture_default_str();
  auto* pubs = app.add_option("--publishers", o.publishers, "Publishing connections (default 1)")
                   ->check(CLI::Range(0, 100000));
  auto* subs = app.add_option("--subscribers", o.subscribers, "Subscribing connections (default 1)")
                   ->check(CLI::Range(0, 100000));
  app.add_option("--qos", o.qos, "QoS of PUBLISH and SUBSCRIBE")
      ->check(CLI::IsMember({0, 1, 2}))
      ->capture_default_str();
  app.add_option("--payload", o.payload, "Payload bytes (min 20: timestamp+publisher+sequence)")
      ->check(CLI::Range(static_cast<int>(kMinPayload), 256 * 1024 * 1024))
      ->capture_default_str();
  app.add_option("--duration", o.duration, "Measured seconds (idle mode: hold time)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", o.warmup, "Seconds of load before measuring")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--drain", o.drain, "Max seconds to wait for outstanding messages at the end")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--rate", o.rate, "Total msgs/s over all publishers (0 = as fast as possible)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  std::map<std::string, TopicMode> modes{
      {"fanout", TopicMode::Fanout}, {"fanin", TopicMode::Fanin}, {"pairs", TopicMode::Pairs}};
  app.add_option("--topic-mode", o.topic_mode,
                 "fanout: one topic, every subscriber gets every message; fanin: topic per "
                 "publisher, subscribers use a '+' wildcard; pairs: publisher i -> subscriber i")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
      ->capture_default_str();
  app.add_option("--version", o.version, "MQTT protocol level (4 = 3.1.1, 5 = 5.0)")
      ->check(CLI::IsMember({4, 5}))
      ->capture_default_str();
  app.add_option("--inflight", o.inflight, "Max unacknowledged QoS 1/2 messages per publisher")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--max-outstanding", o.max_outstanding,
                 "Max messages published but not yet received, per subscriber (split evenly "
                 "over the publishers feeding it): end-to-end flow control against broker and "
                 "kernel buffer bloat; 0 = open loop")
      ->check(CLI::Range(0, 1 << 30))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "Client io threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--connections-idle", o.connections_idle,
                 "Open N idle clients (keep-alive 300) and hold them for --duration")
      ->check(CLI::Range(0, 1000000));
  app.add_option("--connect-concurrency", o.connect_concurrency,
                 "Max connection attempts in progress at once")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--broker-pid", o.broker_pid, "Report VmRSS of this broker process");
  app.add_option("--topic-prefix", o.topic_prefix, "First topic level")->capture_default_str();
  app.add_option("--client-id-prefix", o.client_id_prefix,
                 "Client ids are PREFIX-p<i> / -s<j> / -i<k>: the same ids every run, so a "
                 "broker that places sessions by client id sees the same layout every time")
      ->capture_default_str();
  app.add_flag("--json", o.json, "Print the result as one JSON line on stdout");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  // An idle-connection run has no load clients unless they are asked for explicitly.
  if (o.connections_idle > 0) {
    if (pubs->count() == 0) o.publishers = 0;
    if (subs->count() == 0) o.subscribers = 0;
  }
  return o;
}

}  // namespace unimq::bench
