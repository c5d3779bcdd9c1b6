#include "net/blocking_pool.h"

#include <pthread.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <mutex>
#include <thread>
#include <vector>

namespace unimq::net {

struct BlockingPool::Impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::vector<std::thread> threads;
  std::mutex stop_mu;
};

BlockingPool::BlockingPool(size_t threads, std::string name) : impl_(std::make_unique<Impl>()) {
  threads = std::max<size_t>(threads, 1);
  for (size_t i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([this, label = name + "-" + std::to_string(i)] {
      pthread_setname_np(pthread_self(), label.substr(0, 15).c_str());
      impl_->io.run();
    });
  }
}

BlockingPool::~BlockingPool() { stop(); }

void BlockingPool::submit(std::function<void()> task) { asio::post(impl_->io, std::move(task)); }

void BlockingPool::stop() {
  std::lock_guard g(impl_->stop_mu);
  if (impl_->threads.empty()) return;
  impl_->guard.reset();
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace unimq::net
