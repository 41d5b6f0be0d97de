// ParseConfig/LoadConfigFile/DescribeConfig: defaults, every key, credentials, environment rules.

#include "config/config_loader.h"

#include <gtest/gtest.h>

#include <string>

#include "config_test_helpers.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using testing::FakeEnv;
using testing::KeyEnv;
using testing::kTestKey;
using testing::kTestKeySecret;
using testing::MustFail;
using testing::MustParse;

TEST(ParseConfigTest, MinimalFileGetsEveryDefault) {
  Config config = MustParse("channels: [chat:lobby]\n");
  const AblyConfig& ably = config.ably;
  EXPECT_EQ(config.path, "test.yaml");
  EXPECT_EQ(ably.key_env, "ABLY_API_KEY");
  EXPECT_EQ(ably.key_file, "");
  EXPECT_EQ(ably.token_env, "");
  EXPECT_EQ(ably.endpoint, "https://main.realtime.ably.net");
  EXPECT_EQ(ably.fallback_hosts.size(), 5u);
  EXPECT_EQ(ably.request_timeout, Duration(10'000));
  EXPECT_EQ(ably.connect_timeout, Duration(4'000));
  EXPECT_EQ(ably.max_channels_per_request, 100);
  EXPECT_EQ(ably.max_in_flight, 4);
  EXPECT_EQ(ably.max_requests_per_second, 0);
  EXPECT_EQ(ably.max_response_bytes, 64ull << 20);
  EXPECT_EQ(ably.batch_response_bytes, 2ull << 20);
  EXPECT_EQ(ably.ca_file, "");
  EXPECT_EQ(ably.auth, AblyConfig::Auth::kBasic);
  EXPECT_EQ(ably.credential.Reveal(), kTestKey);
  EXPECT_EQ(config.poll.interval, Duration(15'000));
  EXPECT_EQ(config.channels, std::vector<std::string>{"chat:lobby"});
  EXPECT_TRUE(config.discovery.prefixes.empty());
  EXPECT_EQ(config.discovery.interval, Duration(60'000));
  EXPECT_EQ(config.presence.update_on, PresenceConfig::UpdateOn::kData);
  EXPECT_EQ(config.presence.leave_after_misses, 1);
  EXPECT_EQ(config.presence.initial_snapshot, PresenceConfig::InitialSnapshot::kBaseline);
  EXPECT_EQ(config.presence.mode, PresenceConfig::Mode::kSnapshot);
  EXPECT_EQ(config.presence.reconcile_every, 20);
  EXPECT_FALSE(config.presence.client_events);
  EXPECT_FALSE(config.output.stdout_events);
  EXPECT_EQ(config.state.dir, "/var/lib/presenced");
  EXPECT_EQ(config.http.listen, "0.0.0.0:9847");
  EXPECT_EQ(config.http.host, "0.0.0.0");
  EXPECT_EQ(config.http.port, 9847);
  EXPECT_FALSE(config.http.lifecycle);
  EXPECT_FALSE(config.http.status_members);
  EXPECT_TRUE(config.metrics.per_channel);
  EXPECT_TRUE(config.webhooks.empty());
  EXPECT_EQ(config.log.level, "info");
  EXPECT_EQ(config.log.format, "text");
}

TEST(ParseConfigTest, NullValuesAndSectionsKeepTheirDefaults) {
  Config config = MustParse(
      "ably:\npoll:\n  interval: ~\nchannels: [a]\ndiscovery:\n  prefixes:\n"
      "webhooks:\n  - name: w\n    url: http://h/\n    channels:\n    batch:\n");
  EXPECT_EQ(config.poll.interval, Duration(15'000));
  EXPECT_EQ(config.ably.fallback_hosts.size(), 5u);
  ASSERT_EQ(config.webhooks.size(), 1u);
  EXPECT_EQ(config.webhooks[0].channels, std::vector<std::string>{"*"});
  EXPECT_EQ(config.webhooks[0].batch_max_events, 100);
}

constexpr const char* kFullConfig = R"(ably:
  key_env: MY_KEY
  key_file: ""
  token_env: ""
  endpoint: http://127.0.0.1:8080/
  fallback_hosts: [fb1.example.com, fb2.example.com]
  request_timeout: 2500ms
  connect_timeout: 1s
  max_channels_per_request: 50
  max_in_flight: 8
  max_requests_per_second: 2.5
  max_response_bytes: 8MiB
  batch_response_bytes: 1MiB
  ca_file: /etc/ssl/extra.pem
poll:
  interval: 100ms
channels:
  - chat:lobby
  - "room,with,commas"
discovery:
  prefixes: ["room:", "game:"]
  interval: 5m
presence:
  update_on: any
  leave_after_misses: 3
  initial_snapshot: present
  mode: history
  reconcile_every: 5
  client_events: true
output:
  stdout: true
state:
  dir: /tmp/presenced-state
http:
  listen: "[::1]:0"
  lifecycle: true
  status_members: true
metrics:
  per_channel: false
webhooks:
  - name: main
    url: https://hooks.example.com/presence
    format: events
    secret_env: HOOK_SECRET
    channels: ["chat:*", "room:?"]
    actions: [enter, leave, online, offline]
    headers: {Authorization: Bearer hook-token, X-Team: presence}
    batch: {max_events: 500, max_delay: 250ms}
    timeout: 30s
    retry: {initial_backoff: 2s, max_backoff: 1m, give_up_after: 24h}
    sync_every: 10m
  - name: crm_2
    url: http://crm.internal:8000/hook
log:
  level: debug
  format: json
)";

TEST(ParseConfigTest, HistoryLagAndRetentionDefaultAndBoundThePollInterval) {
  Config config = MustParse("channels: [a]\n");
  EXPECT_EQ(config.presence.history_lag, Duration(5'000));
  EXPECT_EQ(config.presence.history_retention, Duration(120'000));
  // Persisted presence history keeps 24 h: a minute between polls is then fine.
  config = MustParse(
      "channels: [a]\npoll: {interval: 60s}\npresence:\n  mode: history\n  history_lag: 3s\n"
      "  history_retention: 24h\n");
  EXPECT_EQ(config.presence.history_lag, Duration(3'000));
  EXPECT_EQ(config.presence.history_retention, Duration(24 * 3'600'000));
  // (2m − 5s) / 2 = 57.5s is the longest interval that keeps every read inside 2 minutes.
  EXPECT_TRUE(ParseConfig("channels: [a]\npoll: {interval: 57500ms}\npresence: {mode: history}\n",
                          "p.yaml", KeyEnv())
                  .ok());
  EXPECT_FALSE(ParseConfig("channels: [a]\npoll: {interval: 57501ms}\npresence: {mode: history}\n",
                           "p.yaml", KeyEnv())
                   .ok());
  // Snapshot mode reads no history: any interval.
  EXPECT_TRUE(ParseConfig("channels: [a]\npoll: {interval: 5m}\n", "p.yaml", KeyEnv()).ok());
}

TEST(ParseConfigTest, FullConfigSetsEveryKey) {
  Config config =
      MustParse(kFullConfig, FakeEnv({{"MY_KEY", "app.key:secret"},
                                      {"HOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}));
  const AblyConfig& ably = config.ably;
  EXPECT_EQ(ably.key_env, "MY_KEY");
  EXPECT_EQ(ably.credential.Reveal(), "app.key:secret");
  EXPECT_EQ(ably.endpoint, "http://127.0.0.1:8080");
  EXPECT_EQ(ably.fallback_hosts, (std::vector<std::string>{"fb1.example.com", "fb2.example.com"}));
  EXPECT_EQ(ably.request_timeout, Duration(2500));
  EXPECT_EQ(ably.connect_timeout, Duration(1000));
  EXPECT_EQ(ably.max_channels_per_request, 50);
  EXPECT_EQ(ably.max_in_flight, 8);
  EXPECT_DOUBLE_EQ(ably.max_requests_per_second, 2.5);
  EXPECT_EQ(ably.max_response_bytes, 8ull << 20);
  EXPECT_EQ(ably.batch_response_bytes, 1ull << 20);
  EXPECT_EQ(ably.ca_file, "/etc/ssl/extra.pem");
  EXPECT_EQ(config.poll.interval, Duration(100));
  EXPECT_EQ(config.channels, (std::vector<std::string>{"chat:lobby", "room,with,commas"}));
  EXPECT_EQ(config.discovery.prefixes, (std::vector<std::string>{"room:", "game:"}));
  EXPECT_EQ(config.discovery.interval, Duration(300'000));
  EXPECT_EQ(config.presence.update_on, PresenceConfig::UpdateOn::kAny);
  EXPECT_EQ(config.presence.leave_after_misses, 3);
  EXPECT_EQ(config.presence.initial_snapshot, PresenceConfig::InitialSnapshot::kPresent);
  EXPECT_EQ(config.presence.mode, PresenceConfig::Mode::kHistory);
  EXPECT_EQ(config.presence.reconcile_every, 5);
  EXPECT_TRUE(config.presence.client_events);
  EXPECT_TRUE(config.output.stdout_events);
  EXPECT_EQ(config.state.dir, "/tmp/presenced-state");
  EXPECT_EQ(config.http.listen, "[::1]:0");
  EXPECT_EQ(config.http.host, "::1");
  EXPECT_EQ(config.http.port, 0);
  EXPECT_TRUE(config.http.lifecycle);
  EXPECT_TRUE(config.http.status_members);
  EXPECT_FALSE(config.metrics.per_channel);
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.log.format, "json");

  ASSERT_EQ(config.webhooks.size(), 2u);
  const WebhookConfig& main = config.webhooks[0];
  EXPECT_EQ(main.name, "main");
  EXPECT_EQ(main.url, "https://hooks.example.com/presence");
  EXPECT_EQ(main.format, WebhookConfig::Format::kEvents);
  EXPECT_EQ(main.secret_env, "HOOK_SECRET");
  EXPECT_EQ(main.secret.Reveal(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(main.channels, (std::vector<std::string>{"chat:*", "room:?"}));
  EXPECT_EQ(main.actions, (std::vector<Action>{Action::kEnter, Action::kLeave, Action::kOnline,
                                               Action::kOffline}));
  EXPECT_EQ(main.headers, (std::map<std::string, std::string>{
                              {"Authorization", "Bearer hook-token"}, {"X-Team", "presence"}}));
  EXPECT_EQ(main.batch_max_events, 500);
  EXPECT_EQ(main.batch_max_delay, Duration(250));
  EXPECT_EQ(main.timeout, Duration(30'000));
  EXPECT_EQ(main.retry_initial_backoff, Duration(2'000));
  EXPECT_EQ(main.retry_max_backoff, Duration(60'000));
  EXPECT_EQ(main.retry_give_up_after, Duration(86'400'000));
  EXPECT_EQ(main.sync_every, Duration(600'000));

  const WebhookConfig& crm = config.webhooks[1];  // every default
  EXPECT_EQ(crm.name, "crm_2");
  EXPECT_EQ(crm.format, WebhookConfig::Format::kAbly);
  EXPECT_TRUE(crm.secret.empty());
  EXPECT_EQ(crm.channels, std::vector<std::string>{"*"});
  EXPECT_EQ(crm.actions, (std::vector<Action>{Action::kEnter, Action::kLeave, Action::kUpdate,
                                              Action::kPresent}));
  EXPECT_TRUE(crm.headers.empty());
  EXPECT_EQ(crm.batch_max_events, 100);
  EXPECT_EQ(crm.batch_max_delay, Duration(1'000));
  EXPECT_EQ(crm.timeout, Duration(10'000));
  EXPECT_EQ(crm.retry_initial_backoff, Duration(1'000));
  EXPECT_EQ(crm.retry_max_backoff, Duration(600'000));
  EXPECT_EQ(crm.retry_give_up_after, Duration(259'200'000));
}

TEST(ParseConfigTest, FallbackHostRules) {
  // Default endpoint, key absent: Ably's five.
  EXPECT_EQ(MustParse("channels: [a]\n").ably.fallback_hosts,
            (std::vector<std::string>{
                "main.a.fallback.ably-realtime.com", "main.b.fallback.ably-realtime.com",
                "main.c.fallback.ably-realtime.com", "main.d.fallback.ably-realtime.com",
                "main.e.fallback.ably-realtime.com"}));
  // The default endpoint written out (trailing slash included) is still the default.
  EXPECT_EQ(MustParse("ably: {endpoint: 'https://main.realtime.ably.net/'}\nchannels: [a]\n")
                .ably.fallback_hosts.size(),
            5u);
  // Explicit endpoint: none.
  EXPECT_TRUE(MustParse("ably: {endpoint: 'http://localhost:1234'}\nchannels: [a]\n")
                  .ably.fallback_hosts.empty());
  // Explicit list: as given, with either endpoint. [] only with an explicit endpoint (with the
  // default one it is an error: see invalid-fallback-hosts-empty-default-endpoint.yaml).
  EXPECT_EQ(MustParse("ably: {endpoint: 'http://localhost:1234', fallback_hosts: [x.example]}\n"
                      "channels: [a]\n")
                .ably.fallback_hosts,
            std::vector<std::string>{"x.example"});
  EXPECT_TRUE(MustParse("ably: {endpoint: 'http://localhost:1234', fallback_hosts: []}\n"
                        "channels: [a]\n")
                  .ably.fallback_hosts.empty());
  EXPECT_EQ(MustParse("ably: {fallback_hosts: ~}\nchannels: [a]\n").ably.fallback_hosts.size(), 5u);
}

TEST(ParseConfigTest, DiscoveryAloneIsEnough) {
  Config config = MustParse("discovery: {prefixes: ['room:']}\n");
  EXPECT_TRUE(config.channels.empty());
  EXPECT_EQ(config.discovery.prefixes, std::vector<std::string>{"room:"});
}

TEST(ParseConfigTest, EmptyFileNeedsChannels) {
  EXPECT_EQ(MustFail(""),
            "channels: at least one channel or one discovery prefix is required (line 1)");
}

TEST(ParseConfigTest, AnchorsAndAliasesWork) {
  Config config = MustParse(
      "channels: &names [a, b]\nwebhooks:\n  - {name: w, url: 'http://h', channels: *names}\n");
  EXPECT_EQ(config.webhooks[0].channels, (std::vector<std::string>{"a", "b"}));
}

// One document, read without YAML::LoadAll (which loops forever on the first of these in
// yaml-cpp 0.7); anything after it is an error with its line, in process as in LoadConfigFile.
TEST(ParseConfigTest, OneDocumentAndNothingAfterIt) {
  EXPECT_EQ(MustFail(",hannels: []pri\n"), "syntax error: unexpected ',' (line 1)");
  EXPECT_EQ(MustFail(","), "syntax error: unexpected ',' (line 1)");
  EXPECT_EQ(MustFail("channels: [a]\n---\nchannels: [b]\n"),
            "(top level): only one YAML document is allowed (line 3)");
  EXPECT_EQ(MustFail("channels: [a]\n...\nchannels: [b]\n"),
            "(top level): only one YAML document is allowed (line 3)");
  EXPECT_EQ(MustFail("channels: [a]\n---\n"),
            "(top level): only one YAML document is allowed (line 3)");
  EXPECT_EQ(MustParse("---\nchannels: [a]\n...\n").channels, std::vector<std::string>{"a"});
  EXPECT_EQ(MustParse("# only a comment\nchannels: [a]\n# and another\n").channels,
            std::vector<std::string>{"a"});
}

TEST(ParseConfigBoundedTest, GivesWhatParseConfigGives) {
  Result<Config> config = ParseConfigBounded("channels: [a]\n", "test.yaml", KeyEnv());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->channels, std::vector<std::string>{"a"});
  EXPECT_EQ(config->ably.credential.Reveal(), kTestKey);
  Result<Config> bad = ParseConfigBounded("channels: [a]\npoll: {interval: x}\n", "t", KeyEnv());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "poll.interval: must be a duration like 500ms, 15s, 5m or 24h (line 2)");
}

TEST(LoadConfigFileTest, AFileLargerThanFourMiBIsRefused) {
  presenced::testing::TempDir dir;
  const std::string path = dir.WriteFile("big.yaml", std::string((4 << 20) + 1, '#'));
  Result<Config> config = LoadConfigFile(path, KeyEnv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message, "cannot read " + path + ": larger than 4 MiB");
}

TEST(LoadConfigFileTest, MissingFileNamesThePath) {
  Result<Config> config = LoadConfigFile("/nonexistent/presenced.yaml", KeyEnv());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            "cannot read /nonexistent/presenced.yaml: No such file or directory");
}

TEST(LoadConfigFileTest, ReadsAndParses) {
  presenced::testing::TempDir dir;
  const std::string path = dir.WriteFile("p.yaml", "channels: [x]\n");
  Result<Config> config = LoadConfigFile(path, KeyEnv());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->path, path);
  EXPECT_EQ(config->channels, std::vector<std::string>{"x"});
}

TEST(LoadConfigFileTest, ExampleFileIsValidAndDocumentsTheDefaults) {
  Result<Config> loaded =
      LoadConfigFile(PRESENCED_SOURCE_DIR "/config/presenced.example.yaml", KeyEnv());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  // Everything except the channel list and the webhook's name and URL is the default.
  Config expected = MustParse(
      "channels: [chat:lobby]\nwebhooks: [{name: main, url: "
      "'https://hooks.example.com/presence'}]\n");
  const Config& example = *loaded;
  EXPECT_EQ(example.ably.endpoint, expected.ably.endpoint);
  EXPECT_EQ(example.ably.fallback_hosts, expected.ably.fallback_hosts);
  EXPECT_EQ(example.ably.max_response_bytes, expected.ably.max_response_bytes);
  EXPECT_EQ(example.ably.batch_response_bytes, expected.ably.batch_response_bytes);
  EXPECT_EQ(example.poll.interval, expected.poll.interval);
  EXPECT_EQ(example.channels, expected.channels);
  EXPECT_EQ(example.discovery.interval, expected.discovery.interval);
  EXPECT_EQ(example.presence.leave_after_misses, expected.presence.leave_after_misses);
  EXPECT_EQ(example.presence.mode, expected.presence.mode);
  EXPECT_EQ(example.presence.reconcile_every, expected.presence.reconcile_every);
  EXPECT_EQ(example.presence.client_events, expected.presence.client_events);
  EXPECT_EQ(example.presence.history_lag, expected.presence.history_lag);
  EXPECT_EQ(example.presence.history_retention, expected.presence.history_retention);
  EXPECT_EQ(example.state.dir, expected.state.dir);
  EXPECT_EQ(example.http.listen, expected.http.listen);
  EXPECT_EQ(example.http.lifecycle, expected.http.lifecycle);
  EXPECT_EQ(example.http.status_members, expected.http.status_members);
  EXPECT_EQ(example.metrics.per_channel, expected.metrics.per_channel);
  ASSERT_EQ(example.webhooks.size(), 1u);
  EXPECT_EQ(example.webhooks[0].actions, expected.webhooks[0].actions);
  EXPECT_EQ(example.webhooks[0].retry_give_up_after, expected.webhooks[0].retry_give_up_after);
  EXPECT_EQ(example.webhooks[0].sync_every, expected.webhooks[0].sync_every);
  EXPECT_EQ(example.log.level, expected.log.level);
}

// True for "<path>: <what> (line N)" on one line, N >= 1.
bool IsWellFormedError(const std::string& message) {
  const size_t open = message.rfind(" (line ");
  if (open == std::string::npos || message.find('\n') != std::string::npos) return false;
  if (message.find(": ") == std::string::npos || message.find(": ") > open) return false;
  const std::string number = message.substr(open + 7, message.size() - open - 8);
  return message.back() == ')' && !number.empty() && number[0] != '0' &&
         number.find_first_not_of("0123456789") == std::string::npos;
}

// Every prefix of the example file either parses or fails with one `<path>: <what> (line N)` line:
// no exception escapes and no message loses its shape, whatever the cut leaves behind.
TEST(ParseConfigTest, EveryTruncationOfTheExampleGivesAWellFormedResult) {
  const std::string example =
      presenced::testing::ReadFile(PRESENCED_SOURCE_DIR "/config/presenced.example.yaml");
  ASSERT_FALSE(example.empty());
  for (size_t length = 0; length <= example.size(); ++length) {
    Result<Config> config = ParseConfig(example.substr(0, length), "example", KeyEnv());
    if (!config.ok()) {
      EXPECT_TRUE(IsWellFormedError(config.error().message))
          << "cut at " << length << ": " << config.error().message;
    }
  }
}

}  // namespace
}  // namespace presenced

namespace presenced {
namespace {

TEST(ParseConfigShardTest, DefaultIsOneShardAndAutoReadsTheHostnameOrdinal) {
  const Config single = testing::MustParse("channels: [a]\n");
  EXPECT_EQ(single.shard.count, 1);
  EXPECT_EQ(single.shard.index, 0);
  const Config numbered = testing::MustParse("channels: [a]\nshard: {count: 3, index: 2}\n");
  EXPECT_EQ(numbered.shard.index, 2);
  EXPECT_FALSE(numbered.shard.index_auto);
  const Config pod = testing::MustParse(
      "channels: [a]\nshard: {count: 3, index: auto}\n",
      testing::FakeEnv({{"ABLY_API_KEY", testing::kTestKey}, {"HOSTNAME", "presenced-1"}}));
  EXPECT_EQ(pod.shard.index, 1);
  EXPECT_TRUE(pod.shard.index_auto);
  EXPECT_EQ(testing::MustFail("channels: [a]\nshard: {count: 3, index: auto}\n",
                              testing::FakeEnv({{"ABLY_API_KEY", testing::kTestKey},
                                                {"HOSTNAME", "presenced-7"}})),
            "shard.index: must be less than shard.count (3), got 7 (line 2)");
}

}  // namespace
}  // namespace presenced
