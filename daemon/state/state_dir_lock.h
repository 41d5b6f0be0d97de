#pragma once

// StateDirLock: an exclusive advisory lock (flock) on `state.dir`/presenced.lock, held while the
// object lives. The daemon takes it at start, so two daemons never share one state dir (both
// would send every event), and --replay-dead-letters takes it, because it writes the outbox
// behind a running daemon's back (whose backlog counts would go stale). Readers such as
// --dead-letters do not need it. The file holds the holder's pid, for the error message. The
// kernel releases the lock when the process dies, however it dies.
//
// Thread-compatible.

#include <memory>
#include <string>

#include "common/result.h"

namespace presenced {

class StateDirLock {
 public:
  // Creates `dir` if missing and takes the lock without waiting. Fails with "state.dir <dir> is
  // locked by another presenced (pid N)" when another process holds it.
  static Result<std::unique_ptr<StateDirLock>> Acquire(const std::string& dir);
  ~StateDirLock();
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace presenced
