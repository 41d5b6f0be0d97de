// ParseBatchPresence on simdjson's On-Demand API (see batch_parser.h for the contract).
//
// simdjson reads up to SIMDJSON_PADDING bytes past the end: a body with that much readable room
// after it (the HTTP client leaves it) is parsed in place, any other is copied once into a
// per-thread padded buffer. The document is walked in a single pass into MemberViews: strings
// without escapes view the body, the others simdjson's unescaped copies in the parser's buffers, so
// nothing is allocated per member field (ParseBatchPresence copies them into Members after).
// simdjson reports malformed JSON by throwing simdjson_error; a ShapeError marks valid JSON of the
// wrong shape. Both are caught here and become a whole-request failure. Field names are matched on
// their raw JSON text (no unescaping): Ably never escapes its field names, and a name that did not
// match would only make a message malformed, never silently change a member.
//
// Text that is not valid Unicode never fails more than it must (json_text.h): a body with invalid
// UTF-8, which simdjson refuses as a whole, is parsed again with U+FFFD in place of each bad
// sequence, and a string with a lone surrogate escape is decoded with U+FFFD in its place.

#include "ably/batch_parser.h"

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "ably/json_text.h"

namespace presenced {

namespace od = simdjson::ondemand;

// A parser and the padded copy of a body that lacks simdjson's padding.
struct JsonParser::Buffers {
  od::parser parser;
  std::string padded;
};

namespace {

constexpr int kBatchIncludesErrors = 40020;

// Valid JSON that is not one of the accepted shapes.
struct ShapeError {
  std::string message;
};

// The buffers the calling thread's parses use: a JsonParser's while ParseBatchPresenceViews is
// given one, else the thread's own (reused across calls to avoid reallocating them).
JsonParser::Buffers*& BorrowedBuffers() {
  thread_local JsonParser::Buffers* borrowed = nullptr;
  return borrowed;
}

JsonParser::Buffers& ThreadBuffers() {
  thread_local JsonParser::Buffers own;
  JsonParser::Buffers* borrowed = BorrowedBuffers();
  return borrowed != nullptr ? *borrowed : own;
}

// Makes the calling thread's parses use `buffers` while alive.
class Borrow {
 public:
  explicit Borrow(JsonParser::Buffers& buffers) : previous_(BorrowedBuffers()) {
    BorrowedBuffers() = &buffers;
  }
  ~Borrow() { BorrowedBuffers() = previous_; }
  Borrow(const Borrow&) = delete;
  Borrow& operator=(const Borrow&) = delete;

 private:
  JsonParser::Buffers* previous_;
};

// A parser keeps buffers for the largest document it has parsed: about 6 bytes per byte of it
// (structural indexes and unescaped strings). Past this size they are given back after the parse,
// so one big answer (the first request of a start, a channel read alone) does not pin memory for
// the life of the fetch thread.
constexpr size_t kKeepParserCapacity = 8 << 20;

// Gives back the thread's parser buffers when they are over kKeepParserCapacity. Call only when
// nothing parsed is referenced any more.
void ReleaseLargeBuffers() {
  JsonParser::Buffers& buffers = ThreadBuffers();
  if (buffers.parser.capacity() > kKeepParserCapacity) buffers.parser = od::parser{};
  if (buffers.padded.capacity() > kKeepParserCapacity) std::string().swap(buffers.padded);
}

// Starts parsing `body` into the thread's buffers (copying it when it lacks the padding).
simdjson::simdjson_result<od::document> Start(std::string_view body, size_t readable_past_end) {
  JsonParser::Buffers& buffers = ThreadBuffers();
  if (readable_past_end >= simdjson::SIMDJSON_PADDING) {
    return buffers.parser.iterate(body.data(), body.size(), body.size() + readable_past_end);
  }
  if (buffers.padded.size() < body.size() + simdjson::SIMDJSON_PADDING) {
    buffers.padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
  }
  std::memcpy(buffers.padded.data(), body.data(), body.size());
  std::memset(buffers.padded.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
  return buffers.parser.iterate(buffers.padded.data(), body.size(), buffers.padded.size());
}

// Starts parsing `body`; throws simdjson_error when it is not JSON. A body with invalid UTF-8 is
// parsed with U+FFFD in place of each ill-formed sequence (copied once; only then).
od::document Iterate(std::string_view body, size_t readable_past_end) {
  simdjson::simdjson_result<od::document> started = Start(body, readable_past_end);
  if (started.error() == simdjson::UTF8_ERROR) {
    if (std::optional<std::string> repaired = ReplaceInvalidUtf8(body)) {
      started = Start(*repaired, 0);  // copied into the thread's padded buffer
    }
  }
  return std::move(started).value();  // throws on any other error
}

// Leniently decoded strings: owned by the parse outcome, so that views of them stay valid.
using Decoded = std::deque<std::string>;

// Makes `out` a whole-request failure.
void WholeFailure(BatchPresenceViews& out, AblyError error) {
  out.ok = false;
  out.channels.clear();
  out.error = std::move(error);
}

// Parses a decimal integer; false when `text` is not exactly one.
bool ParseDecimal(std::string_view text, int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

// Reads an integer given as a JSON integer or, when `allow_string`, a decimal string. False for
// anything else: fractions, exponents, numbers outside int64 and other types. A double is never
// converted (a cast of 1e300 to int64 is undefined behaviour).
bool ReadInteger(od::value value, int64_t& out, bool allow_string) {
  if (value.get_int64().get(out) == simdjson::SUCCESS) return true;  // does not consume on failure
  std::string_view text;
  return allow_string && value.get_string().get(text) == simdjson::SUCCESS &&
         ParseDecimal(text, out);
}

// Member field rules. A message that breaks one is malformed and fails its whole channel (an
// unknown member set, never a false leave); they return why, or nullptr when the field is valid.

// `action`: 0 absent, 1 present, 2 enter, 3 leave, 4 update, as an integer or a numeric string
// ("1", as Ably's docs show it). Any other value leaves membership unknown.
const char* ReadAction(od::value value, int64_t& action) {
  if (!ReadInteger(value, action, /*allow_string=*/true) || action < 0 || action > 4) {
    return "action is not an integer from 0 to 4";
  }
  return nullptr;
}

// `timestamp`: milliseconds since the epoch, a non-negative integer; null counts as absent (0).
const char* ReadTimestamp(od::value value, int64_t& timestamp) {
  bool is_null = false;
  if (value.is_null().get(is_null) == simdjson::SUCCESS && is_null) return nullptr;
  if (!ReadInteger(value, timestamp, /*allow_string=*/false) || timestamp < 0) {
    return "timestamp is not a non-negative integer";
  }
  return nullptr;
}

// Reads an error's code or statusCode; 0 when it is not an integer that fits in an int.
int ReadErrorNumber(od::value value) {
  int64_t number = 0;
  if (!ReadInteger(value, number, /*allow_string=*/true)) return 0;
  if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max()) {
    return 0;
  }
  return static_cast<int>(number);
}

// Returns the value's exact JSON text: strings keep their quotes and escapes. simdjson's raw
// text runs up to the next structural character, so trailing whitespace is dropped.
std::string_view RawJson(od::value value) {
  std::string_view raw;
  switch (value.type()) {
    case od::json_type::object: {
      od::object object = value.get_object();
      raw = object.raw_json();
      break;
    }
    case od::json_type::array: {
      od::array array = value.get_array();
      raw = array.raw_json();
      break;
    }
    default:
      raw = value.raw_json_token();
  }
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  return raw;
}

// Returns the text of a string token that has no escape (nor control character): it is its own
// value, a view of the document, with no copy into the parser's buffers (simdjson has checked the
// whole document's UTF-8 already). nullopt for any other token: get_string decides those.
std::optional<std::string_view> PlainString(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\t')) {
    token.remove_suffix(1);
  }
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return std::nullopt;
  const std::string_view text = token.substr(1, token.size() - 2);
  for (const char c : text) {
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
  }
  return text;
}

// Reads a string field as a view (of the body when it has no escape, else of the parser's
// buffers); false (and `out` untouched) when the value is null or not a string. A string the
// strict decoder refuses (a lone surrogate escape such as \ud800) is decoded with U+FFFD in place
// of what cannot be represented, into `decoded`.
bool GetString(od::value value, std::string_view& out, Decoded& decoded) {
  const std::string_view token = value.raw_json_token();  // before get_string consumes it
  if (std::optional<std::string_view> plain = PlainString(token)) {
    out = *plain;
    return true;
  }
  std::string_view text;
  const simdjson::error_code error = value.get_string().get(text);
  if (error == simdjson::SUCCESS) {
    out = text;
    return true;
  }
  if (error != simdjson::STRING_ERROR) return false;
  std::optional<std::string> lenient = DecodeJsonStringLeniently(token);
  if (!lenient) return false;
  out = decoded.emplace_back(std::move(*lenient));
  return true;
}

// GetString into an owned string.
bool GetString(od::value value, std::string& out) {
  Decoded decoded;
  std::string_view text;
  if (!GetString(value, text, decoded)) return false;
  out.assign(text);
  return true;
}

AblyError ParseError(od::value value) {
  AblyError error;
  if (value.type() != od::json_type::object) {
    error.message = "malformed error";
    return error;
  }
  for (auto field : value.get_object()) {
    const od::raw_json_string key = field.key();
    if (key == "code") {
      error.code = ReadErrorNumber(field.value());
    } else if (key == "statusCode") {
      error.status_code = ReadErrorNumber(field.value());
    } else if (key == "message") {
      GetString(field.value(), error.message);
    }
  }
  return error;
}

// Fills `member` from one presence message and `action` with its action (1 when absent).
// Returns why the message is malformed (a clientId or connectionId missing or not a string, an
// invalid action or timestamp), or nullptr.
const char* ParseMember(od::object message, MemberView& member, int64_t& action, Decoded& decoded) {
  bool has_client = false, has_connection = false;
  bool saw_client = false, saw_connection = false;
  const char* problem = nullptr;
  action = 1;
  for (auto field : message) {
    const od::raw_json_string key = field.key();
    od::value value = field.value();
    const char* field_problem = nullptr;
    if (key == "clientId") {
      saw_client = true;
      has_client = GetString(value, member.client_id, decoded);
    } else if (key == "connectionId") {
      saw_connection = true;
      has_connection = GetString(value, member.connection_id, decoded);
    } else if (key == "id") {
      GetString(value, member.id, decoded);
    } else if (key == "data") {
      member.data = RawJson(value);
    } else if (key == "encoding") {
      GetString(value, member.encoding, decoded);
    } else if (key == "timestamp") {
      field_problem = ReadTimestamp(value, member.timestamp);
    } else if (key == "action") {
      field_problem = ReadAction(value, action);
    }
    if (problem == nullptr) problem = field_problem;
  }
  if (problem != nullptr) return problem;
  if (!has_client) return saw_client ? "clientId is not a string" : "clientId missing";
  if (!has_connection) {
    return saw_connection ? "connectionId is not a string" : "connectionId missing";
  }
  return nullptr;
}

// Parses the `presence` array of one channel into `members`. Returns why a message is malformed
// (the first such reason), or nullptr when every message is well formed.
const char* ParsePresence(od::array messages, std::vector<MemberView>& members, Decoded& decoded) {
  const char* problem = nullptr;
  for (auto element : messages) {
    od::object message = element.get_object();
    MemberView& member = members.emplace_back();
    int64_t action = 1;
    const char* member_problem = ParseMember(message, member, action, decoded);
    if (problem == nullptr) problem = member_problem;
    // Absent (0) and leave (3) are not part of the member set.
    if (member_problem != nullptr || action == 0 || action == 3) members.pop_back();
  }
  return problem;
}

ChannelPresenceView ParseEntry(od::value value, Decoded& decoded) {
  ChannelPresenceView channel;
  bool has_name = false, has_presence = false, has_error = false;
  const char* problem = nullptr;
  for (auto field : value.get_object()) {
    const od::raw_json_string key = field.key();
    if (key == "channel") {
      has_name = GetString(field.value(), channel.channel, decoded);
    } else if (key == "presence") {
      has_presence = true;
      // No reserve(): counting the elements first costs more than the vector's regrowth.
      problem = ParsePresence(field.value().get_array(), channel.members, decoded);
    } else if (key == "error") {
      has_error = true;
      channel.error = ParseError(field.value());
    }
  }
  if (!has_name) throw ShapeError{"batch result without a channel name"};
  if (has_error || problem != nullptr || !has_presence) {
    channel.members.clear();
    if (!has_error) {
      channel.error.message = has_presence ? std::string("malformed presence message: ") + problem
                                           : "batch result without presence or error";
    }
    return channel;
  }
  channel.ok = true;
  return channel;
}

// Fails every entry of a channel that the response lists more than once: which entry is right is
// unknown, and trusting either could turn the other's members into false leaves.
void FailRepeatedChannels(std::vector<ChannelPresenceView>& channels) {
  std::unordered_map<std::string_view, size_t> seen;
  for (const ChannelPresenceView& channel : channels) ++seen[channel.channel];
  for (ChannelPresenceView& channel : channels) {
    if (seen[channel.channel] < 2) continue;
    channel.ok = false;
    channel.members.clear();
    channel.error = AblyError{0, 0, "channel listed more than once in one response"};
  }
}

void ParseEntries(od::array entries, std::vector<ChannelPresenceView>& channels, Decoded& decoded) {
  for (auto entry : entries) channels.push_back(ParseEntry(entry.value(), decoded));
  FailRepeatedChannels(channels);
}

// Throws ShapeError when anything but whitespace follows the root value.
void ExpectEnd(od::document& doc) {
  const char* location = nullptr;
  if (doc.current_location().get(location) == simdjson::SUCCESS) {
    throw ShapeError{"trailing content after the JSON value"};
  }
}

// 2xx: the v3 BatchResult object or the legacy array.
void ParseSuccess(std::string_view body, size_t readable_past_end, BatchPresenceViews& result) {
  od::document doc = Iterate(body, readable_past_end);
  if (doc.type() == od::json_type::array) {
    ParseEntries(doc.get_array(), result.channels, result.decoded);
  } else if (doc.type() == od::json_type::object) {
    bool has_results = false;
    for (auto field : doc.get_object()) {
      if (od::raw_json_string(field.key()) == "results") {
        has_results = true;
        result.channels.clear();  // a repeated key: the last one counts
        ParseEntries(field.value().get_array(), result.channels, result.decoded);
      }
    }
    if (!has_results) throw ShapeError{"response object has no results"};
  } else {
    throw ShapeError{"response is neither an object nor an array"};
  }
  ExpectEnd(doc);
  result.ok = true;
}

AblyError HeaderError(int http_status, std::string_view code, std::string_view message) {
  AblyError error;
  int64_t parsed = 0;
  if (ParseDecimal(code, parsed)) error.code = static_cast<int>(parsed);
  error.status_code = http_status;
  error.message = message.empty() ? "HTTP " + std::to_string(http_status) : std::string(message);
  return error;
}

// Non-2xx: the legacy 400/40020 partial failure, or a whole-request error.
void ParseFailure(int http_status, std::string_view body, std::string_view code,
                  std::string_view message, BatchPresenceViews& result) {
  const AblyError from_headers = HeaderError(http_status, code, message);
  try {
    od::document doc = Iterate(body, 0);
    if (doc.type() != od::json_type::object) return WholeFailure(result, from_headers);
    bool has_error = false, has_batch = false;
    AblyError error;
    for (auto field : doc.get_object()) {
      const od::raw_json_string key = field.key();
      if (key == "error") {
        has_error = true;
        error = ParseError(field.value());
      } else if (key == "batchResponse") {
        has_batch = true;
        result.channels.clear();  // a repeated key: the last one counts
        ParseEntries(field.value().get_array(), result.channels, result.decoded);
      }
    }
    ExpectEnd(doc);
    if (!has_error) return WholeFailure(result, from_headers);
    if (error.status_code == 0) error.status_code = http_status;
    if (error.code == kBatchIncludesErrors && has_batch) {
      result.ok = true;
      return;
    }
    WholeFailure(result, std::move(error));
  } catch (const simdjson::simdjson_error&) {
    WholeFailure(result, from_headers);
  } catch (const ShapeError&) {
    WholeFailure(result, from_headers);
  }
}

// Appends an owning copy of each view to `members`.
void AppendOwned(const std::vector<MemberView>& views, std::vector<Member>& members) {
  members.reserve(members.size() + views.size());
  for (const MemberView& view : views) members.push_back(ToMember(view));
}

}  // namespace

ChannelPresenceView ViewOf(const ChannelPresence& presence) {
  ChannelPresenceView view{presence.channel, presence.ok, presence.error, {}};
  view.members.reserve(presence.members.size());
  for (const Member& member : presence.members) view.members.push_back(ViewOf(member));
  return view;
}

ChannelPresence ToOwned(const ChannelPresenceView& view) {
  ChannelPresence presence{std::string(view.channel), view.ok, view.error, {}};
  AppendOwned(view.members, presence.members);
  return presence;
}

void ParseBatchPresenceViews(int http_status, std::string_view body,
                             std::string_view header_error_code,
                             std::string_view header_error_message, size_t readable_past_end,
                             const std::function<void(const BatchPresenceViews&)>& use) {
  BatchPresenceViews result;
  if (http_status < 200 || http_status > 299) {
    ParseFailure(http_status, body, header_error_code, header_error_message, result);
  } else {
    try {
      ParseSuccess(body, readable_past_end, result);
    } catch (const simdjson::simdjson_error& e) {
      WholeFailure(result, {0, http_status, std::string("unparsable response body: ") + e.what()});
    } catch (const ShapeError& e) {
      WholeFailure(result, {0, http_status, "unexpected response shape: " + e.message});
    }
  }
  use(result);
  ReleaseLargeBuffers();
}

BatchPresenceResult ParseBatchPresence(int http_status, std::string_view body,
                                       std::string_view header_error_code,
                                       std::string_view header_error_message,
                                       size_t readable_past_end) {
  BatchPresenceResult result;
  ParseBatchPresenceViews(http_status, body, header_error_code, header_error_message,
                          readable_past_end, [&result](const BatchPresenceViews& views) {
                            result.ok = views.ok;
                            result.error = views.error;
                            result.channels.reserve(views.channels.size());
                            for (const ChannelPresenceView& channel : views.channels) {
                              result.channels.push_back(ToOwned(channel));
                            }
                          });
  return result;
}

size_t ThreadParserCapacity() { return ThreadBuffers().parser.capacity(); }

JsonParser::JsonParser() : buffers_(std::make_unique<Buffers>()) {}
JsonParser::~JsonParser() = default;

size_t JsonParser::capacity() const { return buffers_->parser.capacity(); }

void ParseBatchPresenceViews(JsonParser& parser, int http_status, std::string_view body,
                             std::string_view header_error_code,
                             std::string_view header_error_message, size_t readable_past_end,
                             const std::function<void(const BatchPresenceViews&)>& use) {
  const Borrow borrow(*parser.buffers_);
  ParseBatchPresenceViews(http_status, body, header_error_code, header_error_message,
                          readable_past_end, use);
}

bool ParsePresencePage(std::string_view body, std::vector<Member>& members, AblyError& error) {
  try {
    od::document doc = Iterate(body, 0);
    if (doc.type() != od::json_type::array) throw ShapeError{"presence page is not an array"};
    Decoded decoded;
    std::vector<MemberView> views;
    const char* problem = ParsePresence(doc.get_array(), views, decoded);
    AppendOwned(views, members);
    ExpectEnd(doc);
    if (problem != nullptr) throw ShapeError{std::string("malformed presence message: ") + problem};
    ReleaseLargeBuffers();
    return true;
  } catch (const simdjson::simdjson_error& e) {
    error = {0, 0, std::string("unparsable presence page: ") + e.what()};
  } catch (const ShapeError& e) {
    error = {0, 0, "unexpected presence page: " + e.message};
  }
  ReleaseLargeBuffers();
  return false;
}

bool ParseHistoryPage(std::string_view body, std::vector<PresenceMessage>& messages,
                      AblyError& error) {
  try {
    od::document doc = Iterate(body, 0);
    if (doc.type() != od::json_type::array) throw ShapeError{"history page is not an array"};
    Decoded decoded;
    for (auto element : doc.get_array()) {
      PresenceMessage& message = messages.emplace_back();
      MemberView view;
      int64_t action = 1;
      const char* problem = ParseMember(element.get_object(), view, action, decoded);
      message.member = ToMember(view);
      if (problem != nullptr) {
        throw ShapeError{std::string("malformed presence message: ") + problem};
      }
      message.action = static_cast<MessageAction>(action);
    }
    ExpectEnd(doc);
    ReleaseLargeBuffers();
    return true;
  } catch (const simdjson::simdjson_error& e) {
    error = {0, 0, std::string("unparsable history page: ") + e.what()};
  } catch (const ShapeError& e) {
    error = {0, 0, "unexpected history page: " + e.message};
  }
  ReleaseLargeBuffers();
  return false;
}

}  // namespace presenced
