// Private to net/: what an EventLoop holds besides its index. Includes asio, so never include
// this from a public header.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/event_loop.h"

namespace unimq::net {

class Poller;
class TcpConnection;
class TimerWheel;

struct EventLoop::Impl {
  Impl();
  ~Impl();
  // Concurrency hint 1: exactly one thread runs this context (shard-per-core).
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  // The CoarseTimers of this loop (timer.cc); created by the first one armed. Destroyed after
  // the connections (whose handlers own CoarseTimers) and before io.
  std::unique_ptr<TimerWheel> wheel;
  // Readiness of this loop's connections (poller.h); created by the first one. Destroyed
  // after the connections and before io.
  std::unique_ptr<Poller> poller;
  // Open connections homed on this loop; the registry is what keeps a connection alive while
  // it has no operation in flight (e.g. paused). Touched only on this loop's thread. Declared
  // after io so it is destroyed first, while the io_context still exists.
  // A flat vector (each connection knows its slot) rather than a map: no node per connection.
  std::vector<std::shared_ptr<TcpConnection>> connections;
};

inline asio::io_context& io_of(EventLoop& loop) { return loop.internals().io; }
Poller& poller_of(EventLoop& loop);  // poller.cc

// Marks one event callback on the current loop thread (a readiness handler, a posted task).
// Connections that queue output inside it are flushed when the outermost scope ends, so bytes
// produced by a callback hit the socket before the loop polls again (and before any other
// ready event is handled), instead of after a posted flush. Without a scope, flushes are
// posted. Defined in tcp_connection.cc.
class FlushScope {
 public:
  FlushScope();
  ~FlushScope();
  FlushScope(const FlushScope&) = delete;
  FlushScope& operator=(const FlushScope&) = delete;
};

}  // namespace unimq::net
