// Subscribing client: subscribes to its filters, acknowledges QoS 1/2 deliveries, checks
// per-publisher sequence numbers (loss / duplicates) and records end-to-end
// latency from the timestamp in the payload.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connection.h"
#include "histogram.h"
#include "protocol/mqtt/codec/packet.h"
#include "run_state.h"

namespace unimq::bench {

struct SubscriberStats {
  uint64_t received = 0;           // PUBLISH received (whole run, including duplicates)
  uint64_t unique = 0;             // first deliveries of a (publisher, seq)
  uint64_t duplicates = 0;         // seq at or below the newest seen from that publisher
  uint64_t foreign = 0;            // payload not from this run's publishers
  uint64_t measured_received = 0;  // received during the measure phase
  Histogram latency_ns;            // measure phase only
};

class Subscriber : public Connection {
 public:
  Subscriber(asio::io_context& io, const Options& opt, const RunState& run, uint32_t id,
             std::vector<std::string> filters, uint32_t publisher_count);

  uint64_t received_total() const { return received_atomic_.load(std::memory_order_relaxed); }
  const SubscriberStats& stats() const { return stats_; }
  // Per publisher: number of distinct sequence numbers seen (after the run).
  const std::vector<uint64_t>& unique_per_publisher() const { return unique_per_pub_; }
  // Highest sequence number + 1 seen from publisher p; read by publishers on other threads.
  const std::atomic<uint64_t>* progress(uint32_t p) const { return &progress_[p]; }

 protected:
  void on_connected() override;
  void on_packet(const mqtt::FixedHeader& h, std::span<const uint8_t> body) override;

 private:
  void on_publish(const mqtt::Publish& p);

  const RunState& run_;
  std::vector<std::string> filters_;
  mqtt::Packet scratch_;
  std::vector<uint64_t> next_seq_;                     // per publisher: highest seq seen + 1
  std::unique_ptr<std::atomic<uint64_t>[]> progress_;  // mirror of next_seq_ for publishers
  std::vector<uint64_t> unique_per_pub_;               // per publisher: distinct deliveries
  std::vector<uint8_t> qos2_pending_;  // packet ids with PUBREC sent, awaiting PUBREL
  SubscriberStats stats_;
  std::atomic<uint64_t> received_atomic_{0};
};

}  // namespace unimq::bench
