#include "service/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace presenced {

SystemdNotifier::SystemdNotifier(std::string socket,
                                 std::optional<std::chrono::milliseconds> watchdog_period)
    : socket_(std::move(socket)), watchdog_period_(watchdog_period) {
  if (socket_.empty() || socket_.size() >= sizeof(sockaddr_un::sun_path)) return;
  if (socket_[0] != '/' && socket_[0] != '@') return;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

bool SystemdNotifier::Send(std::string_view message) const {
  if (fd_ < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  // MSG_DONTWAIT: a full queue answers EAGAIN instead of blocking until systemd reads.
  const ssize_t sent = ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                                reinterpret_cast<sockaddr*>(&addr), len);
  if (sent == static_cast<ssize_t>(message.size())) return true;
  dropped_.fetch_add(1);
  return false;
}

std::optional<std::chrono::milliseconds> SystemdNotifier::WatchdogPeriod(const char* watchdog_usec,
                                                                         const char* watchdog_pid) {
  if (watchdog_usec == nullptr) return std::nullopt;
  if (watchdog_pid != nullptr && std::atol(watchdog_pid) != ::getpid()) return std::nullopt;
  const long long usec = std::atoll(watchdog_usec);
  if (usec <= 0) return std::nullopt;
  return std::chrono::milliseconds(std::max(1LL, usec / 2000));
}

}  // namespace presenced
