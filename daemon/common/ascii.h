#pragma once

// ASCII-only case folding for protocol tokens (URL schemes, header names). Unlike ::tolower it is
// defined for every byte, ignores the locale, and leaves bytes >= 0x80 unchanged.

#include <string>
#include <string_view>

namespace presenced {

// Returns `c` with A-Z mapped to a-z; every other byte unchanged.
constexpr char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Returns `text` with A-Z mapped to a-z.
inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace presenced
