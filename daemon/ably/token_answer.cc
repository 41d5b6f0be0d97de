#include "ably/token_answer.h"

#include <simdjson.h>
#include <strings.h>

#include <algorithm>
#include <cctype>

namespace presenced {
namespace {

namespace od = simdjson::ondemand;

constexpr size_t kMaxTokenBytes = 64 * 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

// A token goes into an HTTP header: printable ASCII without spaces.
bool IsTokenText(std::string_view token) {
  return !token.empty() && token.size() <= kMaxTokenBytes &&
         std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

Result<TokenAnswer> TokenString(std::string_view text) {
  if (!IsTokenText(text)) return Error{"the token is empty or holds spaces or control characters"};
  TokenAnswer answer;
  answer.token = std::string(text);
  return answer;
}

Result<TokenAnswer> ParseJson(std::string_view body) {
  simdjson::padded_string padded(body);
  od::parser parser;
  try {
    od::document doc = parser.iterate(padded);
    if (doc.type() == od::json_type::string) return TokenString(std::string_view(doc.get_string()));
    if (doc.type() != od::json_type::object) {
      return Error{"JSON answer is neither a token, TokenDetails nor a TokenRequest"};
    }
    TokenAnswer answer;
    bool has_token = false, has_mac = false;
    for (auto field : doc.get_object()) {
      const std::string_view key = field.unescaped_key();
      od::value value = field.value();
      if (key == "token") {
        has_token = true;
        answer.token = std::string(std::string_view(value.get_string()));
      } else if (key == "expires") {
        int64_t expires = 0;
        if (value.get_int64().get(expires) == simdjson::SUCCESS) answer.expires_ms = expires;
      } else if (key == "keyName") {
        answer.key_name = std::string(std::string_view(value.get_string()));
      } else if (key == "mac") {
        has_mac = true;
      }
    }
    if (has_token) {
      if (!IsTokenText(answer.token)) {
        return Error{"TokenDetails token is empty or holds spaces or control characters"};
      }
      return answer;
    }
    if (has_mac && !answer.key_name.empty()) {
      answer.kind = TokenAnswer::Kind::kTokenRequest;
      answer.request_json = std::string(body);  // the whole body is this object
      return answer;
    }
    return Error{
        "JSON answer has neither `token` (TokenDetails) nor `keyName` and `mac` "
        "(TokenRequest)"};
  } catch (const simdjson::simdjson_error& e) {
    return Error{std::string("unparsable JSON answer: ") + simdjson::error_message(e.error())};
  }
}

}  // namespace

Result<TokenAnswer> ParseTokenAnswer(std::string_view content_type, std::string_view body) {
  const std::string_view text = Trim(body);
  if (StartsWithNoCase(content_type, "text/plain") ||
      StartsWithNoCase(content_type, "application/jwt")) {
    return TokenString(text);
  }
  if (StartsWithNoCase(content_type, "application/json") ||
      (!text.empty() && (text.front() == '{' || text.front() == '"'))) {
    return ParseJson(text);
  }
  return TokenString(text);
}

}  // namespace presenced
