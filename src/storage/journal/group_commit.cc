#include "storage/journal/group_commit.h"

#include <algorithm>
#include <chrono>

#include "storage/journal/file_util.h"

namespace unimq::storage::journal {
namespace {
thread_local bool t_on_writer = false;
}

WriterPool::WriterPool(size_t threads) {
  threads = std::max<size_t>(threads, 1);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WriterPool::~WriterPool() { stop(); }

bool WriterPool::schedule(Task task, bool requeue) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
    wake = !(requeue && t_on_writer && tasks_.size() == 1);
  }
  if (wake) cv_.notify_one();
  return true;
}

void WriterPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

bool WriterPool::on_writer_thread() { return t_on_writer; }

void WriterPool::run() {
  t_on_writer = true;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping and drained
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // release captures outside the lock
    lock.lock();
  }
}

Flusher::Flusher() : thread_([this] { run(); }) {}

Flusher::~Flusher() { stop(); }

void Flusher::add(Target target, uint32_t interval_ms) {
  {
    std::lock_guard lock(mu_);
    targets_.push_back(std::move(target));
    tick_ms_ = std::clamp<uint32_t>(std::min(tick_ms_, interval_ms), 1, 1000);
  }
  cv_.notify_one();
}

void Flusher::note_interval(uint32_t interval_ms) {
  std::lock_guard lock(mu_);
  tick_ms_ = std::clamp<uint32_t>(std::min(tick_ms_, interval_ms), 1, 1000);
}

void Flusher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Flusher::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(tick_ms_));
    if (stopping_) break;
    std::vector<Target> targets = targets_;  // flush without holding the lock
    lock.unlock();
    std::vector<bool> alive(targets.size());
    const int64_t now = wall_ms();
    for (size_t i = 0; i < targets.size(); ++i) alive[i] = targets[i](now);
    lock.lock();
    // Forget dead targets (new ones were appended after the copied prefix).
    size_t k = 0;
    for (size_t i = 0; i < targets_.size(); ++i) {
      if (i >= alive.size() || alive[i]) targets_[k++] = std::move(targets_[i]);
    }
    targets_.resize(k);
  }
}

}  // namespace unimq::storage::journal
