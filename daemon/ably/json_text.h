#pragma once

// Text Ably sends that is not valid Unicode, made representable: every presence member is kept,
// with U+FFFD (the replacement character, bytes EF BF BD) in place of what cannot be represented
// (README "Members whose text is not valid Unicode"). Pure functions, no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace presenced {

// The replacement character, U+FFFD, in UTF-8.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Returns `text` with every ill-formed UTF-8 sequence replaced by U+FFFD, one per maximal
// subpart (Unicode §3.9: a lead byte and the continuation bytes that could still have completed
// it); nullopt when `text` is already valid UTF-8 (nothing to copy).
std::optional<std::string> ReplaceInvalidUtf8(std::string_view text);

// Decodes one JSON string token (`"…"`, quotes included, as it appears in the document) that a
// strict decoder refused: a lone surrogate escape (`\ud800` not followed by a low surrogate, or a
// low one alone) and an unknown escape become U+FFFD, every other escape decodes as JSON says.
// nullopt when `token` is not a string token (no opening or closing quote).
std::optional<std::string> DecodeJsonStringLeniently(std::string_view token);

}  // namespace presenced
