// One MQTT client connection on a single io_context: TCP connect, CONNECT/CONNACK handshake,
// a read loop that splits the stream into packets, and double-buffered batched writes.
// Everything except start()/close_gracefully() (posted by the control thread) and the atomic
// state runs on the owning io_context's thread, so the hot path takes no locks.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "options.h"
#include "protocol/mqtt/codec/decoder.h"
#include "protocol/mqtt/codec/packet.h"

namespace unimq::bench {

enum class ConnState : int { Init, Connecting, Ready, Failed, Closed };

class Connection {
 public:
  // read_buffer: initial receive buffer (grows to the largest packet seen).
  Connection(asio::io_context& io, const Options& opt, std::string client_id, uint16_t keep_alive,
             size_t read_buffer);
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Thread-safe: posts the connect to the owning io_context.
  void start(const asio::ip::tcp::endpoint& ep);
  // Thread-safe: sends DISCONNECT once pending writes are done, then closes the socket.
  void close_gracefully();

  ConnState state() const { return state_.load(std::memory_order_acquire); }
  const std::string& error() const { return error_; }  // valid once state() == Failed
  asio::io_context& io() { return io_; }

 protected:
  // Called after a successful CONNACK (default: Ready).
  virtual void on_connected() { set_state(ConnState::Ready); }
  // One complete packet other than CONNACK/PINGRESP. body is valid only during the call.
  virtual void on_packet(const mqtt::FixedHeader& h, std::span<const uint8_t> body) = 0;
  // A batch write completed; `publishes` is what the subclass added to publishes_pending_.
  virtual void on_write_done(uint64_t /*publishes*/) {}
  // End of one read batch (all complete packets dispatched): good place to flush acks.
  virtual void on_read_batch_done() { flush(); }

  void set_state(ConnState s) { state_.store(s, std::memory_order_release); }
  void fail(const std::string& why);
  // Starts a write of the pending buffer if none is in flight.
  void flush();
  bool write_in_progress() const { return writing_active_; }

  const Options& opt_;
  mqtt::Version version_;
  std::vector<uint8_t> pending_;         // bytes to send next (appended by subclasses)
  uint64_t publishes_pending_ = 0;       // PUBLISH packets in pending_ (for on_write_done)
  uint16_t server_receive_max_ = 65535;  // v5 CONNACK Receive Maximum
  bool closing_ = false;

 private:
  void do_connect(const asio::ip::tcp::endpoint& ep);
  void send_connect();
  void read_more();
  void on_read(size_t n);
  void on_connack(const mqtt::FixedHeader& h, std::span<const uint8_t> body);
  void arm_keepalive();
  void shutdown_socket();

  asio::io_context& io_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer keepalive_timer_;
  std::string client_id_;
  uint16_t keep_alive_;
  size_t read_buffer_;
  std::atomic<ConnState> state_{ConnState::Init};
  std::string error_;
  bool connack_seen_ = false;

  std::vector<uint8_t> writing_;  // bytes of the write in flight
  uint64_t publishes_writing_ = 0;
  bool writing_active_ = false;

  std::vector<uint8_t> rbuf_;
  size_t rbegin_ = 0;
  size_t rend_ = 0;
};

}  // namespace unimq::bench
