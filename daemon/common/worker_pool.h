#pragma once

// WorkerPool: runs a batch of jobs on threads that outlive the batch. A poll cycle's fetches run
// on it, so the threads — and what they keep per thread (the JSON parser's buffers, warm heap
// arenas) — are made once, not every cycle: a new thread's first megabytes are page faults.
//
// Thread-safe: Run may be called from any thread; concurrent calls run one after the other.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "common/mutex.h"
#include "common/thread_annotations.h"

namespace presenced {

class WorkerPool {
 public:
  WorkerPool() = default;
  ~WorkerPool();  // joins the threads (no Run may be in progress)
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs job(0) … job(count - 1), each once, on up to `threads` threads, the caller's included
  // (threads are started on first need and kept; if one cannot be started, fewer run). Stops
  // taking new jobs once `cancel` is set. Returns after every job taken has returned.
  void Run(size_t count, size_t threads, const std::atomic<bool>& cancel,
           const std::function<void(size_t)>& job);

 private:
  void Loop(size_t index);
  // Takes and runs jobs of the current batch until none is left or it is cancelled.
  void Work();

  Mutex run_mu_;  // one Run at a time
  Mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  bool stop_ GUARDED_BY(mu_) = false;
  uint64_t generation_ GUARDED_BY(mu_) = 0;  // one per batch
  size_t helpers_ GUARDED_BY(mu_) = 0;       // threads_[0, helpers_) take part in the current batch
  size_t active_ GUARDED_BY(mu_) = 0;        // helpers not yet finished with the current batch
  // The current batch: set under mu_ before the wake-up that starts it, and read by the workers
  // without it while the batch runs (Run waits for them before it changes these again).
  const std::function<void(size_t)>* job_ = nullptr;
  const std::atomic<bool>* cancel_ = nullptr;
  size_t count_ = 0;
  std::atomic<size_t> next_{0};
};

}  // namespace presenced
