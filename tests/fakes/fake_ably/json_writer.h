#pragma once

// Minimal hand-written JSON output helpers. The fake serializes large presence responses (10,000
// members per request in the benchmarks) straight into a std::string; building Poco::JSON object
// trees for that would dominate the response time.

#include <cstdint>
#include <string>
#include <string_view>

namespace presenced::testing {

// Appends `value` as a quoted JSON string, escaping quotes, backslashes and control characters.
// Bytes >= 0x80 are copied unchanged (the input is assumed to be UTF-8).
void AppendJsonString(std::string& out, std::string_view value);

// Appends `"key":` (the key escaped as above).
void AppendJsonKey(std::string& out, std::string_view key);

// Appends `{"code":C,"statusCode":S,"message":"M","href":"https://help.ably.io/error/C"}`.
void AppendAblyError(std::string& out, int code, int status_code, std::string_view message);

// Returns `{"error":<AppendAblyError(...)>}`, the body of a whole-request failure.
std::string AblyErrorBody(int code, int status_code, std::string_view message);

}  // namespace presenced::testing
