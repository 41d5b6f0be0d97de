#pragma once

// The steps of ParseConfig (config_loader.cc), split by file: decoding the webhook list, and
// resolving what the file only names (credentials, signing secrets, the state directory).
// Internal to the config module.

#include <map>
#include <optional>
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

// Returns `path` as the file to read: a relative path lies in $CREDENTIALS_DIRECTORY when systemd
// sets it (LoadCredential=), else it is relative to the working directory.
std::string CredentialPath(const EnvLookup& env, const std::string& path);

// Reads the credential file `path` (see CredentialPath) without its trailing whitespace. When it
// cannot be read, reports MissingCredential at `config_path` and returns nullopt.
std::optional<std::string> ReadCredentialFile(const EnvLookup& env, const std::string& path,
                                              const std::string& config_path,
                                              Diagnostics* diagnostics);

// Returns the value a `{env: NAME}` (from_file false) or `{file: PATH}` (from_file true) source
// names, without its trailing whitespace: the environment variable, or the file (see
// CredentialPath). An unset or empty variable, or a file that cannot be read, is reported as
// MissingCredential at `config_path` (naming the variable or the file, never a value) and returns
// nullopt. The one resolver of such values: headers, kafka properties.
std::optional<std::string> ResolveCredentialSource(const EnvLookup& env, bool from_file,
                                                   const std::string& name,
                                                   const std::string& config_path,
                                                   Diagnostics* diagnostics);

// Reads the mapping of extra request headers at `key` of `r` (webhooks[].headers,
// ably.auth_headers); names for which `reserved` (may be null) is true are refused. A value is a
// string, {env: NAME} or {file: PATH}, resolved here. Values are never echoed: they often hold
// credentials.
void DecodeHeaders(const MapReader& r, std::string_view key, bool (*reserved)(std::string_view),
                   const EnvLookup& env, std::map<std::string, std::string>* headers);

// Decodes the `webhooks` list of the top-level mapping.
void DecodeWebhooks(const MapReader& top, const EnvLookup& env,
                    std::vector<WebhookConfig>* webhooks);

// Reads http.tls and http.basic_auth_users of the `http` mapping.
void DecodeHttpSecurity(const MapReader& http, HttpConfig* http_config);
// Resolves the http.tls paths (see CredentialPath) and checks that each file can be read.
void ResolveHttpTls(const EnvLookup& env, Diagnostics* diagnostics, HttpTlsConfig* tls);
// Decodes the `proxy` section.
void DecodeProxy(const MapReader& top, ProxyConfig* proxy);
// Resolves the proxy per scheme: proxy.url, else the environment as curl reads it.
void ResolveProxy(const EnvLookup& env, Diagnostics* diagnostics, ProxyConfig* proxy);

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
// Resolves each webhook's secret_env or secret_file into its secret.
void ResolveWebhookSecrets(const EnvLookup& env, Diagnostics* diagnostics,
                           std::vector<WebhookConfig>* webhooks);
// Resolves each kafka sink's `{env: NAME}` / `{file: PATH}` property values and checks every
// value against librdkafka.
void ResolveKafkaProperties(const EnvLookup& env, Diagnostics* diagnostics,
                            std::vector<KafkaConfig>* sinks);
// Applies $STATE_DIRECTORY (set by systemd's StateDirectory=), which wins over state.dir.
void ResolveStateDir(const EnvLookup& env, StateConfig* state);

}  // namespace presenced::config_internal
