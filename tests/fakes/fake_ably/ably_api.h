#pragma once

// AblyApi answers the Ably REST endpoints presenced uses (CONTRACT §1) from a FakeAblyState:
//   GET /presence?channels=a,b[&separator=X]      batch presence, v3 or legacy shape
//   GET /channels/{name}/presence?limit=N          per-channel presence, paginated by offset
//   GET /channels/{name}/presence/history?start=S&end=E&direction=D&limit=N
//                                                  presence history, paginated by cursor
//   GET /channels?prefix=P&by=id&limit=N           enumeration of channels with ≥1 member
//   POST /keys/{keyName}/requestToken              TokenRequest → TokenDetails
//   GET /time                                      `[ms]` on Ably's clock, no credentials
// and applies the injected delay and failures. Credentials carry a capability (capability.h): a
// key has FakeAblyOptions::capability, a token what it was issued with. Batch presence needs
// `subscribe` on each channel (a per-channel 40160 otherwise), per-channel presence `subscribe`,
// presence history `history` (whole-request 401/40160), enumeration `channel-metadata` on `*`.
// Transport-neutral: the HTTP adapter turns a FakeRequest into a FakeResponse through Handle().
// Thread-safe (all state is in FakeAblyState and FakeServiceRules).

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fake_ably/ably_clock.h"
#include "fake_ably/capability.h"
#include "fake_ably/fake_ably_state.h"
#include "fake_ably/fake_types.h"
#include "fake_ably/query.h"
#include "fake_ably/service_rules.h"

namespace presenced::testing {

class AblyApi {
 public:
  // Throws std::invalid_argument when options.capability is not a capability.
  AblyApi(FakeAblyState& state, FakeServiceRules& rules, const FakeAblyOptions& options,
          const FakeAblyClock& clock);

  // The auth_url stand-in, GET /auth?as=token|details|request[&capability=JSON]: a token
  // (text/plain), TokenDetails JSON, or a TokenRequest JSON signed for the fake's key (to
  // exchange at requestToken); the token's capability is the key's intersected with `capability`.
  // FakeServiceRules::SetAuthUrlMode makes it fail, hang or hand out bad tokens. Not recorded and
  // not authenticated, like a customer's own auth server; every hit is counted.
  FakeResponse HandleAuthUrl(const FakeRequest& request);

  // Records the request, waits out any injected delay, checks credentials, applies injected
  // failures and answers it.
  FakeResponse Handle(const FakeRequest& request);

  // Returns the channel list of a batch presence query: `channels` decoded, then split on
  // `separator` (default ",").
  static std::vector<std::string> BatchChannels(const QueryParams& params);

 private:
  // Returns the capability of the request's credentials, or the 401 to answer.
  std::variant<Capability, FakeResponse> CheckAuth(const FakeRequest& request) const;
  FakeResponse Route(const FakeRequest& request, const QueryParams& params,
                     const std::vector<std::string>& channels, const Capability& capability);
  FakeResponse BatchPresence(const FakeRequest& request, const std::vector<std::string>& channels,
                             const Capability& capability);
  FakeResponse ChannelPresence(const std::string& channel, const QueryParams& params);
  FakeResponse ChannelHistory(const std::string& channel, const QueryParams& params);
  FakeResponse Enumerate(const QueryParams& params);
  FakeResponse RequestToken(const std::string& key_name, const std::string& body);
  // The capability a token request for `requested` ("" = all) gets from the key, as JSON.
  std::string TokenCapabilityFor(const std::string& requested) const;

  FakeAblyState& state_;
  FakeServiceRules& rules_;
  const FakeAblyClock& clock_;
  const Capability key_capability_;
  const std::string key_name_;         // "appId.keyId" of the configured key, "" without one
  const std::string expected_basic_;   // "Basic base64(key)", "" when no key is configured
  const std::string expected_bearer_;  // "Bearer base64(token)", "" when no token is configured
};

}  // namespace presenced::testing
