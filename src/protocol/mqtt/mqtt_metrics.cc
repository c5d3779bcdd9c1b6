#include "protocol/mqtt/mqtt_metrics.h"

namespace unimq::mqtt {

namespace {
metrics::Counter& dropped(metrics::Registry& r, const char* reason) {
  return r.counter("unimq_messages_dropped_total", "Messages dropped, by reason",
                   {{"reason", reason}});
}
}  // namespace

MqttMetrics::MqttMetrics(metrics::Registry& r)
    : connections(r.gauge("unimq_connections", "Open MQTT connections")),
      sessions(r.gauge("unimq_sessions", "MQTT sessions (connected and persistent)")),
      subscriptions(r.gauge("unimq_subscriptions", "MQTT subscriptions")),
      inflight(r.gauge("unimq_inflight_messages", "Outbound QoS 1/2 messages awaiting ack")),
      queued(r.gauge("unimq_queued_messages", "Messages queued in sessions")),
      received{&r.counter("unimq_messages_received_total", "PUBLISH received", {{"qos", "0"}}),
               &r.counter("unimq_messages_received_total", "PUBLISH received", {{"qos", "1"}}),
               &r.counter("unimq_messages_received_total", "PUBLISH received", {{"qos", "2"}})},
      sent{&r.counter("unimq_messages_sent_total", "PUBLISH sent", {{"qos", "0"}}),
           &r.counter("unimq_messages_sent_total", "PUBLISH sent", {{"qos", "1"}}),
           &r.counter("unimq_messages_sent_total", "PUBLISH sent", {{"qos", "2"}})},
      dropped_queue_full(dropped(r, "queue_full")),
      dropped_expired(dropped(r, "expired")),
      dropped_too_large(dropped(r, "too_large")),
      dropped_congested(dropped(r, "congested")),
      bytes_received(r.counter("unimq_bytes_received_total", "MQTT bytes received")),
      bytes_sent(r.counter("unimq_bytes_sent_total", "MQTT bytes sent")),
      connects_total(r.counter("unimq_connects_total", "Accepted MQTT CONNECTs")),
      protocol_errors(
          r.counter("unimq_protocol_errors_total", "Connections closed for a protocol error")),
      delayed_scheduled(
          r.counter("unimq_delayed_messages_total", "Messages held for delayed publish")) {}

}  // namespace unimq::mqtt
