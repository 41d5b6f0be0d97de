#pragma once

// SystemdNotifier: the sd_notify protocol spoken directly (no libsystemd): datagrams such as
// "READY=1" or "STATUS=…" sent to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an
// abstract name when it starts with '@'). Without $NOTIFY_SOCKET every call is a no-op. Sending
// never blocks the caller (the poll loop and the watchdog thread). Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace presenced {

class SystemdNotifier {
 public:
  // `socket` is the value of $NOTIFY_SOCKET ("" = disabled); `watchdog_period` how often to send
  // WATCHDOG=1 (WatchdogPeriod of the environment; nullopt = no watchdog).
  explicit SystemdNotifier(std::string socket,
                           std::optional<std::chrono::milliseconds> watchdog_period = std::nullopt);
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // Sends one notification without ever blocking: when the socket's queue is full (systemd busy,
  // the queue holds 10 datagrams by default) or nobody listens, the message is dropped and counted
  // in dropped(). Nothing is lost that matters: STATUS= is superseded by the next one and
  // WATCHDOG=1 is sent again every half period. Returns whether the message was sent.
  bool Send(std::string_view message) const;
  // Messages dropped so far.
  uint64_t dropped() const { return dropped_.load(); }
  // How often to send WATCHDOG=1, or nullopt when systemd watches nothing.
  std::optional<std::chrono::milliseconds> watchdog_period() const { return watchdog_period_; }

  // Returns how often to send WATCHDOG=1 (half of $WATCHDOG_USEC) when the watchdog is enabled
  // for this process ($WATCHDOG_PID unset or equal to our pid).
  static std::optional<std::chrono::milliseconds> WatchdogPeriod(const char* watchdog_usec,
                                                                 const char* watchdog_pid);

 private:
  std::string socket_;
  std::optional<std::chrono::milliseconds> watchdog_period_;
  int fd_ = -1;
  mutable std::atomic<uint64_t> dropped_{0};
};

}  // namespace presenced
