#pragma once

// Query-string helpers for the fake: form decoding (percent escapes and `+`), encoding for the
// `Link` URLs it generates, and lookup of a parameter by name.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace presenced::testing {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Decodes `%XX` escapes and, as form encoding does, `+` as a space. A malformed escape is kept
// literally.
std::string PercentDecode(std::string_view text);

// Encodes every byte except the RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string PercentEncode(std::string_view text);

// Splits a raw query (without the `?`) on `&` and `=`, decoding names and values.
QueryParams ParseQuery(std::string_view raw_query);

// Returns the value of the first parameter called `name`, if any.
std::optional<std::string> FindParam(const QueryParams& params, std::string_view name);

// Splits `text` on every occurrence of `separator` (non-empty); empty pieces are dropped.
std::vector<std::string> SplitNonEmpty(std::string_view text, std::string_view separator);

}  // namespace presenced::testing
