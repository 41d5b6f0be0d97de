#pragma once

// Pieces of Ably REST requests and responses (CONTRACT §1, ABLY.md): query encoding, the batch
// presence query with its optional separator, credentials headers and `Link` pagination. Pure
// functions, no I/O.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "net/http_client.h"

namespace presenced {

// Percent-encodes every byte except the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view text);

// Returns standard base64 (with padding) of `bytes`.
std::string Base64Encode(std::string_view bytes);

// Returns the query of GET /presence for these channels: `channels=<encoded names joined by ,>`,
// or, when a name contains ',', joined by a character no name contains plus `&separator=<it>`.
// nullopt when every printable ASCII character occurs in some name (no separator is possible).
std::optional<std::string> BatchPresenceQuery(const std::vector<std::string>& channels);

// Returns the headers every Ably request carries: Accept, X-Ably-Version and Ably-Agent. The
// Authorization header comes from AblyAuth.
//
// X-Ably-Version stays 3 on purpose. Current SDKs send more (ably-js 2.26.0 `defaults.ts`:
// `protocolVersion: 6`; the client spec is at protocol 6), but what presenced reads is the same
// from 3 on: the batch presence answer is the BatchResult envelope
// (`{successCount, failureCount, results}`, HTTP 200 even when channels failed) "with
// X-Ably-Version >= 3" (ably/specification uts/rest/integration/batch_presence.md), and
// enumeration's `by` defaults to `id` from v3. Versions after 3 change realtime and message
// features presenced never uses; 3 is the version the parser, the fake and the tests were built
// and checked against, and the parser accepts the legacy shapes too should an edge answer them.
Headers AblyRequestHeaders();

// Returns the URL of the rel="next" link among the response's `Link` headers, or "".
std::string NextLink(const Headers& headers);

// Resolves a `Link` URL against the path and query it came with; returns a path and query.
std::string ResolveTarget(const std::string& current, const std::string& reference);

}  // namespace presenced
