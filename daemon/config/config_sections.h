#pragma once

// The steps of ParseConfig (config_loader.cc), split by file: decoding the webhook list, and
// resolving what the file only names (credentials, signing secrets, the state directory).
// Internal to the config module.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "config/config_loader.h"
#include "config/diagnostics.h"
#include "config/map_reader.h"

namespace presenced::config_internal {

// Loads the one YAML document of a config file. A second document, or a token no document can
// start with, is an error with its line; so is a syntax error (`syntax error: ... (line N)`).
Result<YAML::Node> LoadOneDocument(std::string_view text);

// True for an environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool IsEnvName(std::string_view text);

// Reads the `*_env` key `key` of `section`: an environment variable name, never a value (a key
// pasted here by mistake is rejected without being echoed).
void ReadEnvName(const MapReader& section, std::string_view key, std::string* out);

// Reads the mapping of extra request headers at `key` of `r` (webhooks[].headers,
// ably.auth_headers); names for which `reserved` (may be null) is true are refused. Values are
// never echoed: they often hold credentials.
void DecodeHeaders(const MapReader& r, std::string_view key, bool (*reserved)(std::string_view),
                   std::map<std::string, std::string>* headers);

// Decodes the `webhooks` list of the top-level mapping.
void DecodeWebhooks(const MapReader& top, std::vector<WebhookConfig>* webhooks);

// Decodes the `kafka` list of the top-level mapping; a sink's name must not be one of
// `webhooks`' either (they share the outbox and the metrics' keys).
void DecodeKafkaSinks(const MapReader& top, const std::vector<WebhookConfig>& webhooks,
                      std::vector<KafkaConfig>* sinks);

// Returns whether `action` can be chosen in a sink's `actions` filter: every action but `sync`,
// which sync_every and POST /-/sync send on their own.
bool IsSelectableAction(std::string_view action);
// The message for an action IsSelectableAction refuses.
inline constexpr std::string_view kSelectableActions =
    "must be enter, leave, update, present, online, offline, occupied or vacated";

// Reads a whole file of at most 4 MiB; the Error is "cannot read <path>: <reason>".
Result<std::string> ReadTextFile(const std::string& path);

// Resolves ably.key_file > ably.token_file > ably.auth_url > ably.token_env > ably.key_env into
// ably->auth/credential.
void ResolveCredentials(const EnvLookup& env, Diagnostics* diagnostics, AblyConfig* ably);
// Resolves each webhook's secret_env into its secret.
void ResolveWebhookSecrets(const EnvLookup& env, Diagnostics* diagnostics,
                           std::vector<WebhookConfig>* webhooks);
// Resolves each kafka sink's `{env: NAME}` / `{file: PATH}` property values and checks every
// value against librdkafka.
void ResolveKafkaProperties(const EnvLookup& env, Diagnostics* diagnostics,
                            std::vector<KafkaConfig>* sinks);
// Applies $STATE_DIRECTORY (set by systemd's StateDirectory=), which wins over state.dir.
void ResolveStateDir(const EnvLookup& env, StateConfig* state);

}  // namespace presenced::config_internal
