#include "config/config_loader.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <limits>

#include "common/shard.h"
#include "config/config_sections.h"
#include "config/contained.h"
#include "config/diagnostics.h"
#include "config/map_reader.h"
#include "config/value_parsers.h"

namespace presenced {
namespace {

using config_internal::Diagnostics;
using config_internal::ListRules;
using config_internal::Located;
using config_internal::MapReader;

constexpr Duration kGreaterThanZero{1};
constexpr Duration kMinPollInterval{100};

bool IsNotEmpty(std::string_view text) { return !text.empty(); }
constexpr ListRules kNamesRules{IsNotEmpty, "must not be empty", /*unique=*/true};

// A fallback host, optionally with a port ("host" or "host:8443"; the endpoint's port otherwise).
bool IsFallbackHost(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return config_internal::IsHostName(text);
  const std::string_view port = text.substr(colon + 1);
  return config_internal::IsHostName(text.substr(0, colon)) && !port.empty() && port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Reads a list of channel names (or name prefixes) and rejects those Ably would refuse.
void ReadChannelNames(const MapReader& r, std::string_view key, std::vector<std::string>* out) {
  if (!r.StringList(key, kNamesRules, out)) return;
  for (const Located& item : r.List(key)) {
    if (!config_internal::IsAblyChannelName(item.node.Scalar())) {
      r.diagnostics()->Fail(item.path, "must not start with [ or : (Ably rejects such names)",
                            item.line);
    }
  }
}

// Credentials must not cross the network in clear text (Ably's client spec RSA1 refuses Basic
// auth without TLS): plain http:// only to a loopback host, unless allow_insecure says so.
void CheckTransportSecurity(Diagnostics* diagnostics, const AblyConfig& ably) {
  if (ably.allow_insecure) return;
  constexpr std::string_view kWhat =
      "would send credentials over plain http:// to a host that is not loopback; use https:// "
      "or set ably.allow_insecure: true";
  if (config_internal::IsPlainHttpToRemoteHost(ably.endpoint)) {
    diagnostics->FailAt("ably.endpoint", kWhat);
  }
  if (!ably.auth_url.empty() && config_internal::IsPlainHttpToRemoteHost(ably.auth_url)) {
    diagnostics->FailAt("ably.auth_url", kWhat);
  }
}

const char* const kAblyFallbackHosts[] = {
    "main.a.fallback.ably-realtime.com", "main.b.fallback.ably-realtime.com",
    "main.c.fallback.ably-realtime.com", "main.d.fallback.ably-realtime.com",
    "main.e.fallback.ably-realtime.com"};

void DecodeAbly(const MapReader& top, const EnvLookup& env, AblyConfig* ably) {
  MapReader r = top.Map(
      "ably", {"key_env", "key_file", "token_env", "token_file", "auth_url", "auth_headers",
               "endpoint", "allow_insecure", "fallback_hosts", "request_timeout", "connect_timeout",
               "max_channels_per_request", "max_in_flight", "max_requests_per_second",
               "max_response_bytes", "batch_response_bytes", "ca_file"});
  config_internal::ReadEnvName(r, "key_env", &ably->key_env);
  r.String("key_file", &ably->key_file);
  config_internal::ReadEnvName(r, "token_env", &ably->token_env);
  r.String("token_file", &ably->token_file);
  std::string auth_url;
  if (r.String("auth_url", &auth_url) && !auth_url.empty()) {
    if (auto url = config_internal::NormalizeHttpUrl(auth_url, /*base_only=*/false)) {
      ably->auth_url = *url;
    } else {
      r.Fail("auth_url", "must be an http or https URL");
    }
  }
  config_internal::DecodeHeaders(r, "auth_headers", nullptr, env, &ably->auth_headers);
  r.Bool("allow_insecure", &ably->allow_insecure);
  std::string endpoint;
  if (r.String("endpoint", &endpoint)) {
    auto url = config_internal::NormalizeHttpUrl(endpoint, /*base_only=*/true);
    if (url) {
      ably->endpoint = *url;
    } else {
      r.Fail("endpoint", "must be an http or https URL without query or fragment");
    }
  }
  const ListRules host_rules{IsFallbackHost, "must be a host name without scheme",
                             /*unique=*/true};
  if (auto hosts = r.Get("fallback_hosts")) {
    r.StringList("fallback_hosts", host_rules, &ably->fallback_hosts);
    // The contract's sample shows `fallback_hosts: []` as the default; copied into a config it
    // would silently turn off the fallbacks Ably's spec (RSC15) requires for its own endpoint.
    if (hosts->node.IsSequence() && hosts->node.size() == 0 &&
        ably->endpoint == kDefaultAblyEndpoint) {
      r.Fail("fallback_hosts",
             "[] would turn off Ably's fallback hosts for the default endpoint; remove the key "
             "(or set it to ~) to use them");
    }
  } else if (ably->endpoint == kDefaultAblyEndpoint) {
    // Ably's client spec (RSC15): the default endpoint has these fallbacks, any other has none.
    ably->fallback_hosts.assign(std::begin(kAblyFallbackHosts), std::end(kAblyFallbackHosts));
  }
  r.Duration("request_timeout", kGreaterThanZero, &ably->request_timeout);
  r.Duration("connect_timeout", kGreaterThanZero, &ably->connect_timeout);
  r.Int("max_channels_per_request", 1, 100, &ably->max_channels_per_request);
  r.Int("max_in_flight", 1, 64, &ably->max_in_flight);
  r.Number("max_requests_per_second", 0, &ably->max_requests_per_second);
  r.Size("max_response_bytes", 1, &ably->max_response_bytes);
  r.Size("batch_response_bytes", 0, &ably->batch_response_bytes);
  if (r.String("ca_file", &ably->ca_file)) {
    ably->ca_file = config_internal::CredentialPath(env, ably->ca_file);
  }
}

void DecodeSections(const MapReader& top, const EnvLookup& env, Config* config) {
  DecodeAbly(top, env, &config->ably);
  config_internal::DecodeProxy(top, &config->proxy);
  top.Map("poll", {"interval"}).Duration("interval", kMinPollInterval, &config->poll.interval);
  ReadChannelNames(top, "channels", &config->channels);

  MapReader discovery = top.Map("discovery", {"prefixes", "interval"});
  ReadChannelNames(discovery, "prefixes", &config->discovery.prefixes);
  discovery.Duration("interval", kGreaterThanZero, &config->discovery.interval);

  MapReader shard = top.Map("shard", {"count", "index"});
  shard.Int("count", 1, 1000, &config->shard.count);
  std::string index;
  if (shard.String("index", &index) && index == "auto") {
    config->shard.index_auto = true;
  } else {
    shard.Int("index", 0, 999, &config->shard.index);
  }

  using Presence = PresenceConfig;
  MapReader presence = top.Map(
      "presence", {"update_on", "leave_after_misses", "initial_snapshot", "mode", "reconcile_every",
                   "client_events", "channel_events", "history_lag", "history_retention"});
  presence.Enum<Presence::UpdateOn>(
      "update_on", {{"data", Presence::UpdateOn::kData}, {"any", Presence::UpdateOn::kAny}},
      &config->presence.update_on);
  presence.Int("leave_after_misses", 1, std::numeric_limits<int>::max(),
               &config->presence.leave_after_misses);
  presence.Enum<Presence::InitialSnapshot>("initial_snapshot",
                                           {{"baseline", Presence::InitialSnapshot::kBaseline},
                                            {"present", Presence::InitialSnapshot::kPresent}},
                                           &config->presence.initial_snapshot);
  presence.Enum<Presence::Mode>(
      "mode", {{"snapshot", Presence::Mode::kSnapshot}, {"history", Presence::Mode::kHistory}},
      &config->presence.mode);
  presence.Int("reconcile_every", 1, 1'000'000, &config->presence.reconcile_every);
  presence.Bool("client_events", &config->presence.client_events);
  presence.Bool("channel_events", &config->presence.channel_events);
  presence.Duration("history_lag", kGreaterThanZero, &config->presence.history_lag);
  presence.Duration("history_retention", kGreaterThanZero, &config->presence.history_retention);

  top.Map("output", {"stdout"}).Bool("stdout", &config->output.stdout_events);
  MapReader state = top.Map("state", {"dir"});
  if (state.String("dir", &config->state.dir) && config->state.dir.empty()) {
    state.Fail("dir", "must not be empty");
  }

  MapReader http =
      top.Map("http", {"listen", "lifecycle", "status_members", "tls", "basic_auth_users"});
  std::string listen;
  if (http.String("listen", &listen)) {
    if (auto address = config_internal::ParseListenAddress(listen)) {
      config->http.listen = listen;
      config->http.host = address->host;
      config->http.port = address->port;
    } else {
      http.Fail("listen", "must be host:port like 0.0.0.0:9847 or [::1]:9847");
    }
  }
  http.Bool("lifecycle", &config->http.lifecycle);
  http.Bool("status_members", &config->http.status_members);
  config_internal::DecodeHttpSecurity(http, &config->http);
  config->metrics.per_channel_explicit =
      top.Map("metrics", {"per_channel"}).Bool("per_channel", &config->metrics.per_channel);
  config_internal::DecodeWebhooks(top, env, &config->webhooks);
  config_internal::DecodeKafkaSinks(top, config->webhooks, &config->kafka);

  MapReader log = top.Map("log", {"level", "format"});
  std::string_view level = config->log.level;
  if (log.Enum<std::string_view>("level",
                                 {{"trace", "trace"},
                                  {"debug", "debug"},
                                  {"info", "info"},
                                  {"warn", "warn"},
                                  {"error", "error"}},
                                 &level)) {
    config->log.level = std::string(level);
  }
  std::string_view format = config->log.format;
  if (log.Enum<std::string_view>("format", {{"text", "text"}, {"json", "json"}}, &format)) {
    config->log.format = std::string(format);
  }
}

// Resolves `shard.index: auto` from $HOSTNAME (a StatefulSet pod is <name>-<ordinal>) and checks
// that the index is below the count.
void ResolveShard(const EnvLookup& env, Diagnostics* diagnostics, ShardConfig* shard) {
  if (shard->index_auto) {
    const std::string hostname = env("HOSTNAME").value_or("");
    const std::optional<int> ordinal = TrailingNumber(hostname);
    if (!ordinal) {
      diagnostics->FailAt("shard.index",
                          "\"auto\" needs $HOSTNAME to end in a number (like "
                          "presenced-2), got \"" +
                              hostname + "\"");
      return;
    }
    shard->index = *ordinal;
  }
  if (shard->index >= shard->count) {
    diagnostics->FailAt("shard.index", "must be less than shard.count (" +
                                           std::to_string(shard->count) + "), got " +
                                           std::to_string(shard->index));
  }
}

// History mode reads each channel's window when its request is sent: up to a cycle after the
// cycle started, whose window began where the previous one ended (history_lag earlier). A read
// must start inside Ably's retention, or what it held for the gap is gone.
void CheckHistoryWindow(Diagnostics* diagnostics, const Config& config) {
  const PresenceConfig& presence = config.presence;
  if (presence.mode != PresenceConfig::Mode::kHistory) return;
  const Duration longest = (presence.history_retention - presence.history_lag) / 2;
  if (config.poll.interval <= longest) return;
  using config_internal::FormatDuration;
  diagnostics->FailAt("poll.interval",
                      "with presence.mode history, must be at most " +
                          (longest.count() > 0 ? FormatDuration(longest) : std::string("0s")) +
                          " ((presence.history_retention " +
                          FormatDuration(presence.history_retention) + " − presence.history_lag " +
                          FormatDuration(presence.history_lag) +
                          ") / 2) so that every history read starts inside Ably's retention");
}

// The checks that need the whole decoded file or the environment.
void ResolveAndCheck(const EnvLookup& env, Diagnostics* diagnostics, Config* config) {
  if (config->channels.empty() && config->discovery.prefixes.empty()) {
    diagnostics->FailAt("channels", "at least one channel or one discovery prefix is required");
  }
  config_internal::ResolveCredentials(env, diagnostics, &config->ably);
  CheckTransportSecurity(diagnostics, config->ably);
  config_internal::ResolveWebhookSecrets(env, diagnostics, &config->webhooks);
  config_internal::ResolveHttpTls(env, diagnostics, &config->http.tls);
  config_internal::ResolveProxy(env, diagnostics, &config->proxy);
  config_internal::ResolveKafkaProperties(env, diagnostics, &config->kafka);
  config_internal::ResolveStateDir(env, &config->state);
  ResolveShard(env, diagnostics, &config->shard);
  CheckHistoryWindow(diagnostics, *config);
}

}  // namespace

Result<Config> ParseConfig(std::string_view yaml_text, const std::string& path,
                           const EnvLookup& env, ParseOptions options) {
  Result<YAML::Node> root = config_internal::LoadOneDocument(yaml_text);
  if (!root.ok()) return root.error();
  Config config;
  config.path = path;
  Diagnostics diagnostics;
  if (options.missing_credentials_warn) diagnostics.WarnOnMissingCredentials();
  try {
    MapReader top(Located{*root, "", config_internal::LineOf(*root, 1)},
                  {"ably", "proxy", "poll", "channels", "discovery", "shard", "presence", "output",
                   "state", "http", "metrics", "webhooks", "kafka", "log"},
                  &diagnostics);
    DecodeSections(top, env, &config);
    // Structural errors first: credentials and cross-field rules are only checked on a file
    // that decoded cleanly.
    if (diagnostics.ok()) ResolveAndCheck(env, &diagnostics, &config);
  } catch (const std::exception& e) {
    // yaml-cpp only throws here on a bug in this module (we test node types before reading).
    return Error{std::string("internal error while reading the config: ") + e.what()};
  }
  if (!diagnostics.ok()) return diagnostics.FirstError();
  config.warnings = diagnostics.warnings();
  return config;
}

namespace {

Status Check(std::string_view yaml_text, const std::string& path, const EnvLookup& env,
             ParseOptions options) {
  Result<Config> config = ParseConfig(yaml_text, path, env, options);
  if (!config.ok()) return config.error();
  return Ok{};
}

}  // namespace

void ServeConfigParse(const std::string& path, ParseOptions options) {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  const EnvLookup env = ProcessEnv();
  config_internal::ServeContained(config_internal::Bounds{},
                                  [&] { return Check(text, path, env, options); });
}

Result<Config> ParseConfigBounded(std::string_view yaml_text, const std::string& path,
                                  const EnvLookup& env, const std::string& parse_program,
                                  ParseOptions options) {
  using config_internal::Contained;
  const config_internal::Bounds bounds;
  std::vector<std::string> argv{parse_program, kInternalParseConfigFlag, path};
  if (options.missing_credentials_warn) argv.push_back(kMissingCredentialsWarnFlag);
  const Contained outcome = parse_program.empty()
                                ? config_internal::RunContained(
                                      bounds, [&] { return Check(yaml_text, path, env, options); })
                                : config_internal::RunContainedProgram(bounds, argv, yaml_text);
  // A known yaml-cpp 0.7 defect; the file is not valid YAML in a way the parser cannot report.
  const std::string defect = " (a yaml-cpp defect on some malformed YAML): check the file's syntax";
  switch (outcome.kind) {
    case Contained::Kind::kOk:
      // The child finished this same parse in bounds.
      return ParseConfig(yaml_text, path, env, options);
    case Contained::Kind::kFailed:
      return Error{outcome.message};
    case Contained::Kind::kOutOfMemory:
      return Error{"the YAML parser used more than " + std::to_string(bounds.memory_bytes >> 20) +
                   " MiB and was stopped" + defect};
    case Contained::Kind::kTimedOut:
      return Error{"the YAML parser ran for more than " +
                   config_internal::FormatDuration(bounds.time) + " and was stopped" + defect};
    case Contained::Kind::kCrashed:
      break;
  }
  return Error{"the config parser failed: " + outcome.message};
}

Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env,
                              const std::string& parse_program, ParseOptions options) {
  Result<std::string> text = config_internal::ReadTextFile(path);
  if (!text.ok()) return text.error();
  return ParseConfigBounded(*text, path, env, parse_program, options);
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

}  // namespace presenced
