#pragma once

// RawHttpServer: a one-thread HTTP/1.1 server on 127.0.0.1, port 0, on raw sockets, for exchanges
// a well-behaved server never produces. On each connection it answers the first
// `answered_per_connection` requests with `200 ok` (keep-alive announced); every later request is
// read in full (head and body) and the connection is closed without an answer. With
// `close_after_answer` it closes the connection right after its answers instead, although it
// announced keep-alive. It records every request it read. Connections are served one at a time.

#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <strings.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace presenced::testing {

class RawHttpServer {
 public:
  struct Options {
    int answered_per_connection = 1;
    bool close_after_answer = false;
  };

  explicit RawHttpServer(Options options)
      : options_(options), listener_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawHttpServer() {
    stop_ = true;
    thread_.join();
  }

  std::string Url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(listener_.address().port()) + target;
  }
  // "METHOD body" of every request read, in order.
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int closed_connections() const { return closed_; }

 private:
  void Serve() {
    while (!stop_) {
      if (!listener_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket connection = listener_.acceptConnection();
      connection.setReceiveTimeout(Poco::Timespan(10, 0));
      std::string buffer;
      for (int n = 0;; ++n) {
        if (!ReadRequest(connection, buffer)) break;  // the client closed or stalled
        if (n >= options_.answered_per_connection) break;
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        connection.sendBytes(answer.data(), static_cast<int>(answer.size()));
        if (options_.close_after_answer && n + 1 == options_.answered_per_connection) break;
      }
      connection.close();
      ++closed_;
    }
  }

  // Reads one request (head, then Content-Length bytes of body) and records it.
  bool ReadRequest(Poco::Net::StreamSocket& connection, std::string& buffer) {
    size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!Receive(connection, buffer)) return false;
    }
    const std::string head = buffer.substr(0, head_end);
    size_t length = 0;
    for (size_t at = head.find("\r\n"); at != std::string::npos; at = head.find("\r\n", at + 2)) {
      if (strncasecmp(head.c_str() + at + 2, "content-length:", 15) == 0) {
        length = std::strtoul(head.c_str() + at + 17, nullptr, 10);
      }
    }
    while (buffer.size() < head_end + 4 + length) {
      if (!Receive(connection, buffer)) return false;
    }
    {
      std::lock_guard lock(mu_);
      requests_.push_back(head.substr(0, head.find(' ')) + " " +
                          buffer.substr(head_end + 4, length));
    }
    buffer.erase(0, head_end + 4 + length);
    return true;
  }

  static bool Receive(Poco::Net::StreamSocket& connection, std::string& buffer) {
    char chunk[4096];
    try {
      const int n = connection.receiveBytes(chunk, sizeof chunk);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<size_t>(n));
      return true;
    } catch (const Poco::Exception&) {
      return false;
    }
  }

  const Options options_;
  Poco::Net::ServerSocket listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> closed_{0};
  mutable std::mutex mu_;  // guards requests_
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace presenced::testing
