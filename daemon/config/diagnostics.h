#pragma once

// Diagnostics: the errors found while decoding a config file, and the line of every key read, so
// checks that run after decoding (credentials, cross-field rules) can still name a line.
// Internal to the config module. Not thread-safe; one instance per parse.

#include <climits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace presenced::config_internal {

class Diagnostics {
 public:
  // Records the error `<path>: <what> (line N)`. Only the error on the lowest line is kept (the
  // first recorded on a tie), so the user sees the first problem in reading order.
  void Fail(const std::string& path, std::string_view what, int line);
  // Records an error at the line of `path` (see LineOf).
  void FailAt(const std::string& path, std::string_view what);
  // Records an error about something that is not in the file (a default's environment variable):
  // `what` as is, without a path or a line. An error in the file is reported first.
  void FailOutsideFile(std::string_view what);

  // Records that a credential the file names is missing here (an unset variable, an unreadable
  // file): an error (Fail), or, once WarnOnMissingCredentials() was called, a warning with the
  // same text, so `--check-config` in a shell without the service's environment checks the rest.
  void MissingCredential(const std::string& path, std::string_view what);
  // Same for a credential that is not in the file (the default ably.key_env): FailOutsideFile.
  void MissingCredentialOutsideFile(std::string_view what);
  void WarnOnMissingCredentials() { warn_on_missing_ = true; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  bool ok() const { return !first_.has_value(); }
  // Returns the error to report (the one on the lowest line); only valid when !ok().
  Error FirstError() const { return Error{first_->message}; }

  // Remembers where `path` (e.g. "webhooks[1].url") is written.
  void RecordLine(const std::string& path, int line);
  // Returns the line of `path`, else of its nearest recorded parent, else 1.
  int LineOf(std::string path) const;
  // True when the file itself has `path` (not just a parent of it).
  bool InFile(const std::string& path) const { return lines_.contains(path); }

 private:
  struct Found {
    int line;
    std::string message;
  };
  std::optional<Found> first_;
  bool warn_on_missing_ = false;
  std::vector<std::string> warnings_;
  std::map<std::string, int, std::less<>> lines_;
};

// Joins a parent path and a key: ("", "ably") → "ably", ("ably", "endpoint") → "ably.endpoint".
std::string JoinPath(const std::string& parent, std::string_view key);
// Returns "parent[index]".
std::string IndexPath(const std::string& parent, size_t index);

}  // namespace presenced::config_internal
