// Orchestrates one benchmark run: io threads, idle connections, subscribers, publishers,
// warmup / measure / drain phases, and the aggregated result.
#pragma once

#include <cstdint>
#include <string>

#include "histogram.h"
#include "options.h"

namespace unimq::bench {

struct Result {
  bool ok = true;
  std::string error;

  double measured_seconds = 0;
  uint64_t in_msgs = 0;   // acked (QoS > 0) or written (QoS 0) during the measure phase
  uint64_t out_msgs = 0;  // received by subscribers during the measure phase
  double in_rate = 0;
  double out_rate = 0;
  Histogram latency_ns;

  uint64_t sent_total = 0;   // whole run
  uint64_t acked_total = 0;  // whole run
  uint64_t expected = 0;     // deliveries the topology implies for sent_total
  uint64_t delivered = 0;    // distinct deliveries
  uint64_t lost = 0;         // expected - delivered after the drain
  uint64_t duplicates = 0;
  uint64_t foreign = 0;  // messages that did not come from this run
  uint64_t unexpected_acks = 0;
  bool drained = true;  // everything arrived before the --drain deadline

  int idle_requested = 0;
  int idle_connected = 0;
  double idle_connect_seconds = 0;
  long rss_before_kb = -1;  // broker VmRSS before connecting anything
  long rss_after_kb = -1;   // broker VmRSS at the end (before disconnecting)

  // CPU use during the measure phase, in % of one core (-1 = unknown).
  double tool_cpu_pct = -1;
  double broker_cpu_pct = -1;
  double host_cpu_pct = -1;  // all processes on the machine (100 per fully busy core)
};

Result run_bench(const Options& opt);

// VmRSS of pid in kB, or -1.
long read_vmrss_kb(int pid);
// User + system CPU seconds of pid (0 = this process), or -1.
double read_cpu_seconds(int pid);
// Busy (non-idle, non-iowait) CPU seconds of the whole machine since boot, or -1.
double read_host_busy_seconds();

}  // namespace unimq::bench
