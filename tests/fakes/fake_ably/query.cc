#include "fake_ably/query.h"

namespace presenced::testing {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xf]);
      out.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
    }
  }
  return out;
}

QueryParams ParseQuery(std::string_view raw_query) {
  QueryParams params;
  for (const std::string& piece : SplitNonEmpty(raw_query, "&")) {
    const auto eq = piece.find('=');
    if (eq == std::string::npos) {
      params.emplace_back(PercentDecode(piece), "");
    } else {
      params.emplace_back(PercentDecode(std::string_view(piece).substr(0, eq)),
                          PercentDecode(std::string_view(piece).substr(eq + 1)));
    }
  }
  return params;
}

std::optional<std::string> FindParam(const QueryParams& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::vector<std::string> SplitNonEmpty(std::string_view text, std::string_view separator) {
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find(separator, start);
    const size_t stop = end == std::string_view::npos ? text.size() : end;
    if (stop > start) pieces.emplace_back(text.substr(start, stop - start));
    if (end == std::string_view::npos) break;
    start = end + separator.size();
  }
  return pieces;
}

}  // namespace presenced::testing
