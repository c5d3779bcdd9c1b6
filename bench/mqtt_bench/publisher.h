// Publishing client: sends PUBLISH as fast as the QoS window and socket allow (many packets per
// write), or paced at a fixed rate; tracks acknowledgements for QoS 1 (PUBACK) and 2
// (PUBREC -> PUBREL -> PUBCOMP).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "connection.h"
#include "protocol/mqtt/codec/packet.h"
#include "run_state.h"

namespace unimq::bench {

struct PublisherStats {
  uint64_t sent = 0;            // PUBLISH written to the socket (whole run)
  uint64_t acked = 0;           // PUBACK/PUBCOMP received (whole run)
  uint64_t measured_sent = 0;   // writes completed during the measure phase
  uint64_t measured_acked = 0;  // acks received during the measure phase
  uint64_t unexpected_acks = 0;
};

class Publisher : public Connection {
 public:
  // rate: msgs/s for this publisher (0 = unlimited); start_offset_ns staggers paced senders.
  Publisher(asio::io_context& io, const Options& opt, const RunState& run, uint32_t id,
            std::string topic, double rate, uint64_t start_offset_ns);

  // Before start: a subscriber counter (highest seq + 1 received from this publisher); the
  // publisher never runs more than `window` messages ahead of the slowest one it watches.
  void watch(const std::atomic<uint64_t>* progress, uint64_t window) {
    watchers_.push_back(progress);
    e2e_window_ = window;
  }

  // Thread-safe: begins publishing (posted to the io thread).
  void start_publishing();
  // Thread-safe: re-evaluates the send window (used when the phase changes).
  void nudge();

  // Readable from the control thread while running.
  uint64_t sent_total() const { return sent_atomic_.load(std::memory_order_relaxed); }
  // True once the run is draining and nothing is unacknowledged or unwritten.
  bool idle() const { return idle_.load(std::memory_order_relaxed); }

  // Read only after the io threads are joined.
  const PublisherStats& stats() const { return stats_; }

 protected:
  void on_packet(const mqtt::FixedHeader& h, std::span<const uint8_t> body) override;
  void on_write_done(uint64_t publishes) override;
  void on_read_batch_done() override;

 private:
  void fill();
  void append_publish(uint64_t now);
  uint16_t next_packet_id();
  void arm_pacer();
  uint64_t end_to_end_limit() const;
  void update_idle();

  const RunState& run_;
  uint32_t id_;
  mqtt::Publish tmpl_;  // topic / qos; packet_id set per message
  double rate_;
  uint64_t start_offset_ns_;
  uint64_t start_ns_ = 0;
  bool publishing_ = false;
  uint64_t seq_ = 0;
  uint32_t inflight_ = 0;
  uint32_t max_inflight_ = 0;
  std::vector<uint8_t> id_state_;  // per packet id: 0 free, 1 awaiting PUBACK/PUBREC, 2 PUBCOMP
  uint16_t last_id_ = 0;
  asio::steady_timer pacer_;
  bool pacer_armed_ = false;
  std::vector<const std::atomic<uint64_t>*> watchers_;
  uint64_t e2e_window_ = 0;         // 0 = unbounded
  asio::steady_timer window_poll_;  // retries fill() while the end-to-end window is full
  bool window_poll_armed_ = false;
  mqtt::Packet scratch_;
  PublisherStats stats_;
  std::atomic<uint64_t> sent_atomic_{0};
  std::atomic<bool> idle_{false};
};

}  // namespace unimq::bench
