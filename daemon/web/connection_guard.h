#pragma once

// ConnectionGuard: keeps slow or idle HTTP clients from starving the endpoints (CONTRACT §6).
// Poco's server gives each connection a thread until it ends, and its socket timeout applies to
// each read, so a client that sends one header byte every few seconds would hold a thread
// forever. The guard bounds that:
//   - at most `max_per_client` connections per client address (the others are closed at once);
//   - a connection must deliver a complete request head within `header_timeout` of being
//     accepted or of its previous answer (idle keep-alive included), and its answer must be
//     written within `answer_timeout`; otherwise a reaper thread shuts its socket down, which
//     ends the blocked read or write and frees the thread.
// Used only by http_server.cc. Thread-safe.

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/mutex.h"

namespace presenced {

class ConnectionGuard {
 public:
  struct Limits {
    std::chrono::milliseconds header_timeout;
    std::chrono::milliseconds answer_timeout;
    int max_per_client;
  };

  explicit ConnectionGuard(Limits limits);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Registers a new connection; false (and nothing registered) when its client already holds
  // max_per_client connections.
  bool Admit(const Poco::Net::StreamSocket& socket);
  // Forgets a connection that ended.
  void Release(const Poco::Net::StreamSocket& socket);
  // The request head from `peer` arrived: its answer has answer_timeout from now.
  void RequestStarted(const Poco::Net::SocketAddress& peer);
  // The answer to `peer` was written: the next request head has header_timeout from now.
  void RequestFinished(const Poco::Net::SocketAddress& peer);
  // Shuts down every connection (server stop).
  void ShutdownAll();

 private:
  using Clock = std::chrono::steady_clock;
  struct Connection {
    Poco::Net::StreamSocket socket;
    std::string client;  // the peer's host address
    Clock::time_point deadline;
  };

  void SetDeadline(const Poco::Net::SocketAddress& peer, std::chrono::milliseconds timeout)
      EXCLUDES(mu_);
  void Reap();

  const Limits limits_;
  Mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, Connection> connections_ GUARDED_BY(mu_);  // by peer "host:port"
  std::map<std::string, int> per_client_ GUARDED_BY(mu_);          // open connections by peer host
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread reaper_;
};

}  // namespace presenced
