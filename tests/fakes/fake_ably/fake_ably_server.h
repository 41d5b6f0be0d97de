#pragma once

// FakeAblyServer: a local stand-in for Ably's REST API (CONTRACT §1) that presenced's
// integration tests, demo and benchmarks run against. It serves batch presence (v3 and legacy
// shapes), per-channel presence and channel enumeration from an in-memory member table, checks
// Basic/Bearer credentials when configured, lets tests inject failures (per-channel errors,
// whole-request failures, delays, truncated and garbage bodies, empty pages) and records every
// request for inspection. The same controls are exposed over HTTP under /_fake/ (ControlApi).
//
// Usage:
//   FakeAblyServer fake({.key = "app.key:secret"});   // capability: FakeAblyOptions::capability
//   fake.Start();                                   // binds port 0 by default
//   fake.Enter("chat:lobby", "bob", "conn1", R"("hi")");
//   ... point presenced at fake.BaseUrl() ...
//
// Thread-safety: every method may be called from any thread while requests are served. All state
// lives in one FakeAblyState behind a single mutex. Start() may be called once; Stop() (also run
// by the destructor) cuts pending injected delays short and returns once no handler is running.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fake_ably/ably_clock.h"
#include "fake_ably/fake_ably_state.h"
#include "fake_ably/fake_types.h"
#include "fake_ably/service_rules.h"

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}  // namespace Net
}  // namespace Poco

namespace presenced::testing {

class AblyApi;
class ControlApi;

class FakeAblyServer {
 public:
  using Options = FakeAblyOptions;

  explicit FakeAblyServer(Options options = {});
  ~FakeAblyServer();
  FakeAblyServer(const FakeAblyServer&) = delete;
  FakeAblyServer& operator=(const FakeAblyServer&) = delete;

  // Starts listening on options.host:options.port and returns the bound port. Throws
  // std::runtime_error if the address cannot be bound (a test fixture failing loudly).
  uint16_t Start();
  // Stops serving: wakes delayed requests, closes connections, waits for handler threads.
  void Stop();
  uint16_t port() const { return port_; }
  // "http://<host>:<port>".
  std::string BaseUrl() const;

  // Members; see FakeAblyState. `data_raw_json` is emitted verbatim as `data` ("" omits it).
  std::string Enter(const std::string& channel, const std::string& client_id,
                    const std::string& connection_id, const std::string& data_raw_json,
                    const std::string& encoding = "");
  std::string Update(const std::string& channel, const std::string& client_id,
                     const std::string& connection_id, const std::string& data_raw_json,
                     const std::string& encoding = "");
  bool Leave(const std::string& channel, const std::string& client_id,
             const std::string& connection_id);
  size_t MemberCount(const std::string& channel) const;
  std::vector<std::string> ActiveChannels() const;

  // Makes `channel` fail inside batch responses (and per-channel requests) with this error until
  // cleared; code 0 clears.
  void SetChannelError(const std::string& channel, int code, int status_code,
                       const std::string& message = "Injected channel error");
  void ClearChannelError(const std::string& channel) { SetChannelError(channel, 0, 0); }
  // Fails the next `count` API requests with HTTP `status` and an Ably error body of `code`, or
  // only the X-Ably-ErrorCode / X-Ably-ErrorMessage headers when `headers_only`.
  void FailNextRequests(int count, int status, int code, bool headers_only = false,
                        const std::string& message = "Injected failure");
  // Delays every API request by `delay` (0 turns it off) before answering it.
  void SetDelay(std::chrono::milliseconds delay);
  // The next `count` API responses announce their full Content-Length, send half and close.
  void TruncateNextResponses(int count);
  // The next `count` API responses are HTTP 200 with a non-JSON body.
  void GarbageNextResponses(int count);
  // The next `count` enumeration responses are empty pages that still carry a `next` link.
  void InsertEmptyPages(int count);
  // Fails the next `count` API requests as described (status, code, Retry-After, Server, …).
  void FailNextRequests(int count, InjectedFailure failure);
  // Channels allowed per batch presence request; more fail with HTTP 400, code 90010.
  void SetMaxChannels(size_t max_channels);
  // Enters `count` members `<prefix><i>` (connection `c<i>`) into `channel` at once.
  void AddMembers(const std::string& channel, int count, const std::string& prefix = "m");

  // Presence history: how long it is kept (2 minutes unless set), the messages recorded so far
  // by action (2 enter, 3 leave, 4 update) and what the fake has billed.
  void SetHistoryRetention(std::chrono::milliseconds retention);
  uint64_t HistoryRecorded(int action) const;
  FakeBill Bill() const;

  // Ably's clock (FakeAblyClock): its offset from this host's clock (Ably's minus the host's,
  // settable while serving) and the delay before a message is readable in presence history.
  void SetClockOffset(std::chrono::milliseconds offset) { clock_.SetOffset(offset); }
  void SetVisibilityDelay(std::chrono::milliseconds delay) { clock_.SetVisibilityDelay(delay); }
  // Ably's time now (ms since the epoch).
  int64_t AblyNowMs() const { return clock_.NowMs(); }

  // Service behaviour (see FakeServiceRules): tokens, the auth_url stand-in at
  // BaseUrl() + "/auth?as=token|details|request", enumeration concurrency and pagination,
  // connection resets mid-body.
  FakeServiceRules& rules() { return rules_; }

  // API requests received so far (control requests are not counted), oldest first; at most
  // options.max_recorded_requests are kept.
  size_t RequestCount() const;
  std::vector<RecordedRequest> Requests() const;

  // Forgets members, injected failures and recorded requests.
  void Reset();

 private:
  const Options options_;
  uint16_t port_ = 0;
  FakeAblyClock clock_;
  FakeAblyState state_;
  FakeServiceRules rules_;
  std::unique_ptr<AblyApi> api_;
  std::unique_ptr<ControlApi> control_;
  std::unique_ptr<Poco::ThreadPool> pool_;  // outlives server_
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace presenced::testing
