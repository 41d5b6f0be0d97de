#pragma once

// Pieces of Ably REST requests and responses (CONTRACT §1, ABLY.md): query encoding, the batch
// presence query with its optional separator, credentials headers and `Link` pagination. Pure
// functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/result.h"
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

// PageWalk: the `Link: rel="next"` pages of one read, guarded against a hostile or broken server.
// A next link is followed only when it names a page not read yet and, with `stay_on_resource`,
// stays on the resource the read asked for (a relative link whose path is the first page's: only
// the query may change); a read stops after `max_pages` pages or `max_bytes` of bodies. Pure;
// one read at a time.
class PageWalk {
 public:
  PageWalk(std::string first, int max_pages, uint64_t max_bytes, bool stay_on_resource = true);

  // The path and query to request now.
  const std::string& target() const { return target_; }
  // The 1-based number of the page target() names.
  int page() const { return pages_ + 1; }
  // Takes the 2xx answer to target(). Returns true when a next page follows (target() now names
  // it), false after the last page; an Error saying why the read must stop short: its next link
  // leaves the resource, repeats a page already read, or the read is over its bounds.
  // `may_repeat`: a link to a page already read is followed too (channel enumeration after an
  // empty page: Ably may answer "nothing yet" with a link to the same position); the bounds
  // still hold.
  Result<bool> Next(const HttpResponse& response, bool may_repeat = false);
  // Starts again from `first`, as a new read.
  void Restart(std::string first);

 private:
  std::string first_path_;  // the resource: the first page's path, without the query
  std::string target_;
  int pages_ = 0;
  uint64_t bytes_ = 0;
  const int max_pages_;
  const uint64_t max_bytes_;
  const bool stay_on_resource_;
  std::unordered_set<std::string> seen_;  // targets requested so far
};

}  // namespace presenced
