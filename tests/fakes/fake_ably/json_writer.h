#pragma once

// Minimal hand-written JSON output helpers. The fake serializes large presence responses (10,000
// members per request in the benchmarks) straight into a std::string; building Poco::JSON object
// trees for that would dominate the response time.

#include <cstdint>
#include <string>
#include <string_view>

#include "presence/event.h"  // AppendJsonString: the fake escapes exactly as presenced does

namespace presenced::testing {

// Appends `"key":` (the key escaped by AppendJsonString).
void AppendJsonKey(std::string& out, std::string_view key);

// Appends `{"code":C,"statusCode":S,"message":"M","href":"https://help.ably.io/error/C"}`.
void AppendAblyError(std::string& out, int code, int status_code, std::string_view message);

// Returns `{"error":<AppendAblyError(...)>}`, the body of a whole-request failure.
std::string AblyErrorBody(int code, int status_code, std::string_view message);

}  // namespace presenced::testing
