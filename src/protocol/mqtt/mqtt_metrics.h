// The MQTT broker's metrics, registered once in the process registry. Counters are sharded
// per thread inside metrics::Counter, so the hot path pays one relaxed increment.
#pragma once

#include <array>

#include "metrics/registry.h"

namespace unimq::mqtt {

struct MqttMetrics {
  explicit MqttMetrics(metrics::Registry& r);

  metrics::Gauge& connections;
  metrics::Gauge& sessions;
  metrics::Gauge& subscriptions;
  metrics::Gauge& inflight;
  metrics::Gauge& queued;
  std::array<metrics::Counter*, 3> received;  // by QoS
  std::array<metrics::Counter*, 3> sent;      // by QoS
  metrics::Counter& dropped_queue_full;
  metrics::Counter& dropped_expired;
  metrics::Counter& dropped_too_large;
  metrics::Counter& dropped_congested;
  metrics::Counter& bytes_received;
  metrics::Counter& bytes_sent;
  metrics::Counter& connects_total;
  metrics::Counter& protocol_errors;
  metrics::Counter& delayed_scheduled;
};

}  // namespace unimq::mqtt
