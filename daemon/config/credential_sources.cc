// Values the config file names instead of holding: `*_file` paths (relative ones are read from
// $CREDENTIALS_DIRECTORY, where systemd's LoadCredential= puts them), and values written as
// {env: NAME} or {file: PATH} (request headers here; kafka properties in kafka_decoder.cc use the
// same ResolveCredentialSource). No message here contains a value: variable names and paths are
// not secrets and are named so the user knows what to fix.

#include <algorithm>
#include <cctype>

#include "common/ascii.h"
#include "config/config_sections.h"
#include "config/value_parsers.h"

namespace presenced::config_internal {
namespace {

std::string StripTrailingWhitespace(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

// Reads one header value at `value`: a string, {env: NAME} or {file: PATH}; nullopt when it is
// invalid (an error is recorded) or its source is missing (MissingCredential).
std::optional<std::string> ReadHeaderValue(const Located& value, const EnvLookup& env,
                                           Diagnostics* diagnostics) {
  if (value.node.IsScalar()) {
    if (!IsHeaderValue(value.node.Scalar())) {
      diagnostics->Fail(value.path, "must not contain control characters", value.line);
      return std::nullopt;
    }
    return value.node.Scalar();
  }
  if (!value.node.IsMap() || value.node.size() != 1) {
    diagnostics->Fail(value.path, "must be a string, {env: NAME} or {file: PATH}", value.line);
    return std::nullopt;
  }
  MapReader source(value, {"env", "file"}, diagnostics);
  std::string name, file;
  ReadEnvName(source, "env", &name);
  source.String("file", &file);
  if (name.empty() && file.empty()) {
    if (diagnostics->ok()) diagnostics->Fail(value.path, "names no variable or file", value.line);
    return std::nullopt;
  }
  const bool from_file = name.empty();
  std::optional<std::string> text =
      ResolveCredentialSource(env, from_file, from_file ? file : name, value.path, diagnostics);
  if (!text) return std::nullopt;
  const std::string origin = from_file ? CredentialPath(env, file) : "environment variable " + name;
  if (!IsHeaderValue(*text)) {
    diagnostics->Fail(value.path, origin + " holds control characters", value.line);
    return std::nullopt;
  }
  return text;
}

}  // namespace

std::string CredentialPath(const EnvLookup& env, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  const std::string directory = env("CREDENTIALS_DIRECTORY").value_or("");
  if (directory.empty()) return path;
  return directory.back() == '/' ? directory + path : directory + "/" + path;
}

std::optional<std::string> ReadCredentialFile(const EnvLookup& env, const std::string& path,
                                              const std::string& config_path,
                                              Diagnostics* diagnostics) {
  Result<std::string> text = ReadTextFile(CredentialPath(env, path));
  if (!text.ok()) {
    diagnostics->MissingCredential(config_path, text.error().message);
    return std::nullopt;
  }
  return StripTrailingWhitespace(std::move(*text));
}

std::optional<std::string> ResolveCredentialSource(const EnvLookup& env, bool from_file,
                                                   const std::string& name,
                                                   const std::string& config_path,
                                                   Diagnostics* diagnostics) {
  if (from_file) return ReadCredentialFile(env, name, config_path, diagnostics);
  std::string text = StripTrailingWhitespace(env(name).value_or(""));
  if (text.empty()) {
    diagnostics->MissingCredential(config_path,
                                   "environment variable " + name + " is not set or empty");
    return std::nullopt;
  }
  return text;
}

void DecodeHeaders(const MapReader& r, std::string_view key, bool (*reserved)(std::string_view),
                   const EnvLookup& env, std::map<std::string, std::string>* headers) {
  auto value = r.Get(key);
  if (!value) return;
  Diagnostics* diagnostics = r.diagnostics();
  if (!value->node.IsMap()) {
    diagnostics->Fail(value->path, "must be a mapping", value->line);
    return;
  }
  std::map<std::string, std::string> lower_seen;
  for (auto it = value->node.begin(); it != value->node.end(); ++it) {
    const int line = LineOf(it->first, value->line);
    const std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
    const std::string path = JoinPath(value->path, name);
    if (!it->first.IsScalar() || !IsHeaderName(name)) {
      diagnostics->Fail(path, "must be a valid HTTP header name", line);
    } else if (reserved != nullptr && reserved(name)) {
      diagnostics->Fail(path, "is set by presenced and cannot be overridden", line);
    } else if (lower_seen.contains(AsciiLower(name))) {
      diagnostics->Fail(path, "duplicate of " + lower_seen[AsciiLower(name)], line);
    } else {
      lower_seen[AsciiLower(name)] = path;
      diagnostics->RecordLine(path, line);
      const Located header{it->second, path, LineOf(it->second, line)};
      if (auto text = ReadHeaderValue(header, env, diagnostics)) (*headers)[name] = *text;
    }
  }
}

}  // namespace presenced::config_internal
