#include "config/map_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "config/config_loader.h"
#include "config/value_parsers.h"

namespace presenced::config_internal {

int LineOf(const YAML::Node& node, int fallback) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() || mark.line < 0 ? fallback : mark.line + 1;
}

MapReader::MapReader(const Located& value, std::initializer_list<std::string_view> known,
                     Diagnostics* diagnostics)
    : path_(value.path), line_(value.line), diagnostics_(diagnostics) {
  const YAML::Node& node = value.node;
  // An absent section is not in the file: recording it would make InFile() say it is.
  if (!node.IsDefined() || node.IsNull()) return;
  diagnostics_->RecordLine(path_, line_);
  if (!node.IsMap()) {
    diagnostics_->Fail(path_, "must be a mapping", line_);
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const int key_line = LineOf(it->first, line_);
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : "?";
    const std::string path = JoinPath(path_, key);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      diagnostics_->Fail(path, "unknown key", key_line);
      continue;
    }
    auto same_key = [&](const Entry& entry) { return entry.key == key; };
    if (std::any_of(entries_.begin(), entries_.end(), same_key)) {
      diagnostics_->Fail(path, "duplicate key", key_line);
      continue;
    }
    const int value_line = it->second.IsNull() ? key_line : LineOf(it->second, key_line);
    diagnostics_->RecordLine(path, key_line);
    entries_.push_back(Entry{key, Located{it->second, path, value_line}});
  }
}

std::optional<Located> MapReader::Get(std::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) {
      if (entry.value.node.IsNull()) return std::nullopt;
      return entry.value;
    }
  }
  return std::nullopt;
}

void MapReader::Fail(std::string_view key, std::string_view what) const {
  for (const Entry& entry : entries_) {
    if (entry.key == key) {
      diagnostics_->Fail(entry.value.path, what, entry.value.line);
      return;
    }
  }
  diagnostics_->Fail(JoinPath(path_, key), what, line_);
}

std::optional<std::string> MapReader::Scalar(const Located& value) const {
  if (!value.node.IsScalar()) {
    diagnostics_->Fail(value.path, "must be a string", value.line);
    return std::nullopt;
  }
  return value.node.Scalar();
}

// Returns the text of an unquoted scalar: `4` is a number, `"4"` is a string.
std::optional<std::string> MapReader::PlainScalar(std::string_view key,
                                                  std::string_view expected) const {
  auto value = Get(key);
  if (!value) return std::nullopt;
  if (!value->node.IsScalar() || value->node.Tag() != "?") {
    diagnostics_->Fail(value->path, expected, value->line);
    return std::nullopt;
  }
  return value->node.Scalar();
}

bool MapReader::String(std::string_view key, std::string* out) const {
  auto value = Get(key);
  if (!value) return false;
  auto text = Scalar(*value);
  if (!text) return false;
  *out = *text;
  return true;
}

bool MapReader::Bool(std::string_view key, bool* out) const {
  static constexpr std::string_view kMessage = "must be true or false";
  auto text = PlainScalar(key, kMessage);
  if (!text) return false;
  if (*text == "true" || *text == "True" || *text == "TRUE") {
    *out = true;
  } else if (*text == "false" || *text == "False" || *text == "FALSE") {
    *out = false;
  } else {
    Fail(key, kMessage);
    return false;
  }
  return true;
}

bool MapReader::Int(std::string_view key, int64_t min, int64_t max, int* out) const {
  static constexpr std::string_view kMessage = "must be an integer";
  auto text = PlainScalar(key, kMessage);
  if (!text) return false;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec == std::errc::result_out_of_range) {
    value = text->starts_with('-') ? std::numeric_limits<int64_t>::min()
                                   : std::numeric_limits<int64_t>::max();
  } else if (ec != std::errc() || end != text->data() + text->size()) {
    Fail(key, kMessage);
    return false;
  }
  if (value < min || value > max) {
    Fail(key, max == std::numeric_limits<int>::max()
                  ? "must be at least " + std::to_string(min)
                  : "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return false;
  }
  *out = static_cast<int>(value);
  return true;
}

bool MapReader::Number(std::string_view key, double min, double* out) const {
  static constexpr std::string_view kMessage = "must be a number";
  auto text = PlainScalar(key, kMessage);
  if (!text) return false;
  double value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || !std::isfinite(value)) {
    Fail(key, kMessage);
    return false;
  }
  if (value < min) {
    Fail(key, min == 0 ? std::string("must not be negative")
                       : "must be at least " + std::to_string(min));
    return false;
  }
  *out = value;
  return true;
}

bool MapReader::Duration(std::string_view key, presenced::Duration min,
                         presenced::Duration* out) const {
  auto value = Get(key);
  if (!value) return false;
  auto text = Scalar(*value);
  if (!text) return false;
  auto duration = ParseDuration(*text);
  if (!duration) {
    Fail(key, "must be a duration like 500ms, 15s, 5m or 24h");
    return false;
  }
  if (*duration < min) {
    Fail(key, min == presenced::Duration(1) ? "must be greater than 0"
                                            : "must be at least " + FormatDuration(min));
    return false;
  }
  *out = *duration;
  return true;
}

bool MapReader::Size(std::string_view key, uint64_t min, uint64_t* out) const {
  auto value = Get(key);
  if (!value) return false;
  auto text = Scalar(*value);
  if (!text) return false;
  auto size = ParseSize(*text);
  if (!size) {
    Fail(key, "must be a size like 65536, 512KiB, 64MiB or 1GiB");
    return false;
  }
  if (*size < min) {
    Fail(key, min == 1 ? "must be greater than 0" : "must be at least " + std::to_string(min));
    return false;
  }
  *out = *size;
  return true;
}

bool MapReader::StringList(std::string_view key, const ListRules& rules,
                           std::vector<std::string>* out) const {
  auto value = Get(key);
  if (!value) return false;
  std::vector<std::string> items;
  std::vector<std::string> paths;
  std::unordered_map<std::string, size_t> seen;  // item -> index of its first occurrence
  bool ok = value->node.IsSequence();
  for (const Located& item : List(key)) {
    auto text = Scalar(item);
    if (!text) {
      ok = false;
      continue;
    }
    if (rules.valid != nullptr && !rules.valid(*text)) {
      diagnostics_->Fail(item.path, rules.invalid, item.line);
      ok = false;
    }
    // A hash of what came before, not a scan: lists of 10,000 channels are normal.
    const auto [previous, first] = seen.try_emplace(*text, items.size());
    if (rules.unique && !first) {
      diagnostics_->Fail(item.path, "duplicate of " + paths[previous->second], item.line);
      ok = false;
    }
    items.push_back(*text);
    paths.push_back(item.path);
  }
  if (ok && rules.non_empty && items.empty()) {
    diagnostics_->Fail(value->path, "must not be empty", value->line);
    ok = false;
  }
  if (ok) *out = std::move(items);
  return ok;
}

std::vector<Located> MapReader::List(std::string_view key) const {
  auto value = Get(key);
  if (!value) return {};
  if (!value->node.IsSequence()) {
    diagnostics_->Fail(value->path, "must be a list", value->line);
    return {};
  }
  std::vector<Located> items;
  for (auto it = value->node.begin(); it != value->node.end(); ++it) {
    const std::string path = IndexPath(value->path, items.size());
    items.push_back(Located{*it, path, LineOf(*it, value->line)});
    diagnostics_->RecordLine(path, items.back().line);
  }
  return items;
}

MapReader MapReader::Map(std::string_view key,
                         std::initializer_list<std::string_view> known) const {
  auto value = Get(key);
  if (value) return MapReader(*value, known, diagnostics_);
  return MapReader(Located{YAML::Node(), JoinPath(path_, key), line_}, known, diagnostics_);
}

}  // namespace presenced::config_internal
