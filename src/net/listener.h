// TCP and WebSocket listeners. One acceptor per event loop bound with SO_REUSEPORT, so the
// kernel spreads new connections across the shards with no hand-off thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/connection.h"

namespace unimq::net {

class EventLoopGroup;

enum class Transport { Tcp, WebSocket };

struct ListenerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 0;
  Transport transport = Transport::Tcp;
  std::string ws_subprotocol = "mqtt";  // required/echoed Sec-WebSocket-Protocol (WebSocket)
  size_t ws_max_message = 256u << 20;   // larger WebSocket messages/frames close with 1009
  // Connections that have not completed the WebSocket upgrade by then are dropped (the handler
  // factory, and so the broker's own timeouts, only see upgraded connections).
  std::chrono::milliseconds ws_handshake_timeout{10000};
  ConnectionLimits limits;
};

// Called on the accepting loop for each new connection (after the WebSocket upgrade, for
// WebSocket listeners); returns its handler. Returning nullptr closes the connection.
using HandlerFactory = std::function<std::unique_ptr<ConnectionHandler>(Connection&)>;

class Listener {
 public:
  Listener(EventLoopGroup& loops, ListenerOptions opts, HandlerFactory factory);
  ~Listener();
  // Binds and starts accepting; throws std::runtime_error with a clear message on failure
  // (e.g. "cannot listen on 0.0.0.0:1883: Address already in use").
  void start();
  // Stops accepting (existing connections stay). Thread-safe.
  void stop();
  uint16_t port() const;  // the bound port (useful when opts.port == 0 means "any")

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unimq::net
