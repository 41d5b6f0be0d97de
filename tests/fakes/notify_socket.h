#pragma once

// NotifySocket: a datagram socket standing in for systemd's $NOTIFY_SOCKET, so tests can read
// what presenced (or SystemdNotifier) sends. Not thread-safe; one reader.

#include <chrono>
#include <string>
#include <vector>

namespace presenced::testing {

class NotifySocket {
 public:
  // Binds a datagram socket at `path` (a file path that must not exist yet).
  explicit NotifySocket(const std::string& path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // Returns the next message, or "" if none arrives within `timeout`.
  std::string Receive(std::chrono::milliseconds timeout);
  // Reads messages until one contains `needle` or `deadline` passes; every message read is kept
  // in messages().
  bool WaitFor(const std::string& needle, std::chrono::milliseconds deadline);
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  int fd_ = -1;
  std::vector<std::string> messages_;
};

}  // namespace presenced::testing
