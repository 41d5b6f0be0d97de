#pragma once

// ControlApi: the fake's own HTTP control surface under /_fake/, so scripts and the demo (which
// run the `fake_ably` program, not the library) can drive it. JSON bodies; every call answers
// `{"ok":true}` or HTTP 400 with `{"error":"…"}`.
//
//   POST /_fake/enter   {channel, clientId, connectionId, data, dataRaw?, encoding?} → {ok, id}
//   POST /_fake/update  same as enter                                                  → {ok, id}
//   POST /_fake/leave   {channel, clientId, connectionId}                       → {ok, removed}
//   POST /_fake/channel-error {channel, code, statusCode, message?}   (code 0 clears)
//   POST /_fake/fail    {count, status, code, headersOnly?, message?}
//   POST /_fake/delay   {ms}
//   POST /_fake/truncate {count}   POST /_fake/garbage {count}   POST /_fake/empty-pages {count}
//   POST /_fake/limit   {maxChannels}
//   POST /_fake/history-retention {ms}   how long presence history is kept
//   POST /_fake/clock   {offsetMs?, visibilityDelayMs?}   Ably's clock minus the host's; how long
//                       a message takes to become readable in presence history
//   POST /_fake/auth-url {mode}   normal | fail | hang | expired | unknown (the /auth stand-in)
//   GET  /_fake/requests  → JSON array of recorded requests
//   GET  /_fake/channels  → {"channel": memberCount, …}
//   GET  /_fake/bill      → {"snapshot": N, "history": M, "recorded": {"enter","leave","update"}}
//   POST /_fake/reset
//
// `data` is any JSON value and is stored as its compact JSON text; `dataRaw` (a string) is stored
// verbatim instead, for byte-exact tests. Thread-safe (all state is in FakeAblyState).

#include "fake_ably/ably_clock.h"
#include "fake_ably/fake_ably_state.h"
#include "fake_ably/fake_types.h"
#include "fake_ably/service_rules.h"

namespace presenced::testing {

class ControlApi {
 public:
  ControlApi(FakeAblyState& state, FakeServiceRules& rules, FakeAblyClock& clock)
      : state_(state), rules_(rules), clock_(clock) {}

  // Answers one request whose path starts with /_fake/.
  FakeResponse Handle(const FakeRequest& request);

 private:
  FakeAblyState& state_;
  FakeServiceRules& rules_;
  FakeAblyClock& clock_;
};

}  // namespace presenced::testing
