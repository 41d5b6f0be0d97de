#pragma once

// SessionPool: idle keep-alive HTTP sessions, keyed by origin ("scheme://host:port"). A request
// takes an idle session (or makes a new one) and gives it back only after a complete response,
// so a session is never shared by two requests. Thread-safe.

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"

namespace Poco::Net {
class HTTPClientSession;
}

namespace presenced {

class SessionPool {
 public:
  explicit SessionPool(size_t max_idle_per_origin = 16);
  ~SessionPool();
  SessionPool(const SessionPool&) = delete;
  SessionPool& operator=(const SessionPool&) = delete;

  // Returns the most recently returned idle session of `origin`, or nullptr when there is none.
  std::unique_ptr<Poco::Net::HTTPClientSession> Take(const std::string& origin);
  // Keeps `session` for reuse; closes it when the origin already holds the maximum idle count.
  void Put(const std::string& origin, std::unique_ptr<Poco::Net::HTTPClientSession> session);

 private:
  const size_t max_idle_per_origin_;
  Mutex mu_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>>> idle_
      GUARDED_BY(mu_);
};

}  // namespace presenced
