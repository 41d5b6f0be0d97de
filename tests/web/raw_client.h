#pragma once

// RawClient: a plain TCP connection to 127.0.0.1:port for tests that need what an HTTP library
// hides: the exact status line, a client that never finishes its request head, or a connection
// from another loopback address (127.0.0.2 counts as a different client). Not thread-safe.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::testing {

class RawClient {
 public:
  RawClient(uint16_t port, const char* source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
                 ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // True once the server has closed (or reset) the connection; never waits.
  bool ClosedByServer() {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 0) <= 0) return false;
    char byte;
    return ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
  }

  // Reads until the server closes the connection or nothing arrives for `timeout`.
  std::string ReadAll(std::chrono::seconds timeout = std::chrono::seconds(20)) {
    timeval tv{static_cast<time_t>(timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fd_, buffer, sizeof buffer, 0)) > 0) out.append(buffer, n);
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Sends one request (Connection: close) from `source` and returns the whole raw reply, "" when
// none came.
inline std::string RawRequest(uint16_t port, const std::string& method, const std::string& path,
                              const char* source = "127.0.0.1") {
  RawClient client(port, source);
  if (!client.connected()) return "";
  client.Send(method + " " + path +
              " HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  return client.ReadAll();
}

// The first line of a raw reply, without its CRLF.
inline std::string StatusLine(const std::string& reply) {
  return reply.substr(0, reply.find("\r\n"));
}

}  // namespace presenced::testing
