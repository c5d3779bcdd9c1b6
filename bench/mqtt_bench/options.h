// Command-line options of the mqtt_bench load tool.
#pragma once

#include <cstdint>
#include <string>

namespace unimq::bench {

enum class TopicMode { Fanout, Fanin, Pairs };

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  int publishers = 1;
  int subscribers = 1;
  int qos = 0;
  int payload = 100;       // bytes per message, >= kMinPayload
  double duration = 10.0;  // seconds measured (or idle hold time)
  double warmup = 2.0;     // seconds before measuring
  double drain = 10.0;     // max seconds to wait for in-flight messages after the run
  double rate = 0.0;       // total msgs/s over all publishers, 0 = unlimited
  TopicMode topic_mode = TopicMode::Pairs;
  int version = 4;                // MQTT protocol level: 4 (3.1.1) or 5
  int max_outstanding = 10000;    // end-to-end window per subscriber, 0 = open loop
  int inflight = 100;             // max unacknowledged QoS 1/2 PUBLISH per publisher
  int threads = 2;                // client io threads (one io_context each)
  int connections_idle = 0;       // idle connections to open and hold
  int connect_concurrency = 100;  // max simultaneous connection attempts
  int broker_pid = 0;             // read VmRSS of this process when > 0
  std::string topic_prefix = "mb";
  std::string client_id_prefix = "mb";  // ids are <prefix>-p<i>, -s<j>, -i<k>
  bool json = false;
};

// Parses argv. Exits the process on --help or on invalid options.
Options parse_options(int argc, char** argv);

const char* topic_mode_name(TopicMode m);

}  // namespace unimq::bench
