// Values the config file names instead of holding (CONTRACT §3): header values from {env: NAME}
// or {file: PATH}, webhooks[].secret_file, relative *_file paths in $CREDENTIALS_DIRECTORY, the
// proxy (proxy.url or the environment as curl reads it), http.tls and http.basic_auth_users,
// and --check-config's warnings for credentials a shell does not have.

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "config_test_helpers.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using testing::FakeEnv;
using testing::kTestKey;
using testing::kTestKeySecret;
using testing::MustFail;
using testing::MustParse;
using testing::TempDir;

constexpr const char* kHookToken = "xoxb-hook-T0K3N";
// A bcrypt hash of "test" (cost 10).
constexpr const char* kHash = "$2y$10$r0xJ4tn5qSt6bZjJ2L1RCu.6kviq7uXb76iKInx6YOTiZ8gDP/Fyq";

TEST(ConfigHeaderSourcesTest, StringEnvOrFile) {
  TempDir dir;
  const std::string token_file = dir.WriteFile("crm-token", std::string(kHookToken) + "\n");
  const std::string yaml =
      "channels: [a]\nably:\n  auth_url: https://auth.example.com/token\n"
      "  auth_headers: {X-Api-Key: {env: AUTH_KEY}}\n"
      "webhooks:\n  - name: w\n    url: https://hooks.example.com/x\n"
      "    headers:\n      X-Team: presence\n      Authorization: {env: HOOK_AUTH}\n"
      "      X-Token: {file: '" +
      token_file + "'}\n";
  Config config = MustParse(yaml, FakeEnv({{"AUTH_KEY", "auth-k3y"}, {"HOOK_AUTH", "Bearer b"}}));
  EXPECT_EQ(config.ably.auth_headers,
            (std::map<std::string, std::string>{{"X-Api-Key", "auth-k3y"}}));
  EXPECT_EQ(config.webhooks[0].headers,
            (std::map<std::string, std::string>{
                {"Authorization", "Bearer b"}, {"X-Team", "presence"}, {"X-Token", kHookToken}}));
}

TEST(ConfigHeaderSourcesTest, ErrorsNameTheSourceNeverTheValue) {
  TempDir dir;
  const std::string bad_file = dir.WriteFile("bad", std::string("a\x01") + kTestKeySecret + "\n");
  const std::string hook =
      "channels: [a]\nwebhooks:\n  - name: w\n    url: http://h\n    headers:\n";
  struct Case {
    std::string yaml;
    std::map<std::string, std::string> env;
    std::string expected;
  };
  const Case cases[] = {
      {hook + "      X-K: {env: UNSET}\n",
       {},
       "webhooks[0].headers.X-K: environment variable UNSET is not set or empty (line 6)"},
      {hook + "      X-K: {env: BAD}\n",
       {{"BAD", std::string("a\x01") + kTestKeySecret}},
       "webhooks[0].headers.X-K: environment variable BAD holds control characters (line 6)"},
      {hook + "      X-K: {file: '" + bad_file + "'}\n",
       {},
       "webhooks[0].headers.X-K: " + bad_file + " holds control characters (line 6)"},
      {hook + "      X-K: {file: /nonexistent/token}\n",
       {},
       "webhooks[0].headers.X-K: cannot read /nonexistent/token: No such file or directory "
       "(line 6)"},
      {hook + "      X-K: {env: A, file: b}\n",
       {},
       "webhooks[0].headers.X-K: must be a string, {env: NAME} or {file: PATH} (line 6)"},
      {hook + "      X-K: {secret: x}\n",
       {},
       "webhooks[0].headers.X-K.secret: unknown key (line 6)"},
      {hook + "      X-K: [a]\n",
       {},
       "webhooks[0].headers.X-K: must be a string, {env: NAME} or {file: PATH} (line 6)"},
      {hook + "      X-K: {env: " + std::string(kTestKeySecret) + "}\n",
       {},
       "webhooks[0].headers.X-K.env: must be the name of an environment variable (like "
       "ABLY_API_KEY), not a value (line 6)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    auto env = c.env;
    env["ABLY_API_KEY"] = kTestKey;
    const std::string message = MustFail(c.yaml, FakeEnv(env));
    EXPECT_EQ(message, c.expected);
    EXPECT_EQ(message.find(kTestKeySecret), std::string::npos);
  }
}

TEST(ConfigWebhookSecretTest, FromAFileOrTheEnvironmentNotBoth) {
  TempDir dir;
  const std::string file = dir.WriteFile("hook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n");
  const std::string hook = "channels: [a]\nwebhooks:\n  - name: w\n    url: http://h\n";
  EXPECT_EQ(MustParse(hook + "    secret_file: '" + file + "'\n").webhooks[0].secret.Reveal(),
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  EXPECT_EQ(MustFail(hook + "    secret_env: S\n    secret_file: f\n",
                     FakeEnv({{"ABLY_API_KEY", kTestKey}, {"S", "x"}})),
            "webhooks[0].secret_file: set secret_env or secret_file, not both (line 6)");
  const std::string bad = dir.WriteFile("bad", std::string("whsec_") + kTestKeySecret + "!");
  const std::string message = MustFail(hook + "    secret_file: '" + bad + "'\n");
  EXPECT_EQ(message, "webhooks[0].secret_file: " + bad +
                         " holds a whsec_ secret that is not valid base64 (line 5)");
  EXPECT_EQ(message.find(kTestKeySecret), std::string::npos);
}

// systemd's LoadCredential=NAME:PATH puts the file in $CREDENTIALS_DIRECTORY/NAME.
TEST(ConfigCredentialsDirectoryTest, RelativeFilePathsAreReadFromIt) {
  TempDir credentials;
  credentials.WriteFile("ably-key", std::string(kTestKey) + "\n");
  credentials.WriteFile("hook-secret", "raw-hook-secret\n");
  credentials.WriteFile("hook-token", std::string(kHookToken) + "\n");
  credentials.WriteFile("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string yaml =
      "channels: [a]\nably: {key_file: ably-key, ca_file: ca.pem}\n"
      "webhooks:\n  - name: w\n    url: http://h\n    secret_file: hook-secret\n"
      "    headers: {Authorization: {file: hook-token}}\n";
  Config config = MustParse(yaml, FakeEnv({{"CREDENTIALS_DIRECTORY", credentials.path()}}));
  EXPECT_EQ(config.ably.credential.Reveal(), kTestKey);
  EXPECT_EQ(config.ably.key_file, credentials.path() + "/ably-key");
  EXPECT_EQ(config.ably.ca_file, credentials.path() + "/ca.pem");
  EXPECT_EQ(config.webhooks[0].secret.Reveal(), "raw-hook-secret");
  EXPECT_EQ(config.webhooks[0].headers.at("Authorization"), kHookToken);

  // An absolute path is read where it says; without $CREDENTIALS_DIRECTORY a relative path is
  // relative to the working directory (where none of these files is).
  const std::string absolute = credentials.path() + "/ably-key";
  EXPECT_EQ(MustParse("channels: [a]\nably: {key_file: '" + absolute + "'}\n",
                      FakeEnv({{"CREDENTIALS_DIRECTORY", "/nonexistent"}}))
                .ably.credential.Reveal(),
            kTestKey);
  EXPECT_EQ(MustFail("channels: [a]\nably: {key_file: ably-key}\n", FakeEnv({})),
            "ably.key_file: cannot read ably-key: No such file or directory (line 2)");
}

TEST(ConfigCheckWarningsTest, MissingCredentialsWarnAndTheRestIsStillChecked) {
  const std::string yaml =
      "channels: [a]\nwebhooks:\n  - name: w\n    url: http://h\n    secret_env: HOOK_SECRET\n"
      "    headers: {Authorization: {env: HOOK_AUTH}, X-Key: {file: key}}\n";
  const ParseOptions warn{.missing_credentials_warn = true};
  Result<Config> config = ParseConfig(yaml, "p.yaml", FakeEnv({}), warn);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->warnings,
            (std::vector<std::string>{
                "webhooks[0].headers.Authorization: environment variable HOOK_AUTH is not set or "
                "empty (line 6)",
                "webhooks[0].headers.X-Key: cannot read key: No such file or directory (line 6)",
                "no credentials: set ABLY_API_KEY (ably.key_env), ably.key_file, ably.token_env, "
                "ably.token_file or ably.auth_url",
                "webhooks[0].secret_env: environment variable HOOK_SECRET is not set or empty "
                "(line 5)"}));
  // Anything else is still an error.
  Result<Config> invalid = ParseConfig(yaml + "poll: {interval: 1}\n", "p.yaml", FakeEnv({}), warn);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().message,
            "poll.interval: must be a duration like 500ms, 15s, 5m or 24h (line 7)");
  // And a credential that is there but malformed is an error, not a warning.
  EXPECT_FALSE(ParseConfig(yaml, "p.yaml", FakeEnv({{"ABLY_API_KEY", "not-a-key"}}), warn).ok());
  // Without the option (the daemon, a reload) a missing credential is an error.
  EXPECT_FALSE(ParseConfig(yaml, "p.yaml", FakeEnv({})).ok());
}

TEST(ConfigProxyTest, FromTheFileOrTheEnvironmentAsCurl) {
  const std::string none = "channels: [a]\n";
  Config direct = MustParse(none);
  EXPECT_EQ(direct.proxy.https_proxy, "");
  EXPECT_EQ(direct.proxy.http_proxy, "");

  auto env = FakeEnv({{"ABLY_API_KEY", kTestKey},
                      {"HTTPS_PROXY", "proxy.corp:3128"},
                      {"http_proxy", "http://plain.corp:8080/"},
                      {"HTTP_PROXY", "http://ignored:1"},
                      {"NO_PROXY", "internal.corp,10.0.0.0/8"}});
  Config from_env = MustParse(none, env);
  EXPECT_EQ(from_env.proxy.https_proxy, "http://proxy.corp:3128");
  EXPECT_EQ(from_env.proxy.http_proxy, "http://plain.corp:8080");  // lower case first
  EXPECT_EQ(from_env.proxy.bypass, "internal.corp,10.0.0.0/8");

  Config all = MustParse(none, FakeEnv({{"ABLY_API_KEY", kTestKey}, {"ALL_PROXY", "p:1"}}));
  EXPECT_EQ(all.proxy.https_proxy, "http://p:1");
  EXPECT_EQ(all.proxy.http_proxy, "http://p:1");

  // proxy.url replaces the environment, for both schemes.
  Config from_file = MustParse(
      none + "proxy: {url: 'http://u:pw@file.corp:3128', no_proxy: '.example.com'}\n", env);
  EXPECT_EQ(from_file.proxy.https_proxy, "http://u:pw@file.corp:3128");
  EXPECT_EQ(from_file.proxy.http_proxy, "http://u:pw@file.corp:3128");
  EXPECT_EQ(from_file.proxy.bypass, ".example.com");

  EXPECT_EQ(MustFail(none + "proxy: {url: 'https://u:hunter2@p:1'}\n"),
            "proxy.url: must be an http:// proxy URL like http://proxy.example.com:3128 (line 2)");
  const std::string message = MustFail(
      none, FakeEnv({{"ABLY_API_KEY", kTestKey}, {"HTTPS_PROXY", "socks5://u:hunter2@p"}}));
  EXPECT_EQ(message,
            "environment variable HTTPS_PROXY is not an http:// proxy URL like "
            "http://proxy:3128");
}

TEST(ConfigHttpSecurityTest, TlsFilesAndBasicAuthUsers) {
  TempDir dir;
  const std::string cert = dir.WriteFile("cert.pem", "cert");
  const std::string key = dir.WriteFile("key.pem", "key");
  Config config = MustParse("channels: [a]\nhttp:\n  tls: {cert_file: '" + cert + "', key_file: '" +
                            key + "', client_ca_file: '" + cert +
                            "'}\n  basic_auth_users:\n    prometheus: '" + kHash + "'\n");
  EXPECT_EQ(config.http.tls.cert_file, cert);
  EXPECT_EQ(config.http.tls.key_file, key);
  EXPECT_EQ(config.http.tls.client_ca_file, cert);
  EXPECT_EQ(config.http.basic_auth_users,
            (std::map<std::string, std::string>{{"prometheus", kHash}}));

  const std::string http = "channels: [a]\nhttp:\n";
  EXPECT_EQ(MustFail(http + "  tls: {cert_file: '" + cert + "'}\n"),
            "http.tls.key_file: is required with cert_file (line 3)");
  EXPECT_EQ(MustFail(http + "  tls: {client_ca_file: '" + cert + "'}\n"),
            "http.tls.client_ca_file: needs cert_file and key_file (mutual TLS is TLS first) "
            "(line 3)");
  EXPECT_EQ(MustFail(http + "  tls: {cert_file: /nonexistent/c, key_file: '" + key + "'}\n"),
            "http.tls.cert_file: cannot read /nonexistent/c: No such file or directory (line 3)");
  EXPECT_EQ(MustFail(http + "  basic_auth_users: {prometheus: plain-password}\n"),
            "http.basic_auth_users.prometheus: must be a bcrypt hash ($2b$..., 60 characters), as "
            "`htpasswd -nBC 10 USER` prints after the colon (line 3)");
  EXPECT_EQ(MustFail(http + "  basic_auth_users: {'a:b': '" + kHash + "'}\n"),
            "http.basic_auth_users.a:b: must be a user name without ':' or control characters "
            "(line 3)");
}

TEST(ConfigMetricsTest, PerChannelIsExplicitOnlyWhenWritten) {
  EXPECT_FALSE(MustParse("channels: [a]\n").metrics.per_channel_explicit);
  EXPECT_TRUE(MustParse("channels: [a]\n").metrics.Labelled(false));
  EXPECT_FALSE(MustParse("channels: [a]\n").metrics.Labelled(true));
  const Config explicit_on = MustParse("channels: [a]\nmetrics: {per_channel: true}\n");
  EXPECT_TRUE(explicit_on.metrics.per_channel_explicit);
  EXPECT_TRUE(explicit_on.metrics.Labelled(true));
  const Config off = MustParse("channels: [a]\nmetrics: {per_channel: false}\n");
  EXPECT_FALSE(off.metrics.Labelled(false));
  EXPECT_FALSE(off.metrics.Labelled(true));
}

}  // namespace
}  // namespace presenced
