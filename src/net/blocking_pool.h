// A few threads for work that may block on the disk (reads of a stream's files), so that an
// event loop never waits for a device: a loop hands the work over and gets the result back
// with EventLoop::post. Tasks run in submission order per thread, concurrently across threads.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace unimq::net {

class BlockingPool {
 public:
  // `name` prefixes the threads' names (name-0, name-1...; at most 15 characters in all).
  BlockingPool(size_t threads, std::string name);
  ~BlockingPool();  // stop()
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues `task`; after stop() it is dropped (destroyed without running).
  void submit(std::function<void()> task);
  // Finishes the tasks running, drops the queued ones, joins the threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unimq::net
