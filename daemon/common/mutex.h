#pragma once

// Mutex and MutexLock: std::mutex and std::unique_lock with clang's thread-safety attributes, so
// members marked GUARDED_BY(mu_) are checked at compile time (common/thread_annotations.h).
//
//   Mutex mu_;
//   int count_ GUARDED_BY(mu_) = 0;
//   void Add() { MutexLock lock(mu_); ++count_; }
//
// A condition variable waits on lock.native(); its predicate, a lambda, says what it reads with
// REQUIRES(mu_):  cv_.wait(lock.native(), [this]() REQUIRES(mu_) { return count_ > 0; });
// The wait releases and retakes the mutex; the analysis sees it held throughout, which is what
// the code before and after the wait relies on.

#include <mutex>

#include "common/thread_annotations.h"

namespace presenced {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }

 private:
  friend class MutexLock;
  std::mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.mu_) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Releases the mutex before the end of the scope (and takes it again).
  void Unlock() RELEASE() { lock_.unlock(); }
  void Lock() ACQUIRE() { lock_.lock(); }

  // The lock as std::condition_variable and Clock::WaitUntil take it.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace presenced
