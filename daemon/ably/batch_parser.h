#pragma once

// Parsing of Ably's batch presence responses (CONTRACT §1): the v3 BatchResult shape, the legacy
// array, and the legacy 400/40020 partial-failure shape. Pure: no I/O, no clock, no logging.
// `data` and `encoding` pass through byte for byte (data is kept as its raw JSON text).

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "presence/member.h"
#include "presence/presence_message.h"

namespace presenced {

// An Ably error as carried in a body `{"error":{…}}`, a per-channel result, or the
// X-Ably-ErrorCode / X-Ably-ErrorMessage headers. code 0 = unknown.
struct AblyError {
  int code = 0;
  int status_code = 0;
  std::string message;
};

// One channel's outcome: members when ok, else the error; a failed channel has an unknown member
// set and must not be diffed.
struct ChannelPresence {
  std::string channel;
  bool ok = false;
  AblyError error;
  std::vector<Member> members;
};

// ChannelPresence with its members as views (see ParseBatchPresenceViews for how long they live).
struct ChannelPresenceView {
  std::string_view channel;
  bool ok = false;
  AblyError error;
  std::vector<MemberView> members;
};

// Returns a view of `presence`, valid while it is alive and unchanged.
ChannelPresenceView ViewOf(const ChannelPresence& presence);
// Returns an owning copy of `view`.
ChannelPresence ToOwned(const ChannelPresenceView& view);

// The whole response: ok=false means the request failed as a whole (non-2xx without a batch body,
// unparsable or truncated JSON, wrong shape); then `error` says why and `channels` is empty.
struct BatchPresenceResult {
  bool ok = false;
  AblyError error;
  std::vector<ChannelPresence> channels;
};

// Parses a response to GET /presence?channels=…. `http_status` selects the accepted shapes;
// `header_error_code`/`header_error_message` are the X-Ably-Error* headers ("" when absent).
// Members with action 0 (absent) or 3 (leave) are not part of the set and are dropped; `action`
// is accepted as a number or a numeric string.
// `readable_past_end`: bytes after `body` that may be read (their content is irrelevant); with
// at least 64 the body is parsed in place, else it is first copied into a padded buffer.
BatchPresenceResult ParseBatchPresence(int http_status, std::string_view body,
                                       std::string_view header_error_code = {},
                                       std::string_view header_error_message = {},
                                       size_t readable_past_end = 0);

// BatchPresenceResult with its members as views.
struct BatchPresenceViews {
  bool ok = false;
  AblyError error;
  std::vector<ChannelPresenceView> channels;
  // Text found in neither the body nor the parser's buffers (strings decoded leniently, see
  // json_text.h); a deque, so that views of its strings stay valid while it grows.
  std::deque<std::string> decoded;
};

// Parses exactly like ParseBatchPresence (same shapes, errors and members) and calls `use` once
// with the outcome, without copying any member field: each is a view of `body`, of the calling
// thread's parser buffers or of the outcome's `decoded`, valid only during the call (the thread's
// next parse reuses the buffers; they are released after a big document). `use` must not parse
// on the same thread. Exceptions from `use` propagate.
void ParseBatchPresenceViews(int http_status, std::string_view body,
                             std::string_view header_error_code,
                             std::string_view header_error_message, size_t readable_past_end,
                             const std::function<void(const BatchPresenceViews&)>& use);

// A JSON parser's buffers, for ParseBatchPresenceViews: about six bytes per byte of the largest
// document parsed, kept for the next parse unless over 8 MiB (see ThreadParserCapacity). Without
// one, each thread parses with buffers of its own. Thread-compatible: one parse at a time.
class JsonParser {
 public:
  struct Buffers;

  JsonParser();
  ~JsonParser();
  JsonParser(const JsonParser&) = delete;
  JsonParser& operator=(const JsonParser&) = delete;

  // Returns the document size the buffers are kept for.
  size_t capacity() const;

 private:
  friend void ParseBatchPresenceViews(JsonParser&, int, std::string_view, std::string_view,
                                      std::string_view, size_t,
                                      const std::function<void(const BatchPresenceViews&)>&);
  std::unique_ptr<Buffers> buffers_;
};

// ParseBatchPresenceViews with `parser`'s buffers instead of the calling thread's: fewer parsers
// than threads keep less memory. `use` runs while `parser` is in use.
void ParseBatchPresenceViews(JsonParser& parser, int http_status, std::string_view body,
                             std::string_view header_error_code,
                             std::string_view header_error_message, size_t readable_past_end,
                             const std::function<void(const BatchPresenceViews&)>& use);

// Returns the document size the calling thread's parser keeps buffers for. Every parse function
// here gives the buffers back after a document over 8 MiB (one big answer must not pin about six
// times its size for the life of a fetch thread); smaller ones are kept for the next parse.
size_t ThreadParserCapacity();

// Parses one 2xx page of GET /channels/{name}/presence: a JSON array of presence messages. Appends
// its members (absent and leave dropped) to `members`. Returns false with `error` set when the
// body is not such an array or a message is malformed.
bool ParsePresencePage(std::string_view body, std::vector<Member>& members, AblyError& error);

// Parses one 2xx page of GET /channels/{name}/presence/history: a JSON array of presence messages,
// each appended to `messages` with its action (absent and leave included), in page order. Returns
// false with `error` set when the body is not such an array or any message is malformed (then
// the whole read must be treated as failed: a skipped message could hide a leave or an enter).
bool ParseHistoryPage(std::string_view body, std::vector<PresenceMessage>& messages,
                      AblyError& error);

}  // namespace presenced
