#include "common/worker_pool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

namespace presenced {

WorkerPool::~WorkerPool() {
  std::vector<std::thread> threads;
  {
    MutexLock lock(mu_);
    stop_ = true;
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (std::thread& thread : threads) thread.join();
}

void WorkerPool::Run(size_t count, size_t threads, const std::atomic<bool>& cancel,
                     const std::function<void(size_t)>& job) {
  if (count == 0) return;
  MutexLock run(run_mu_);
  const size_t helpers = std::min(std::max<size_t>(threads, 1), count) - 1;
  {
    MutexLock lock(mu_);
    while (threads_.size() < helpers) {
      try {
        threads_.emplace_back([this, index = threads_.size()] { Loop(index); });
      } catch (const std::system_error& e) {
        spdlog::warn("could not start a worker thread ({}); continuing with fewer", e.what());
        break;
      }
    }
    job_ = &job;
    cancel_ = &cancel;
    count_ = count;
    next_ = 0;
    helpers_ = std::min(helpers, threads_.size());
    active_ = helpers_;
    ++generation_;
  }
  wake_.notify_all();
  Work();
  MutexLock lock(mu_);
  done_.wait(lock.native(), [this]() REQUIRES(mu_) { return active_ == 0; });
  job_ = nullptr;
  cancel_ = nullptr;
}

void WorkerPool::Loop(size_t index) {
  uint64_t seen = 0;
  MutexLock lock(mu_);
  while (true) {
    wake_.wait(lock.native(), [&]() REQUIRES(mu_) { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    if (index >= helpers_) continue;  // this batch needs fewer threads
    lock.Unlock();
    Work();
    lock.Lock();
    if (--active_ == 0) done_.notify_all();
  }
}

void WorkerPool::Work() {
  while (!cancel_->load()) {
    const size_t i = next_.fetch_add(1);
    if (i >= count_) return;
    (*job_)(i);
  }
}

}  // namespace presenced
