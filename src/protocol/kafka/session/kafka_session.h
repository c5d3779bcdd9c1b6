// One Kafka client connection: size-prefixed framing, request header, dispatch through the
// handler table, SASL gating, and in-order responses.
//
// KafkaSession is the part that outlives callbacks (shared_ptr): handlers that answer later
// hold it through their Responder; once the connection closes, answers are dropped.
// KafkaConnectionHandler is the net::ConnectionHandler owned by the connection. Everything
// runs on the connection's loop.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "net/connection.h"
#include "protocol/kafka/codec/writer.h"

namespace unimq::kafka {

class KafkaBroker;

// A request that waits on its own and keeps itself alive meanwhile (a long-polling Fetch):
// the session cancels it when the connection closes. Otherwise it would live on until its
// deadline, and at shutdown, when the loops stop first, never be freed.
class WaitingRequest {
 public:
  virtual ~WaitingRequest() = default;
  virtual void cancel() = 0;  // on the session's loop
};

class KafkaSession : public std::enable_shared_from_this<KafkaSession> {
 public:
  // Requests read ahead of their answers before reading pauses (bounded queue).
  static constexpr size_t kMaxPending = 256;

  KafkaSession(KafkaBroker& broker, net::Connection& conn);

  KafkaBroker& broker() { return broker_; }
  net::Connection* connection() { return conn_; }  // nullptr once closed
  net::EventLoop& loop() { return loop_; }
  const std::string& local_host() const { return local_host_; }
  const std::string& peer() const { return peer_; }

  // SASL state.
  bool authenticated = false;
  bool handshake_done = false;
  bool raw_sasl_next = false;  // after a v0 SaslHandshake
  std::string mechanism;

  // Response slots, one per request in arrival order.
  // api_key >= 0: the time until the answer goes out is observed in that API's
  // unimq_kafka_request_duration_seconds.
  uint64_t open_slot(int32_t correlation_id, int16_t version, bool flexible_header,
                     int16_t api_key = -1);
  int16_t slot_version(uint64_t seq) const;
  bool slot_flexible_header(uint64_t seq) const;
  int32_t slot_correlation_id(uint64_t seq) const;
  void complete(uint64_t seq, codec::Writer&& out, bool has_output);
  size_t pending() const { return slots_.size(); }

  // Cancelled (if still alive) when the connection closes.
  void add_waiting(std::weak_ptr<WaitingRequest> w);

  void close(const char* why);
  void on_closed();
  void on_drain();

 private:
  struct Slot {
    int32_t correlation_id = 0;
    int16_t version = 0;
    bool flexible_header = false;
    bool done = false;
    bool has_output = false;
    int16_t api_key = -1;
    int64_t start_ns = 0;  // steady clock, when the request was read
    codec::Writer out;
  };
  const Slot* find(uint64_t seq) const;
  void flush();
  void update_reading();

  KafkaBroker& broker_;
  net::Connection* conn_;
  net::EventLoop& loop_;
  std::string local_host_;
  std::string peer_;
  std::deque<Slot> slots_;
  std::vector<std::weak_ptr<WaitingRequest>> waiting_;
  uint64_t first_seq_ = 0;  // sequence number of slots_.front()
  bool paused_ = false;
};

class KafkaConnectionHandler : public net::ConnectionHandler {
 public:
  KafkaConnectionHandler(KafkaBroker& broker, net::Connection& conn);
  size_t on_data(std::span<const uint8_t> data) override;
  void on_drain() override { session_->on_drain(); }
  void on_closed() override;

 private:
  // Handles one request frame (without its size prefix). False = connection closed.
  bool dispatch(std::span<const uint8_t> frame);
  bool raw_sasl_token(std::span<const uint8_t> frame);

  KafkaBroker& broker_;
  net::Connection& conn_;
  std::shared_ptr<KafkaSession> session_;
};

}  // namespace unimq::kafka
