#pragma once

// AblyApi answers the Ably REST endpoints presenced uses (CONTRACT §1) from a FakeAblyState:
//   GET /presence?channels=a,b[&separator=X]      batch presence, v3 or legacy shape
//   GET /channels/{name}/presence?limit=N          per-channel presence, paginated by offset
//   GET /channels/{name}/presence/history?start=S&end=E&direction=D&limit=N
//                                                  presence history, paginated by cursor
//   GET /channels?prefix=P&by=id&limit=N           enumeration of channels with ≥1 member
//   POST /keys/{keyName}/requestToken              TokenRequest → TokenDetails
// and applies the injected delay and failures. Transport-neutral: the HTTP adapter turns a
// FakeRequest into a FakeResponse through Handle(). Thread-safe (all state is in FakeAblyState).

#include <optional>
#include <string>
#include <vector>

#include "fake_ably/fake_ably_state.h"
#include "fake_ably/fake_types.h"
#include "fake_ably/query.h"
#include "fake_ably/service_rules.h"

namespace presenced::testing {

class AblyApi {
 public:
  AblyApi(FakeAblyState& state, FakeServiceRules& rules, const FakeAblyOptions& options);

  // The auth_url stand-in, GET /auth?as=token|details|request: a token (text/plain), TokenDetails
  // JSON, or a TokenRequest JSON signed for the fake's key (to exchange at requestToken). Not
  // recorded and not authenticated, like a customer's own auth server.
  FakeResponse HandleAuthUrl(const FakeRequest& request);

  // Records the request, waits out any injected delay, checks credentials, applies injected
  // failures and answers it.
  FakeResponse Handle(const FakeRequest& request);

  // Returns the channel list of a batch presence query: `channels` decoded, then split on
  // `separator` (default ",").
  static std::vector<std::string> BatchChannels(const QueryParams& params);

 private:
  std::optional<FakeResponse> CheckAuth(const FakeRequest& request) const;
  FakeResponse Route(const FakeRequest& request, const QueryParams& params,
                     const std::vector<std::string>& channels);
  FakeResponse BatchPresence(const FakeRequest& request, const std::vector<std::string>& channels);
  FakeResponse ChannelPresence(const std::string& channel, const QueryParams& params);
  FakeResponse ChannelHistory(const std::string& channel, const QueryParams& params);
  FakeResponse Enumerate(const QueryParams& params);
  FakeResponse RequestToken(const std::string& key_name, const std::string& body);

  FakeAblyState& state_;
  FakeServiceRules& rules_;
  const std::string key_name_;         // "appId.keyId" of the configured key, "" without one
  const std::string expected_basic_;   // "Basic base64(key)", "" when no key is configured
  const std::string expected_bearer_;  // "Bearer base64(token)", "" when no token is configured
};

}  // namespace presenced::testing
