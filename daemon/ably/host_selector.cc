#include "ably/host_selector.h"

#include <algorithm>

namespace presenced {

namespace {

// Shuffles `items` uniformly (Fisher-Yates) with draws from `random`.
void Shuffle(std::vector<std::string>& items, Random& random) {
  for (size_t i = items.size(); i > 1; --i) {
    const auto j =
        std::min(i - 1, static_cast<size_t>(random.Uniform01() * static_cast<double>(i)));
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace

HostSelector::HostSelector(std::vector<std::string> fallback_hosts, const Clock& clock,
                           Random& random)
    : fallbacks_(std::move(fallback_hosts)), clock_(clock), random_(random) {}

std::vector<std::string> HostSelector::Order() {
  MutexLock lock(mu_);
  std::vector<std::string> order;
  const bool prefer = !preferred_.empty() && clock_.SteadyNow() < preferred_until_;
  if (!prefer) preferred_.clear();
  order.push_back(prefer ? preferred_ : "");
  std::vector<std::string> others;
  for (const std::string& host : fallbacks_) {
    if (host != order.front()) others.push_back(host);
  }
  Shuffle(others, random_);
  // A preferred fallback that fails still leaves the primary endpoint among the retries.
  if (prefer) others.insert(others.begin(), "");
  for (const std::string& host : others) {
    if (order.size() > static_cast<size_t>(kMaxRetries)) break;
    order.push_back(host);
  }
  return order;
}

void HostSelector::Succeeded(const std::string& host) {
  MutexLock lock(mu_);
  if (host.empty()) {
    preferred_.clear();
    return;
  }
  if (host != preferred_) {
    preferred_ = host;
    preferred_until_ = clock_.SteadyNow() + kPreferFor;
  }
}

void HostSelector::Failed(const std::string& host) {
  MutexLock lock(mu_);
  if (!host.empty() && host == preferred_) preferred_.clear();
}

}  // namespace presenced
