// A client connection (plain TCP or WebSocket) as the protocols see it: a byte stream in,
// batched writes out. Knows no protocol. Lives on one EventLoop; every method must be called
// on that loop's thread, except where noted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace unimq::net {

class EventLoop;
class Connection;

// The protocol side of a connection. Owned by the Connection.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // New bytes (already un-framed for WebSocket). Returns how many were consumed; the rest is
  // kept and offered again, with more, on the next call.
  virtual size_t on_data(std::span<const uint8_t> data) = 0;
  // The output queue drained below the low watermark after having been above the high one.
  virtual void on_drain() {}
  // The connection is closed (by either side); called once. The handler is destroyed after.
  virtual void on_closed() = 0;
};

// Keeps a payload alive while it waits in an output queue (zero-copy writes).
using PayloadOwner = std::shared_ptr<const void>;

class Connection {
 public:
  virtual ~Connection() = default;

  // May be called from inside the current handler's callback: the old handler lives until
  // that callback returns; the new one is offered the remaining input.
  virtual void set_handler(std::unique_ptr<ConnectionHandler> h) = 0;
  virtual ConnectionHandler* handler() = 0;

  // Queues bytes (copied into the connection's output buffer). Writes are flushed once per
  // event-loop turn as one writev, so many small sends cost one syscall.
  virtual void send(std::span<const uint8_t> bytes) = 0;
  // Queues bytes that are not copied: `owner` keeps [data, data+len) alive until written.
  virtual void send_shared(const uint8_t* data, size_t len, PayloadOwner owner) = 0;
  // Bytes queued and not yet written to the socket.
  virtual size_t queued_bytes() const = 0;
  // Backpressure: becomes true when queued_bytes() rises above the high watermark and stays
  // true until it falls below the low one, which is when on_drain() fires.
  virtual bool congested() const = 0;

  // Stops delivering on_data until resume_reading(). Unconsumed input is kept.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;

  // Flushes what is queued, then closes (WebSocket: sends a 1000 close frame after the data).
  // on_closed follows, never from inside this call; send() is ignored from now on.
  virtual void close() = 0;
  // Closes now, dropping the output queue. on_closed follows (after the current callback
  // returns, when called from one).
  virtual void abort() = 0;
  virtual bool is_open() const = 0;

  // Moves the connection (socket, buffered input, handler, unsent output) to another loop.
  // Reading must be paused first. on_moved runs on the target loop; reading stays paused until
  // resumed there. Between rehome() and on_moved nothing may be called on the connection
  // except from the old loop before it returns; the old loop must not touch it afterwards.
  virtual void rehome(EventLoop& target, std::function<void()> on_moved) = 0;

  virtual EventLoop& loop() = 0;
  virtual const std::string& peer() const = 0;  // "ip:port"
  // The local IP address the client dialled, without port or brackets ("" if unknown).
  virtual std::string local_address() const { return {}; }
  virtual bool is_websocket() const = 0;
  virtual uint64_t id() const = 0;
  // Hint from a handler that returned for want of bytes: the frame it is assembling is
  // `total` bytes long, counted from the first unconsumed byte. The connection then buffers
  // it in one allocation and reads it in large pieces (a 1 MiB Kafka produce request), instead
  // of growing by doubling. Reset once the handler consumes input.
  virtual void expect_input(size_t total) { (void)total; }
  // Reads and handles, now, input the peer has already sent (non-blocking; on the
  // connection's loop thread, possibly inside another connection's callback). For ordering
  // across connections: a client's DISCONNECT on its old connection before its new CONNECT.
  virtual void read_pending() {}
};

struct ConnectionLimits {
  size_t high_watermark = 4 * 1024 * 1024;  // congested() above this
  size_t low_watermark = 1024 * 1024;       // on_drain() when back below this
  size_t read_buffer = 64 * 1024;           // bytes read per syscall at most
};

}  // namespace unimq::net
