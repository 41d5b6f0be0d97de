#pragma once

// InFlightSockets: the sockets of the requests an HttpClient has in progress, so that Abort()
// can end them from another thread: shutdown(2) wakes a thread blocked in connect, send or recv
// on the socket, whatever its timeout. Each request holds a duplicate of its socket's descriptor
// here, so a descriptor the request's own code closes meanwhile can never be reused for another
// file and shut down by mistake; the duplicate is closed when the request ends.
//
// Thread-safety: every method may be called from any thread.

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "common/mutex.h"

namespace presenced {

class InFlightSockets {
 public:
  using Id = uint64_t;

  InFlightSockets() = default;
  ~InFlightSockets();
  InFlightSockets(const InFlightSockets&) = delete;
  InFlightSockets& operator=(const InFlightSockets&) = delete;

  // Starts tracking a request; nullopt once Abort() was called (the request must not be sent).
  std::optional<Id> Begin();
  // Records that request `id` now uses socket `fd` (replacing any earlier one). Returns false,
  // with that socket already shut down, when Abort() was called.
  bool Attach(Id id, int fd);
  // Stops tracking request `id` (call before its socket may be closed or reused elsewhere).
  void End(Id id);
  // Shuts down every attached socket (both directions) and fails every later Begin and Attach.
  void Abort();
  bool aborted() const;

 private:
  mutable Mutex mu_;
  bool aborted_ GUARDED_BY(mu_) = false;
  Id next_ GUARDED_BY(mu_) = 1;
  std::unordered_map<Id, int> fds_ GUARDED_BY(mu_);  // duplicates owned here; -1 = none yet
};

// Ends one request's tracking when it goes out of scope.
class InFlightRequest {
 public:
  InFlightRequest(InFlightSockets& sockets, InFlightSockets::Id id) : sockets_(sockets), id_(id) {}
  ~InFlightRequest() { End(); }
  InFlightRequest(const InFlightRequest&) = delete;
  InFlightRequest& operator=(const InFlightRequest&) = delete;

  bool Attach(int fd) { return sockets_.Attach(id_, fd); }
  // Ends the tracking now (idempotent).
  void End() {
    if (ended_) return;
    ended_ = true;
    sockets_.End(id_);
  }

 private:
  InFlightSockets& sockets_;
  const InFlightSockets::Id id_;
  bool ended_ = false;
};

}  // namespace presenced
