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
// Authorization header comes from AblyAuth. Version 3 is what current Ably SDKs send (ably-js
// `defaults.ts` protocolVersion) and still answers batch presence with the BatchResult shape.
Headers AblyRequestHeaders();

// Returns the URL of the rel="next" link among the response's `Link` headers, or "".
std::string NextLink(const Headers& headers);

// Resolves a `Link` URL against the path and query it came with; returns a path and query.
std::string ResolveTarget(const std::string& current, const std::string& reference);

}  // namespace presenced
