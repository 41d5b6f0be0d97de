#pragma once

// Readiness: why presenced is not ready, one reason per cause. GET /-/ready answers 200 when no
// cause is set and 503 with every reason otherwise (CONTRACT §6). Causes are short fixed keys
// owned by the part that sets them ("first_cycle", "credentials", "state_commit", "no_fetch");
// the reason is the human text shown to the operator.
//
// Thread-safe: set and cleared from the poll loop, read from HTTP worker threads.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/mutex.h"

namespace presenced {

class Readiness {
 public:
  // Marks the daemon not ready because of `cause`, replacing that cause's previous reason.
  void Set(const std::string& cause, std::string reason);
  // Removes `cause`; the daemon is ready again once no cause is left.
  void Clear(const std::string& cause);
  // Returns the reasons (one per line, ordered by cause), or nullopt when ready.
  std::optional<std::string> NotReadyReason() const;

 private:
  mutable Mutex mu_;
  std::map<std::string, std::string> causes_ GUARDED_BY(mu_);  // cause → reason
};

}  // namespace presenced
