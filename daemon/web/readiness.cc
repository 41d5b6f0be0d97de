#include "web/readiness.h"

#include <utility>

namespace presenced {

void Readiness::Set(const std::string& cause, std::string reason) {
  MutexLock lock(mu_);
  causes_[cause] = std::move(reason);
}

void Readiness::Clear(const std::string& cause) {
  MutexLock lock(mu_);
  causes_.erase(cause);
}

std::optional<std::string> Readiness::NotReadyReason() const {
  MutexLock lock(mu_);
  if (causes_.empty()) return std::nullopt;
  std::string text;
  for (const auto& [cause, reason] : causes_) text.append(reason).push_back('\n');
  return text;
}

}  // namespace presenced
