#include "web/connection_guard.h"

#include <Poco/Exception.h>

#include <algorithm>

namespace presenced {

namespace {

// How often the reaper looks at the deadlines when none is nearer.
constexpr std::chrono::milliseconds kReapTick{250};

// Shuts a socket down in both directions; a blocked read or write on it returns at once.
void Shutdown(Poco::Net::StreamSocket& socket) {
  try {
    socket.shutdown();
  } catch (const Poco::Exception&) {
    // Already closed by the peer or by the connection's thread: nothing left to free.
  }
}

}  // namespace

ConnectionGuard::ConnectionGuard(Limits limits) : limits_(limits) {
  reaper_ = std::thread([this] { Reap(); });
}

ConnectionGuard::~ConnectionGuard() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  reaper_.join();
}

bool ConnectionGuard::Admit(const Poco::Net::StreamSocket& socket) {
  Poco::Net::SocketAddress peer;
  try {
    peer = socket.peerAddress();
  } catch (const Poco::Exception&) {
    return false;  // the client is already gone
  }
  const std::string client = peer.host().toString();
  MutexLock lock(mu_);
  int& open = per_client_[client];
  if (open >= limits_.max_per_client) return false;
  ++open;
  connections_[peer.toString()] = {socket, client, Clock::now() + limits_.header_timeout};
  return true;
}

void ConnectionGuard::Release(const Poco::Net::StreamSocket& socket) {
  MutexLock lock(mu_);
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->second.socket != socket) continue;
    if (--per_client_[it->second.client] <= 0) per_client_.erase(it->second.client);
    connections_.erase(it);
    return;
  }
}

void ConnectionGuard::RequestStarted(const Poco::Net::SocketAddress& peer) {
  SetDeadline(peer, limits_.answer_timeout);
}

void ConnectionGuard::RequestFinished(const Poco::Net::SocketAddress& peer) {
  SetDeadline(peer, limits_.header_timeout);
}

void ConnectionGuard::SetDeadline(const Poco::Net::SocketAddress& peer,
                                  std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  auto it = connections_.find(peer.toString());
  if (it != connections_.end()) it->second.deadline = Clock::now() + timeout;
}

void ConnectionGuard::ShutdownAll() {
  MutexLock lock(mu_);
  for (auto& [peer, connection] : connections_) Shutdown(connection.socket);
}

void ConnectionGuard::Reap() {
  MutexLock lock(mu_);
  while (!stop_) {
    const auto now = Clock::now();
    auto next = now + kReapTick;
    for (auto& [peer, connection] : connections_) {
      if (connection.deadline <= now) {
        Shutdown(connection.socket);
        // Its thread ends the connection and releases it; don't shut it down again meanwhile.
        connection.deadline = Clock::time_point::max();
      } else {
        next = std::min(next, connection.deadline);
      }
    }
    wake_.wait_until(lock.native(), next, [this]() REQUIRES(mu_) { return stop_; });
  }
}

}  // namespace presenced
