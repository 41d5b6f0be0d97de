#include "config/diagnostics.h"

namespace presenced::config_internal {

void Diagnostics::Fail(const std::string& path, std::string_view what, int line) {
  if (first_.has_value() && first_->line <= line) return;
  std::string shown = path.empty() ? "(top level)" : path;
  first_ = Found{line, shown + ": " + std::string(what) + " (line " + std::to_string(line) + ")"};
}

void Diagnostics::FailAt(const std::string& path, std::string_view what) {
  Fail(path, what, LineOf(path));
}

void Diagnostics::FailOutsideFile(std::string_view what) {
  if (first_.has_value()) return;
  first_ = Found{INT_MAX, std::string(what)};
}

void Diagnostics::MissingCredential(const std::string& path, std::string_view what) {
  if (!warn_on_missing_) return FailAt(path, what);
  warnings_.push_back(path + ": " + std::string(what) + " (line " + std::to_string(LineOf(path)) +
                      ")");
}

void Diagnostics::MissingCredentialOutsideFile(std::string_view what) {
  if (!warn_on_missing_) return FailOutsideFile(what);
  warnings_.emplace_back(what);
}

void Diagnostics::RecordLine(const std::string& path, int line) { lines_.emplace(path, line); }

int Diagnostics::LineOf(std::string path) const {
  while (true) {
    if (auto it = lines_.find(path); it != lines_.end()) return it->second;
    if (path.empty()) return 1;
    // Drop the last component: "a.b[2].c" → "a.b[2]" → "a.b" → "a" → "".
    size_t cut = path.find_last_of(".[");
    path.resize(cut == std::string::npos ? 0 : cut);
  }
}

std::string JoinPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string IndexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

}  // namespace presenced::config_internal
