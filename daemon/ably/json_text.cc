#include "ably/json_text.h"

#include <cstdint>

namespace presenced {
namespace {

// Returns the length of the well-formed UTF-8 sequence at `text[i]`, or 0 with `subpart` set to
// the length of its maximal subpart (at least 1) when it is ill-formed (Unicode Table 3-7).
size_t SequenceLength(std::string_view text, size_t i, size_t& subpart) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  subpart = 1;
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;  // a continuation byte, C0, C1 or F5..FF
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return 0;
    const unsigned char b = byte(i + k);
    const bool ok = k == 1 ? b >= low && b <= high : b >= 0x80 && b <= 0xBF;
    if (!ok) return 0;
    subpart = k + 1;
  }
  return length;
}

void AppendUtf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// Reads the four hex digits of a \u escape at text[i..i+3]; false when they are not that.
bool ReadHex4(std::string_view text, size_t i, uint32_t& value) {
  if (i + 4 > text.size()) return false;
  value = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = text[k];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return false;
    }
    value = value * 16 + digit;
  }
  return true;
}

}  // namespace

std::optional<std::string> ReplaceInvalidUtf8(std::string_view text) {
  std::optional<std::string> out;
  size_t copied = 0;  // text[0, copied) is in `out` already
  for (size_t i = 0; i < text.size();) {
    size_t subpart = 1;
    const size_t length = SequenceLength(text, i, subpart);
    if (length > 0) {
      i += length;
      continue;
    }
    if (!out) out.emplace().reserve(text.size() + 16);
    out->append(text.substr(copied, i - copied));
    out->append(kReplacementCharacter);
    i += subpart;
    copied = i;
  }
  if (out) out->append(text.substr(copied));
  return out;
}

std::optional<std::string> DecodeJsonStringLeniently(std::string_view token) {
  if (token.size() < 2 || token.front() != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < token.size();) {
    const char c = token[i];
    if (c == '"') return out;
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= token.size()) return std::nullopt;
    const char escape = token[i + 1];
    i += 2;
    switch (escape) {
      case '"':
      case '\\':
      case '/':
        out.push_back(escape);
        continue;
      case 'b':
        out.push_back('\b');
        continue;
      case 'f':
        out.push_back('\f');
        continue;
      case 'n':
        out.push_back('\n');
        continue;
      case 'r':
        out.push_back('\r');
        continue;
      case 't':
        out.push_back('\t');
        continue;
      case 'u':
        break;
      default:
        out.append(kReplacementCharacter);
        continue;
    }
    uint32_t unit = 0;
    if (!ReadHex4(token, i, unit)) {
      out.append(kReplacementCharacter);
      continue;
    }
    i += 4;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      uint32_t low = 0;
      if (i + 1 < token.size() && token[i] == '\\' && token[i + 1] == 'u' &&
          ReadHex4(token, i + 2, low) && low >= 0xDC00 && low <= 0xDFFF) {
        i += 6;
        AppendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
      } else {
        out.append(kReplacementCharacter);  // a high surrogate alone
      }
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      out.append(kReplacementCharacter);  // a low surrogate alone
    } else {
      AppendUtf8(out, unit);
    }
  }
  return std::nullopt;  // no closing quote
}

}  // namespace presenced
