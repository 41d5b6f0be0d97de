#pragma once

// Config: the whole configuration as plain structs with the defaults of CONTRACT §3. Built once by
// LoadConfig (config_loader.h), validated, then shared read-only as shared_ptr<const Config>; a
// reload builds a new one and swaps the pointer.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "presence/event.h"
#include "presence/update_on.h"

namespace presenced {

using Duration = std::chrono::milliseconds;

// Secret holds a credential read from the environment or a file. It has no operator<< and no
// accessor that formats it, so it cannot reach a log line by accident.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }
  bool operator==(const Secret& other) const = default;

 private:
  std::string value_;
};

inline constexpr const char* kDefaultAblyEndpoint = "https://main.realtime.ably.net";

struct AblyConfig {
  // kBasic: an API key. kBearer: a static token from token_env (cannot be renewed). kTokenFile:
  // a token read from token_file, re-read when the file changes. kAuthUrl: tokens fetched from
  // auth_url.
  enum class Auth { kBasic, kBearer, kTokenFile, kAuthUrl };
  std::string key_env = "ABLY_API_KEY";
  std::string key_file;
  std::string token_env;
  std::string token_file;
  std::string auth_url;
  // Sent to auth_url only; never logged. Resolved: a value written {env: NAME} or {file: PATH}
  // holds what the variable or file held.
  std::map<std::string, std::string> auth_headers;
  std::string endpoint = kDefaultAblyEndpoint;  // scheme://host[:port][/base], no trailing slash
  bool allow_insecure = false;                  // credentials over http:// to a non-loopback host
  // Resolved list: Ably's five fallbacks for the default endpoint unless configured; else as given.
  std::vector<std::string> fallback_hosts;
  Duration request_timeout{10'000};
  Duration connect_timeout{4'000};
  int max_channels_per_request = 100;
  int max_in_flight = 4;
  double max_requests_per_second = 0;  // 0 = unlimited
  uint64_t max_response_bytes = 64ull << 20;
  // Batch requests are planned so that each answer is expected to be about this size at most,
  // from each channel's last answer (a channel bigger than it goes alone); 0 = by count only.
  uint64_t batch_response_bytes = 2ull << 20;
  std::string ca_file;  // resolved against $CREDENTIALS_DIRECTORY when relative

  // Resolved credentials: "appId.keyId:secret" for kBasic, the token for kBearer and kTokenFile
  // (as read at load time), empty for kAuthUrl.
  Auth auth = Auth::kBasic;
  Secret credential;
};

// `proxy:` — the HTTP proxy for Ably and the webhooks, resolved from the file or, when the file
// sets no proxy.url, from the environment as curl reads it (https_proxy/HTTPS_PROXY for https
// URLs, http_proxy/HTTP_PROXY for http URLs, ALL_PROXY for both, no_proxy/NO_PROXY).
struct ProxyConfig {
  std::string url;       // proxy.url as written ("" = none in the file)
  std::string no_proxy;  // proxy.no_proxy as written
  // Resolved: the proxy for https:// and for http:// URLs ("" = direct;
  // http://[user:pass@]host:port, the user info being a credential) and the hosts that go direct.
  std::string https_proxy;
  std::string http_proxy;
  std::string bypass;
};

struct PollConfig {
  Duration interval{15'000};
};

struct DiscoveryConfig {
  std::vector<std::string> prefixes;
  Duration interval{60'000};
};

// `shard:` — this replica polls only the channels ShardOwns(name, index, count) (common/shard.h).
struct ShardConfig {
  int count = 1;
  int index = 0;            // resolved: with `index: auto`, the trailing number of $HOSTNAME
  bool index_auto = false;  // the file said `auto`
};

struct PresenceConfig {
  using UpdateOn = ::presenced::UpdateOn;
  enum class InitialSnapshot { kBaseline, kPresent };
  // kSnapshot: diff full snapshots every cycle. kHistory: read presence history every cycle and a
  // full snapshot every reconcile_every cycles (CONTRACT §1 "Presence history").
  enum class Mode { kSnapshot, kHistory };
  UpdateOn update_on = UpdateOn::kData;
  int leave_after_misses = 1;
  InitialSnapshot initial_snapshot = InitialSnapshot::kBaseline;
  Mode mode = Mode::kSnapshot;
  int reconcile_every = 20;
  bool client_events = false;   // also `online`/`offline` per clientId
  bool channel_events = false;  // also `occupied`/`vacated` per channel
  // History mode: read up to Ably's now minus this (a message becomes readable a little after
  // its timestamp), and how long Ably keeps presence history (2 minutes without persistence).
  Duration history_lag{5'000};
  Duration history_retention{120'000};
};

struct OutputConfig {
  bool stdout_events = false;  // `output.stdout`
};

struct StateConfig {
  std::string dir = "/var/lib/presenced";  // $STATE_DIRECTORY wins when set
};

// `http.tls`: HTTPS on http.listen. The files are re-read on every reload; paths are resolved
// against $CREDENTIALS_DIRECTORY when relative.
struct HttpTlsConfig {
  std::string cert_file;       // PEM certificate chain; "" = plain HTTP
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // "" = no client certificate; else one signed by it is required
  bool enabled() const { return !cert_file.empty(); }
  bool operator==(const HttpTlsConfig&) const = default;
};

struct HttpConfig {
  std::string listen = "0.0.0.0:9847";
  std::string host = "0.0.0.0";  // parsed from listen
  uint16_t port = 9847;          // parsed from listen; 0 = any free port
  bool lifecycle = false;        // POST /-/reload and /-/sync allowed (else 403)
  bool status_members = false;   // clientIds, connectionIds and data on / and /api/v1/status
  HttpTlsConfig tls;
  // name → bcrypt hash ($2a$/$2b$/$2y$); when set, every endpoint but /-/healthy and /-/ready
  // needs HTTP basic auth.
  std::map<std::string, std::string> basic_auth_users;
};

struct MetricsConfig {
  // Configured channels get a `channel` label on the member gauges; discovered channels only when
  // the file sets per_channel: true explicitly (their number is unbounded).
  bool per_channel = true;
  bool per_channel_explicit = false;  // the file sets metrics.per_channel
  // Returns whether a channel (discovered or configured) gets series of its own.
  bool Labelled(bool discovered) const {
    return per_channel && (!discovered || per_channel_explicit);
  }
};

struct WebhookConfig {
  enum class Format { kAbly, kEvents };
  std::string name;
  std::string url;
  Format format = Format::kAbly;
  std::string secret_env;
  std::string secret_file;                 // resolved against $CREDENTIALS_DIRECTORY if relative
  Secret secret;                           // resolved from either; empty = unsigned
  std::vector<std::string> channels{"*"};  // glob patterns: `*` and `?`
  std::vector<Action> actions{Action::kEnter, Action::kLeave, Action::kUpdate, Action::kPresent};
  std::map<std::string, std::string> headers;  // resolved like AblyConfig::auth_headers
  int batch_max_events = 100;
  Duration batch_max_delay{1'000};
  Duration timeout{10'000};
  Duration retry_initial_backoff{1'000};
  Duration retry_max_backoff{600'000};
  Duration retry_give_up_after{72ll * 3600 * 1000};
  Duration sync_every{0};  // 0: never; else a `sync` event per channel at this period
};

// `kafka:` — one stream of events into a Kafka topic (daemon/delivery/kafka/).
struct KafkaConfig {
  // kChannel: a channel's events share a key, so one partition holds them in order. kMember: a
  // member's events share a key (channel events and syncs are keyed by the channel).
  enum class Key { kChannel, kMember };
  using Format = WebhookConfig::Format;
  std::string name;     // unique across webhooks and kafka sinks
  std::string brokers;  // librdkafka's bootstrap.servers
  std::string topic;
  Key key = Key::kChannel;
  Format format = Format::kEvents;
  std::vector<std::string> channels{"*"};  // glob patterns: `*` and `?`
  std::vector<Action> actions{Action::kEnter, Action::kLeave, Action::kUpdate, Action::kPresent};
  // librdkafka client properties, values resolved ({env: NAME} / {file: PATH}). Any value may be a
  // credential (sasl.password): Secret, never logged.
  std::map<std::string, Secret> properties;
  // Property values the file gives as {env: NAME} or {file: PATH}, until the loader resolves them
  // into `properties`; empty in every Config the loader returns.
  struct PropertySource {
    bool file = false;  // `name` is a file path, else an environment variable
    std::string name;
    bool operator==(const PropertySource& other) const = default;
  };
  std::map<std::string, PropertySource> property_sources;
  Duration retry_give_up_after{72ll * 3600 * 1000};
  Duration sync_every{0};  // 0: never; else a `sync` event per channel at this period
  bool operator==(const KafkaConfig& other) const = default;
};

struct LogConfig {
  std::string level = "info";   // trace|debug|info|warn|error
  std::string format = "text";  // text|json
};

struct Config {
  std::string path;  // the file it was loaded from
  AblyConfig ably;
  ProxyConfig proxy;
  PollConfig poll;
  std::vector<std::string> channels;
  DiscoveryConfig discovery;
  ShardConfig shard;
  PresenceConfig presence;
  OutputConfig output;
  StateConfig state;
  HttpConfig http;
  MetricsConfig metrics;
  std::vector<WebhookConfig> webhooks;
  std::vector<KafkaConfig> kafka;
  LogConfig log;
  // What `--check-config` warns about when it was asked to (ParseOptions): credentials that the
  // running service reads from its environment or $CREDENTIALS_DIRECTORY but this shell lacks.
  std::vector<std::string> warnings;
};

// What routing needs of any sink, whatever its kind: its name (unique across kinds), which
// events it takes and how often it gets a `sync`.
struct SinkRoute {
  std::string name;
  std::vector<std::string> channels;
  std::vector<Action> actions;
  Duration sync_every{0};
};

// Returns the routes of every configured sink: the webhooks, then the kafka sinks, in file order.
inline std::vector<SinkRoute> SinkRoutes(const Config& config) {
  std::vector<SinkRoute> routes;
  routes.reserve(config.webhooks.size() + config.kafka.size());
  for (const WebhookConfig& w : config.webhooks) {
    routes.push_back({w.name, w.channels, w.actions, w.sync_every});
  }
  for (const KafkaConfig& k : config.kafka) {
    routes.push_back({k.name, k.channels, k.actions, k.sync_every});
  }
  return routes;
}

}  // namespace presenced
