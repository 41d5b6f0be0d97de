// One fixture per invalid config (tests/testdata/config/invalid-*.yaml) with its exact message:
// key path, what is wrong and the line, as the user sees it from --check-config.

#include <dirent.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config/config_loader.h"
#include "config_test_helpers.h"

namespace presenced {
namespace {

struct InvalidCase {
  const char* fixture;  // tests/testdata/config/invalid-<fixture>.yaml
  const char* message;
};

const InvalidCase kInvalidCases[] = {
    {"unknown-top-level", "chanels: unknown key (line 4)"},
    {"unknown-nested", "ably.bogus: unknown key (line 7)"},
    {"unknown-webhook-key", "webhooks[0].retries: unknown key (line 5)"},
    {"duplicate-key", "poll: duplicate key (line 4)"},
    {"poll-interval-not-duration",
     "poll.interval: must be a duration like 500ms, 15s, 5m or 24h (line 3)"},
    {"poll-interval-too-short", "poll.interval: must be at least 100ms (line 3)"},
    {"request-timeout-zero", "ably.request_timeout: must be greater than 0 (line 3)"},
    {"bad-size",
     "ably.max_response_bytes: must be a size like 65536, 512KiB, 64MiB or 1GiB (line 3)"},
    {"bad-endpoint",
     "ably.endpoint: must be an http or https URL without query or fragment (line 3)"},
    {"fallback-hosts-empty-default-endpoint",
     "ably.fallback_hosts: [] would turn off Ably's fallback hosts for the default endpoint; "
     "remove the key (or set it to ~) to use them (line 3)"},
    {"bad-fallback-host", "ably.fallback_hosts[1]: must be a host name without scheme (line 5)"},
    {"webhook-bad-url", "webhooks[1].url: must be an http or https URL (line 14)"},
    {"webhook-url-user-info",
     "webhooks[0].url: must not contain user info (user:password@); put credentials in headers "
     "(line 4)"},
    {"webhook-duplicate-name", "webhooks[2].name: duplicate of webhooks[0].name (line 7)"},
    {"webhook-bad-name", "webhooks[0].name: must match [a-z0-9_-]+ (line 3)"},
    {"webhook-missing-url", "webhooks[0].url: is required (line 3)"},
    {"webhook-bad-action",
     "webhooks[0].actions[1]: must be enter, leave, update, present, online, offline, occupied "
     "or vacated (line 7)"},
    // `sync` is sent by sync_every and POST /-/sync, never selected as an action.
    {"webhook-sync-action",
     "webhooks[0].actions[1]: must be enter, leave, update, present, online, offline, occupied "
     "or vacated (line 5)"},
    {"webhook-sync-every-too-short",
     "webhooks[0].sync_every: must be 0s (never) or at least 1s (line 5)"},
    {"webhook-empty-actions", "webhooks[0].actions: must not be empty (line 5)"},
    {"webhook-bad-format", "webhooks[0].format: must be ably or events (line 5)"},
    {"webhook-reserved-header",
     "webhooks[0].headers.content-type: is set by presenced and cannot be overridden (line 7)"},
    {"webhook-reserved-webhook-header",
     "webhooks[0].headers.Webhook-Id: is set by presenced and cannot be overridden (line 5)"},
    {"webhook-bad-header-name",
     "webhooks[0].headers.X Team: must be a valid HTTP header name (line 6)"},
    {"webhook-missing-secret-env",
     "webhooks[0].secret_env: environment variable MAIN_WEBHOOK_SECRET is not set or empty "
     "(line 5)"},
    {"webhook-batch-max-events",
     "webhooks[0].batch.max_events: must be between 1 and 10000 (line 6)"},
    {"webhook-retry-backoff-order",
     "webhooks[0].retry.max_backoff: must not be shorter than initial_backoff (line 7)"},
    {"webhook-empty-glob", "webhooks[0].channels[1]: must not be empty (line 5)"},
    {"webhook-not-mapping", "webhooks[0]: must be a mapping (line 3)"},
    {"bad-listen-no-port",
     "http.listen: must be host:port like 0.0.0.0:9847 or [::1]:9847 (line 3)"},
    {"bad-listen-port-range",
     "http.listen: must be host:port like 0.0.0.0:9847 or [::1]:9847 (line 3)"},
    {"bad-listen-ipv6-unbracketed",
     "http.listen: must be host:port like 0.0.0.0:9847 or [::1]:9847 (line 3)"},
    {"max-channels-out-of-range",
     "ably.max_channels_per_request: must be between 1 and 100 (line 3)"},
    {"max-in-flight-zero", "ably.max_in_flight: must be between 1 and 64 (line 3)"},
    {"max-rps-negative", "ably.max_requests_per_second: must not be negative (line 3)"},
    {"leave-after-misses-zero", "presence.leave_after_misses: must be at least 1 (line 3)"},
    {"bad-update-on", "presence.update_on: must be data or any (line 3)"},
    {"bad-initial-snapshot", "presence.initial_snapshot: must be baseline or present (line 3)"},
    {"bad-presence-mode", "presence.mode: must be snapshot or history (line 3)"},
    {"reconcile-every-zero", "presence.reconcile_every: must be between 1 and 1000000 (line 3)"},
    {"history-lag-zero", "presence.history_lag: must be greater than 0 (line 3)"},
    // A read sent up to a cycle late must still start inside Ably's retention.
    {"history-interval-past-retention",
     "poll.interval: with presence.mode history, must be at most 57500ms "
     "((presence.history_retention "
     "2m − presence.history_lag 5s) / 2) so that every history read starts inside Ably's retention "
     "(line 3)"},
    {"bad-log-level", "log.level: must be trace, debug, info, warn or error (line 3)"},
    {"bad-log-format", "log.format: must be text or json (line 3)"},
    {"no-channels", "channels: at least one channel or one discovery prefix is required (line 1)"},
    {"no-channels-at-all",
     "channels: at least one channel or one discovery prefix is required (line 1)"},
    {"duplicate-channel", "channels[2]: duplicate of channels[0] (line 4)"},
    {"empty-channel", "channels[1]: must not be empty (line 3)"},
    {"syntax-error", "syntax error: illegal map value (line 4)"},
    {"syntax-unclosed-flow", "syntax error: end of sequence flow not found (line 2)"},
    {"wrong-type-bool", "metrics.per_channel: must be true or false (line 3)"},
    {"wrong-type-quoted-int", "ably.max_in_flight: must be an integer (line 3)"},
    {"wrong-type-section", "poll: must be a mapping (line 2)"},
    {"wrong-type-list", "channels: must be a list (line 1)"},
    {"wrong-type-string", "ably.endpoint: must be a string (line 3)"},
    {"top-level-not-mapping", "(top level): must be a mapping (line 1)"},
    {"two-documents", "(top level): only one YAML document is allowed (line 3)"},
    // yaml-cpp 0.7's LoadAll loops forever, allocating, on a document that starts with `,`.
    {"yaml-cpp-comma-loop", "syntax error: unexpected ',' (line 1)"},
    {"stray-comma-after-document", "syntax error: unexpected ',' (line 2)"},
    {"key-env-holds-value",
     "ably.key_env: must be the name of an environment variable (like ABLY_API_KEY), not a value "
     "(line 3)"},
    {"key-file-missing",
     "ably.key_file: cannot read /nonexistent/ably.key: No such file or directory (line 3)"},
    {"discovery-interval-zero", "discovery.interval: must be greater than 0 (line 3)"},
    {"shard-index-not-below-count",
     "shard.index: must be less than shard.count (3), got 3 (line 4)"},
    {"shard-auto-without-ordinal",
     "shard.index: \"auto\" needs $HOSTNAME to end in a number (like presenced-2), got \"\" "
     "(line 4)"},
    {"shard-count-zero", "shard.count: must be between 1 and 1000 (line 3)"},
    {"kafka-duplicate-name", "kafka[0].name: duplicate of webhooks[0].name (line 6)"},
    {"kafka-missing-topic", "kafka[0].topic: is required (line 3)"},
    {"kafka-bad-topic",
     "kafka[0].topic: must be 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-' (line 5)"},
    {"kafka-bad-brokers",
     "kafka[0].brokers: must be host:port[,host:port…] without spaces (line 4)"},
    {"kafka-bad-key", "kafka[0].key: must be channel or member (line 6)"},
    {"kafka-unknown-property",
     "kafka[0].properties.lingr.ms: librdkafka refuses it: No such configuration property: "
     "\"lingr.ms\" (line 8)"},
    // The value is cut out of librdkafka's message: any property may hold a credential.
    {"kafka-property-value",
     "kafka[0].properties.security.protocol: librdkafka refuses it: Invalid value \"…\" for "
     "configuration property \"security.protocol\" (line 7)"},
    {"kafka-reserved-property",
     "kafka[0].properties.acks: is set by presenced (brokers; idempotent producer, acks=all) and "
     "cannot be overridden (line 7)"},
    {"kafka-property-shape",
     "kafka[0].properties.sasl.password: must be a string, {env: NAME} or {file: PATH} (line 7)"},
    {"kafka-property-env-missing",
     "kafka[0].properties.sasl.password: environment variable KAFKA_PASSWORD is not set or empty "
     "(line 8)"},
    {"kafka-sync-action",
     "kafka[0].actions[1]: must be enter, leave, update, present, online, offline, occupied or "
     "vacated (line 6)"},
    {"kafka-unknown-key", "kafka[0].batch: unknown key (line 6)"},
    {"kafka-give-up-zero", "kafka[0].retry.give_up_after: must be greater than 0 (line 6)"},
    {"discovery-duplicate-prefix",
     "discovery.prefixes[2]: duplicate of discovery.prefixes[0] (line 2)"},
};

std::string FixturePath(const std::string& fixture) {
  return std::string(PRESENCED_TESTDATA) + "/config/invalid-" + fixture + ".yaml";
}

class InvalidConfigTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidConfigTest, FailsWithTheExactMessage) {
  const InvalidCase& c = GetParam();
  Result<Config> config = LoadConfigFile(FixturePath(c.fixture), testing::KeyEnv());
  ASSERT_FALSE(config.ok()) << c.fixture << " parsed";
  EXPECT_EQ(config.error().message, c.message);
  EXPECT_EQ(config.error().message.find('\n'), std::string::npos);
  EXPECT_EQ(config.error().message.find(testing::kTestKeySecret), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, InvalidConfigTest, ::testing::ValuesIn(kInvalidCases),
                         [](const ::testing::TestParamInfo<InvalidCase>& info) {
                           std::string name = info.param.fixture;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

// Every fixture on disk is in the table, so none is silently left untested.
TEST(InvalidConfigFixturesTest, EveryFixtureHasAnExpectedMessage) {
  std::set<std::string> listed;
  for (const InvalidCase& c : kInvalidCases) listed.insert(c.fixture);
  const std::string dir = std::string(PRESENCED_TESTDATA) + "/config";
  DIR* handle = ::opendir(dir.c_str());
  ASSERT_NE(handle, nullptr) << dir;
  int fixtures = 0;
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    if (!name.starts_with("invalid-") || !name.ends_with(".yaml")) continue;
    ++fixtures;
    const std::string fixture = name.substr(8, name.size() - 8 - 5);
    EXPECT_TRUE(listed.contains(fixture)) << name << " has no expected message";
  }
  ::closedir(handle);
  EXPECT_EQ(fixtures, static_cast<int>(std::size(kInvalidCases)));
}

}  // namespace
}  // namespace presenced
