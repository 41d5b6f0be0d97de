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

// Parses and validates `yaml_text`. `path` is only used in messages and stored in Config::path.
Result<Config> ParseConfig(std::string_view yaml_text, const std::string& path,
                           const EnvLookup& env);

// Reads the file at `path` and parses it; a missing or unreadable file is an Error naming the path.
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env);

// Parses a duration string ("500ms", "15s", "5m", "24h"); nullopt when malformed.
std::optional<Duration> ParseDuration(std::string_view text);
// Parses a size ("1024", "64KiB", "64MiB"); nullopt when malformed.
std::optional<uint64_t> ParseSize(std::string_view text);

// Returns the one-paragraph summary printed by --check-config (no secrets).
std::string DescribeConfig(const Config& config);

}  // namespace presenced
