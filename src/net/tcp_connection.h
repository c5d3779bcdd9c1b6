// The one concrete Connection: a TCP socket, optionally speaking WebSocket on top. Private to
// net/. Lifetime: the home loop's registry holds a shared_ptr while the connection is open
// (the loop's Poller points at it only while registered); every posted task holds another,
// so callbacks never see a dead object. The socket is a plain non-blocking fd watched by the
// loop's Poller (poller.h): reads and writes are direct syscalls on readiness.
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "net/connection.h"
#include "net/input_buffer.h"
#include "net/listener.h"
#include "net/output_queue.h"
#include "net/websocket_codec.h"

namespace unimq::net {

class FlushScope;

class TcpConnection final : public Connection, public std::enable_shared_from_this<TcpConnection> {
 public:
  // Takes ownership of `fd`, a connected non-blocking TCP socket. `ws_opts` non-null makes it
  // a WebSocket connection.
  TcpConnection(EventLoop& loop, int fd, const ConnectionLimits& limits,
                const ListenerOptions* ws_opts = nullptr);
  ~TcpConnection() override;

  // Registers with the loop and starts reading. Call on the loop, right after construction.
  // `factory` is called when the connection becomes ready (at once for TCP, after the upgrade
  // for WebSocket).
  void start(std::shared_ptr<const HandlerFactory> factory);
  // Process teardown (loops joined): close the socket, no callbacks.
  void close_for_exit();
  // Readiness reported by the loop's Poller (EPOLLIN, EPOLLOUT, ...).
  void on_poll_events(uint32_t events);

  void set_handler(std::unique_ptr<ConnectionHandler> h) override;
  ConnectionHandler* handler() override { return handler_.get(); }
  void send(std::span<const uint8_t> bytes) override;
  void send_shared(const uint8_t* data, size_t len, PayloadOwner owner) override;
  size_t queued_bytes() const override {
    return out_ ? out_->pending.remaining() + out_->accum.payload_bytes() : 0;
  }
  bool congested() const override { return congested_; }
  void pause_reading() override { paused_ = true; }
  void resume_reading() override;
  void close() override;
  void abort() override;
  bool is_open() const override { return state_ == State::kOpen; }
  void rehome(EventLoop& target, std::function<void()> on_moved) override;
  EventLoop& loop() override { return *loop_; }
  const std::string& peer() const override { return peer_; }
  std::string local_address() const override;
  bool is_websocket() const override { return ws_ != nullptr; }
  void expect_input(size_t total) override;
  void read_pending() override { on_readable(); }
  uint64_t id() const override { return id_; }

 private:
  friend class FlushScope;
  enum class State : uint8_t { kOpen, kClosing, kClosed };
  // Output queue. Allocated on the first send and given back to a per-loop pool once all is
  // written, so an idle connection holds no output memory.
  struct Output {
    OutputBatch pending;        // being written
    OutputBatch accum;          // accumulating this loop turn
    std::vector<uint8_t> ctrl;  // raw bytes to write before the next batch (WS control, HTTP)
  };
  // Only while a move is in progress.
  struct Rehome {
    EventLoop* target = nullptr;
    std::function<void()> on_moved;
  };
  struct WsState {
    explicit WsState(const ListenerOptions& o)
        : subprotocol(o.ws_subprotocol),
          decoder(o.ws_max_message),
          handshake_timeout(o.ws_handshake_timeout) {}
    std::string subprotocol;
    std::shared_ptr<const HandlerFactory> factory;  // until the upgrade
    ws::FrameDecoder decoder;
    InputBuffer payload;  // un-framed bytes offered to the handler
    bool upgraded = false;
    uint16_t close_code = 0;  // non-zero: a close frame is due (sent after queued data)
    bool close_sent = false;
    std::chrono::milliseconds handshake_timeout;
    std::unique_ptr<asio::steady_timer> handshake_timer;  // reset at the upgrade
  };

  // I/O
  bool on_readable();  // false if nothing was read (EAGAIN, paused, closed)
  void post_read();    // reads again later (the last read filled the buffer: maybe more)
  size_t read_some(uint8_t* buf, size_t n, std::error_code& ec);
  // Appends one read to input_; `filled` tells whether it filled what was offered.
  void read_into_input(std::error_code& ec, bool& filled);
  void schedule_flush();
  void run_scheduled_flush(uint32_t epoch);  // the flush schedule_flush() asked for
  void flush();
  bool prepare_batch();  // moves what is queued into the batch to write; false if nothing
  void write_loop();     // writes batches until done or the socket is full
  bool register_fd();    // with the loop's Poller; false (and failed) on error
  void close_fd();
  void after_enqueue();
  void maybe_drain();
  bool has_output() const;
  Output& out();                // the output queue, taken from the loop's pool if needed
  void maybe_release_output();  // everything written: hand the queue back to the pool
  std::vector<uint8_t>& ctrl() { return out().ctrl; }
  static std::unique_ptr<Output> take_output();
  static void give_back_output(std::unique_ptr<Output> o);
  void finish_close();  // graceful: output is flushed
  void fail(const char* what, const std::error_code& ec);
  void finalize();
  void end_callback();  // after a handler callback returns
  // Input
  void process_input();
  void deliver();
  void deliver_direct(std::span<const uint8_t> data);  // from the loop's read buffer
  InputBuffer& app_input() { return ws_ ? ws_->payload : input_.get(); }
  // Creates the handler; false if the factory refused.
  bool became_ready(std::shared_ptr<const HandlerFactory> factory);
  // WebSocket (tcp_connection_ws.cc)
  void ws_process();
  void ws_handshake();
  void ws_start_handshake_timer();
  void ws_handshake_timer_reset() {
    if (ws_) ws_->handshake_timer.reset();
  }
  // Rehoming (tcp_connection_rehome.cc)
  void continue_rehome();
  void adopt();
  void unregister();  // leaves the loop's registry and Poller

  // ConnectionLimits, in 12 bytes instead of 24.
  struct Limits {
    uint32_t high_watermark;
    uint32_t low_watermark;
    uint32_t read_buffer;
  };

  EventLoop* loop_;
  int fd_;
  Limits limits_;
  std::unique_ptr<ConnectionHandler> handler_;
  std::unique_ptr<ConnectionHandler> retired_;  // replaced from inside its own callback
  std::unique_ptr<WsState> ws_;
  std::string peer_;
  uint64_t id_;
  // Bytes from the socket not consumed yet (usually none: reads go to a per-loop buffer).
  LazyInputBuffer input_;
  std::unique_ptr<Output> out_;
  std::unique_ptr<Rehome> rehome_;  // only while moving to another loop

  int in_handler_ = 0;  // depth of handler callbacks on the stack
  uint32_t slot_ = 0;   // index in the loop's registry while registered_
  // Rehoming: tasks posted before a move carry the epoch and become no-ops after it.
  std::atomic<uint32_t> epoch_{0};
  // Flags as bit-fields: one connection object per client, tens of thousands of them.
  State state_ = State::kOpen;
  bool registered_ : 1 = false;
  bool polled_ : 1 = false;  // in the loop's Poller
  bool finalized_ : 1 = false;
  bool finalize_pending_ : 1 = false;  // close requested from inside a handler callback
  bool paused_ : 1 = false;
  bool read_posted_ : 1 = false;
  bool peer_done_ : 1 = false;      // EOF or error reported: read until the read says so
  bool writing_ : 1 = false;        // a batch is being written (maybe waiting for EPOLLOUT)
  bool write_blocked_ : 1 = false;  // the socket was full: write_loop() again on EPOLLOUT
  bool flush_posted_ : 1 = false;
  bool congested_ : 1 = false;
  bool rehoming_ : 1 = false;
};

}  // namespace unimq::net
