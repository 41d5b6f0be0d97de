#pragma once

// MapReader: reads one YAML mapping of the config file into typed values, reporting every problem
// to Diagnostics as `<key path>: <what is wrong> (line N)`. Keys not in the known list and
// duplicate keys are errors. A key that is absent or null (`key:` / `key: ~`) keeps its default.
// Internal to the config module; yaml-cpp types never leave it. Not thread-safe.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/diagnostics.h"

namespace presenced::config_internal {

// A YAML node with the key path and line it was found at.
struct Located {
  YAML::Node node;
  std::string path;
  int line = 1;
};

// How StringList checks the items of a list.
struct ListRules {
  bool (*valid)(std::string_view item) = nullptr;  // nullptr: any string
  std::string_view invalid;                        // the message when !valid(item)
  bool unique = false;                             // a repeated item is an error
  bool non_empty = false;                          // an empty list is an error
};

// Returns the 1-based line of `node`, or `fallback` when yaml-cpp has no position for it.
int LineOf(const YAML::Node& node, int fallback);

class MapReader {
 public:
  // `value.node` may be undefined or null (the section is absent: every key keeps its default).
  MapReader(const Located& value, std::initializer_list<std::string_view> known,
            Diagnostics* diagnostics);

  const std::string& path() const { return path_; }
  Diagnostics* diagnostics() const { return diagnostics_; }
  int line() const { return line_; }

  // Returns the value of `key`, nullopt when absent or null.
  std::optional<Located> Get(std::string_view key) const;

  // The typed readers leave `*out` unchanged when the key is absent or null or its value is
  // invalid (an error is then recorded); they return true when `*out` was set.
  bool String(std::string_view key, std::string* out) const;
  bool Bool(std::string_view key, bool* out) const;
  bool Int(std::string_view key, int64_t min, int64_t max, int* out) const;
  bool Number(std::string_view key, double min, double* out) const;
  // Accepts durations >= `min` (min 1ms reads as "greater than 0").
  bool Duration(std::string_view key, presenced::Duration min, presenced::Duration* out) const;
  bool Size(std::string_view key, uint64_t min, uint64_t* out) const;
  // A list of strings checked against `rules`.
  bool StringList(std::string_view key, const ListRules& rules,
                  std::vector<std::string>* out) const;
  // One of the `choices` names.
  template <typename T>
  bool Enum(std::string_view key, std::initializer_list<std::pair<std::string_view, T>> choices,
            T* out) const;

  // Returns the items of the list at `key` (empty when absent; an error unless it is a list).
  std::vector<Located> List(std::string_view key) const;
  // Returns the sub-mapping at `key` (absent → a reader with no keys).
  MapReader Map(std::string_view key, std::initializer_list<std::string_view> known) const;

  // Records an error at the value of `key` (or at this mapping when the key is absent).
  void Fail(std::string_view key, std::string_view what) const;

  // Returns the scalar text of `value`; records "must be a string" and returns nullopt otherwise.
  std::optional<std::string> Scalar(const Located& value) const;

 private:
  struct Entry {
    std::string key;
    Located value;
  };
  std::optional<std::string> PlainScalar(std::string_view key, std::string_view expected) const;

  std::string path_;
  int line_;
  std::vector<Entry> entries_;
  Diagnostics* diagnostics_;
};

template <typename T>
bool MapReader::Enum(std::string_view key,
                     std::initializer_list<std::pair<std::string_view, T>> choices, T* out) const {
  auto value = Get(key);
  if (!value) return false;
  auto text = Scalar(*value);
  if (!text) return false;
  for (const auto& [name, choice] : choices) {
    if (*text == name) {
      *out = choice;
      return true;
    }
  }
  std::vector<std::string_view> names;
  for (const auto& choice : choices) names.push_back(choice.first);
  std::string message = "must be ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) message += i + 1 == names.size() ? " or " : ", ";
    message += names[i];
  }
  diagnostics_->Fail(value->path, message, value->line);
  return false;
}

}  // namespace presenced::config_internal
