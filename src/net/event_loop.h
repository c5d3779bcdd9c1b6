// Shard-per-core event loops. Each EventLoop owns one io_context run by one thread; all state a
// shard owns (connections, sessions, its subscription-index replica) is touched only there.
// Cross-shard work is handed over with post(). Asio stays out of this header (pimpl).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace unimq::net {

class EventLoop {
 public:
  explicit EventLoop(uint32_t index);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  uint32_t index() const { return index_; }
  // Runs fn on this loop's thread (thread-safe, FIFO per poster).
  void post(std::function<void()> fn);
  // True when called from this loop's thread.
  bool in_loop() const;
  // The asio::io_context, as void* so callers in net/ can cast; others use Timer/post.
  void* native();

  void run();   // blocks; called by the owning thread
  void stop();  // thread-safe

  // net/-internal state (io_context, connection registry); opaque outside net/.
  struct Impl;
  Impl& internals() { return *impl_; }

 private:
  uint32_t index_;
  std::unique_ptr<Impl> impl_;
};

// N loops, one thread each. Destroy Listeners before the group; the destructor stops and joins
// the threads and then drops the open connections (their handlers are destroyed without
// on_closed). Loop i's thread is pinned to no core; the OS spreads them.
class EventLoopGroup {
 public:
  explicit EventLoopGroup(size_t n);
  ~EventLoopGroup();
  size_t size() const { return loops_.size(); }
  EventLoop& loop(size_t i) { return *loops_[i]; }
  // Index of the loop running on the calling thread, or -1 if none.
  static int current_index();
  void start();  // spawns the threads
  void stop();   // stops every loop
  void join();

 private:
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::vector<std::thread> threads_;
};

}  // namespace unimq::net
