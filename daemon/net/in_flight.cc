#include "net/in_flight.h"

#include <sys/socket.h>
#include <unistd.h>

namespace presenced {

InFlightSockets::~InFlightSockets() {
  MutexLock lock(mu_);
  for (const auto& [id, fd] : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

std::optional<InFlightSockets::Id> InFlightSockets::Begin() {
  MutexLock lock(mu_);
  if (aborted_) return std::nullopt;
  const Id id = next_++;
  fds_.emplace(id, -1);
  return id;
}

bool InFlightSockets::Attach(Id id, int fd) {
  // A duplicate: the request's own code may close `fd` at any moment, the duplicate stays ours.
  const int dup = fd >= 0 ? ::dup(fd) : -1;
  int old = -1;
  bool ok = true;
  {
    MutexLock lock(mu_);
    if (aborted_) {
      ok = false;
      if (dup >= 0) ::shutdown(dup, SHUT_RDWR);
    }
    auto it = fds_.find(id);
    if (it != fds_.end()) {
      old = it->second;
      it->second = dup;
    } else {
      old = dup;  // not tracked (ended): nothing to keep
    }
  }
  if (old >= 0) ::close(old);
  return ok;
}

void InFlightSockets::End(Id id) {
  int fd = -1;
  {
    MutexLock lock(mu_);
    auto it = fds_.find(id);
    if (it == fds_.end()) return;
    fd = it->second;
    fds_.erase(it);
  }
  if (fd >= 0) ::close(fd);
}

void InFlightSockets::Abort() {
  MutexLock lock(mu_);
  aborted_ = true;
  for (const auto& [id, fd] : fds_) {
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }
}

bool InFlightSockets::aborted() const {
  MutexLock lock(mu_);
  return aborted_;
}

}  // namespace presenced
