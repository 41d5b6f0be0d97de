#include "net/session_pool.h"

#include <Poco/Net/HTTPClientSession.h>

namespace presenced {

SessionPool::SessionPool(size_t max_idle_per_origin) : max_idle_per_origin_(max_idle_per_origin) {}

SessionPool::~SessionPool() = default;

std::unique_ptr<Poco::Net::HTTPClientSession> SessionPool::Take(const std::string& origin) {
  MutexLock lock(mu_);
  auto it = idle_.find(origin);
  if (it == idle_.end() || it->second.empty()) return nullptr;
  std::unique_ptr<Poco::Net::HTTPClientSession> session = std::move(it->second.back());
  it->second.pop_back();
  return session;
}

void SessionPool::Put(const std::string& origin,
                      std::unique_ptr<Poco::Net::HTTPClientSession> session) {
  std::unique_ptr<Poco::Net::HTTPClientSession> surplus;
  {
    MutexLock lock(mu_);
    auto& sessions = idle_[origin];
    if (sessions.size() < max_idle_per_origin_) {
      sessions.push_back(std::move(session));
    } else {
      surplus = std::move(session);
    }
  }
  // `surplus` (if any) closes its socket here, outside the lock.
}

}  // namespace presenced
