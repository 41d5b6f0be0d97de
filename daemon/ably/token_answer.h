#pragma once

// Parsing of what an `ably.auth_url` answers and what POST /keys/{keyName}/requestToken returns
// (Ably client spec RSA8c, TE1-TE6 TokenRequest, TD1-TD7 TokenDetails). Pure: no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace presenced {

struct TokenAnswer {
  enum class Kind {
    kToken,         // a token string, or TokenDetails (`token` and `expires`)
    kTokenRequest,  // a signed TokenRequest to exchange at /keys/{key_name}/requestToken
  };
  Kind kind = Kind::kToken;
  std::string token;         // kToken
  int64_t expires_ms = 0;    // kToken: TokenDetails#expires (ms since the epoch), 0 = unknown
  std::string key_name;      // kTokenRequest: TokenRequest#keyName ("appId.keyId")
  std::string request_json;  // kTokenRequest: the TokenRequest as received, sent on unchanged
};

// Reads an answer: a token string when `content_type` is text/plain or application/jwt, JSON
// when it is application/json (TokenDetails, TokenRequest, or a JSON string holding a token);
// without a content type, JSON when the body starts with `{` or `"`, else a token string.
// Errors never quote the body (it may hold a token).
Result<TokenAnswer> ParseTokenAnswer(std::string_view content_type, std::string_view body);

}  // namespace presenced
