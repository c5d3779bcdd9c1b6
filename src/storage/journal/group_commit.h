// Background threads of the journal, shared by every stream of an engine.
//
// WriterPool: a few threads that drain stream append queues. A stream with pending appends
// is scheduled once; one thread takes everything queued, writes it with one pwritev and (for
// FsyncPolicy::Always) one fdatasync that covers the whole group, then runs the callbacks
// in offset order. A stream is drained by at most one thread at a time, so per-stream order
// holds while different streams are written in parallel. Threads are few (not one per
// stream) so thousands of partitions do not mean thousands of threads.
//
// Flusher: one thread that fdatasyncs FsyncPolicy::Interval streams every
// fsync_interval_ms.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace unimq::storage::journal {

class WriterPool {
 public:
  using Task = std::function<void()>;
  explicit WriterPool(size_t threads);
  ~WriterPool();
  WriterPool(const WriterPool&) = delete;
  WriterPool& operator=(const WriterPool&) = delete;

  // Runs task on a writer thread; false once stopped. requeue: called by a writer thread as
  // its task ends (a stream with more queued goes to the back of the queue); when nothing
  // else waits, that thread takes it itself instead of waking another (a hot stream would
  // otherwise ping-pong between threads, two wakeups per group).
  bool schedule(Task task, bool requeue = false);
  // Runs what is queued, then joins the threads.
  void stop();
  // True on a writer thread (appends from callbacks must not block on backpressure).
  static bool on_writer_thread();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class Flusher {
 public:
  // flush_due(now_ms) is polled every tick; it flushes and returns whether the stream is
  // still alive (false: forget it).
  using Target = std::function<bool(int64_t now_ms)>;
  Flusher();
  ~Flusher();
  void add(Target target, uint32_t interval_ms);
  // Polls at least every interval_ms from now on.
  void note_interval(uint32_t interval_ms);
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Target> targets_;
  uint32_t tick_ms_ = 1000;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace unimq::storage::journal
