#pragma once

// LoadConfig: YAML text → validated Config. Every error names the key path and the line, e.g.
// `webhooks[1].url: must be an http or https URL (line 14)`. Unknown keys are errors. Secrets are
// resolved from the environment/files through the injected lookup and never appear in messages.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "config/config.h"

namespace presenced {

// Looks up an environment variable; nullopt when unset. Injected so tests need no real env.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Returns the process environment lookup (getenv).
EnvLookup ProcessEnv();

// How ParseConfig treats credentials the file names but this process cannot get (an unset
// variable, an unreadable *_file): errors by default; with missing_credentials_warn they become
// Config::warnings and everything else is still checked (`--check-config` from a shell, without
// the service's environment or $CREDENTIALS_DIRECTORY).
struct ParseOptions {
  bool missing_credentials_warn = false;
};

// Parses and validates `yaml_text` in process. `path` is only used in messages and stored in
// Config::path. Unbounded: use ParseConfigBounded for text that may be hostile.
Result<Config> ParseConfig(std::string_view yaml_text, const std::string& path,
                           const EnvLookup& env, ParseOptions options = {});

// Parses like ParseConfig, first in a child process held to a memory and a time bound (see
// config/contained.h): no text can hang or kill the caller. yaml-cpp 0.7 loops or allocates
// forever on some malformed inputs; such a text becomes an Error saying the parser was stopped.
// `parse_program` empty: the child is a fork of this process (RunContained), which is unsafe once
// the process has other threads. Else it is the program `parse_program --internal-parse-config
// PATH` (RunContainedProgram), which must be a presenced binary (the daemon passes
// /proc/self/exe); that program reads the process environment, not `env`.
Result<Config> ParseConfigBounded(std::string_view yaml_text, const std::string& path,
                                  const EnvLookup& env, const std::string& parse_program = "",
                                  ParseOptions options = {});

// The parse program's side: reads YAML text from standard input, parses it as the file `path`
// with the process environment, writes the answer to standard output and exits. The program gets
// kMissingCredentialsWarnFlag after the path for ParseOptions::missing_credentials_warn.
inline constexpr const char* kInternalParseConfigFlag = "--internal-parse-config";
inline constexpr const char* kMissingCredentialsWarnFlag = "--missing-credentials-warn";
[[noreturn]] void ServeConfigParse(const std::string& path, ParseOptions options = {});

// Reads the file at `path` and parses it with ParseConfigBounded; a missing or unreadable file (or
// one larger than 4 MiB) is an Error naming the path.
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env,
                              const std::string& parse_program = "", ParseOptions options = {});

// Loads the config file at a path: how the daemon reads its file again on a reload.
using ConfigLoader = std::function<Result<Config>(const std::string& path)>;

// Parses a duration string ("500ms", "15s", "5m", "24h"); nullopt when malformed.
std::optional<Duration> ParseDuration(std::string_view text);
// Parses a size ("1024", "64KiB", "64MiB"); nullopt when malformed.
std::optional<uint64_t> ParseSize(std::string_view text);

// Returns the one-paragraph summary printed by --check-config (no secrets).
std::string DescribeConfig(const Config& config);

}  // namespace presenced
