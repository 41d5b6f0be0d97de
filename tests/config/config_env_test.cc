// Credentials, secrets and the other values taken from the environment.

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
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

TEST(ConfigCredentialsTest, PrecedenceKeyFileThenTokenThenKeyEnv) {
  presenced::testing::TempDir dir;
  const std::string key_file = dir.WriteFile("key", "fileapp.filekey:filesecret \n\n");
  const std::string yaml =
      "ably: {key_file: '" + key_file + "', token_env: TOKEN}\nchannels: [a]\n";
  const std::string no_file = "ably: {token_env: TOKEN}\nchannels: [a]\n";
  auto env = FakeEnv({{"ABLY_API_KEY", kTestKey}, {"TOKEN", "tok3n"}});

  Config from_file = MustParse(yaml, env);
  EXPECT_EQ(from_file.ably.auth, AblyConfig::Auth::kBasic);
  EXPECT_EQ(from_file.ably.credential.Reveal(), "fileapp.filekey:filesecret");

  Config from_token = MustParse(no_file, env);
  EXPECT_EQ(from_token.ably.auth, AblyConfig::Auth::kBearer);
  EXPECT_EQ(from_token.ably.credential.Reveal(), "tok3n");

  // token_env names an empty variable: fall back to the key.
  Config from_key = MustParse(no_file, FakeEnv({{"ABLY_API_KEY", kTestKey}, {"TOKEN", ""}}));
  EXPECT_EQ(from_key.ably.auth, AblyConfig::Auth::kBasic);
  EXPECT_EQ(from_key.ably.credential.Reveal(), kTestKey);
}

TEST(ConfigCredentialsTest, ErrorsNeverContainTheSecret) {
  presenced::testing::TempDir dir;
  const std::string bad_file = dir.WriteFile("key", std::string(kTestKeySecret) + "\n");
  struct Case {
    std::string yaml;
    std::map<std::string, std::string> env;
    std::string expected;
  };
  const Case cases[] = {
      {"channels: [a]\n",
       {{"ABLY_API_KEY", kTestKeySecret}},
       "environment variable ABLY_API_KEY (the default ably.key_env) does not hold a key of the "
       "form appId.keyId:secret"},
      {"channels: [a]\nably:\n  endpoint: http://localhost:1\n",
       {{"ABLY_API_KEY", kTestKeySecret}},
       "environment variable ABLY_API_KEY (the default ably.key_env) does not hold a key of the "
       "form appId.keyId:secret"},
      {"channels: [a]\nably:\n  key_env: MY_KEY\n",
       {{"MY_KEY", kTestKeySecret}},
       "ably.key_env: MY_KEY does not hold a key of the form appId.keyId:secret (line 3)"},
      {"channels: [a]\nably:\n  key_file: " + bad_file + "\n",
       {},
       "ably.key_file: " + bad_file +
           " does not hold a key of the form appId.keyId:secret (line 3)"},
      {"channels: [a]\nably:\n  key_env: " + std::string(kTestKey) + "\n",
       {},
       "ably.key_env: must be the name of an environment variable (like ABLY_API_KEY), not a "
       "value (line 3)"},
      {"channels: [a]\nably:\n  token_env: T\n",
       {{"T", std::string("tok ") + kTestKeySecret}},
       "ably.token_env: T holds spaces or control characters (line 3)"},
      {"channels: [a]\nwebhooks:\n  - {name: w, url: 'http://h', headers: {X-K: \"a\\n" +
           std::string(kTestKeySecret) + "\"}}\n",
       {{"ABLY_API_KEY", kTestKey}},
       "webhooks[0].headers.X-K: must not contain control characters (line 3)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    const std::string message = MustFail(c.yaml, FakeEnv(c.env));
    EXPECT_EQ(message, c.expected);
    EXPECT_EQ(message.find(kTestKeySecret), std::string::npos);
  }
}

TEST(ConfigCredentialsTest, NoCredentialsNamesEveryWay) {
  EXPECT_EQ(MustFail("channels: [a]\n", FakeEnv({})),
            "no credentials: set ABLY_API_KEY (ably.key_env), ably.key_file, ably.token_env, "
            "ably.token_file or ably.auth_url");
  EXPECT_EQ(MustFail("channels: [a]\nably:\n  key_env: OTHER\n", FakeEnv({{"OTHER", ""}})),
            "ably: no credentials: set OTHER (ably.key_env), ably.key_file, ably.token_env, "
            "ably.token_file or ably.auth_url (line 2)");
}

TEST(ConfigStateDirectoryTest, SystemdStateDirectoryWins) {
  auto env = FakeEnv({{"ABLY_API_KEY", kTestKey}, {"STATE_DIRECTORY", "/var/lib/sd:/var/lib/x"}});
  EXPECT_EQ(MustParse("channels: [a]\nstate: {dir: /srv/p}\n", env).state.dir, "/var/lib/sd");
  EXPECT_EQ(MustParse("channels: [a]\nstate: {dir: /srv/p}\n").state.dir, "/srv/p");
  auto empty = FakeEnv({{"ABLY_API_KEY", kTestKey}, {"STATE_DIRECTORY", ""}});
  EXPECT_EQ(MustParse("channels: [a]\n", empty).state.dir, "/var/lib/presenced");
}

TEST(ConfigWebhookSecretTest, ResolvedFromTheNamedVariable) {
  const std::string yaml =
      "channels: [a]\nwebhooks:\n  - name: w\n    url: http://h\n    secret_env: S\n";
  EXPECT_EQ(MustParse(yaml, FakeEnv({{"ABLY_API_KEY", kTestKey}, {"S", "raw-secret\n"}}))
                .webhooks[0]
                .secret.Reveal(),
            "raw-secret");
  EXPECT_EQ(MustFail(yaml, FakeEnv({{"ABLY_API_KEY", kTestKey}, {"S", ""}})),
            "webhooks[0].secret_env: environment variable S is not set or empty (line 5)");
  const std::string bad = std::string("whsec_") + kTestKeySecret + "!";
  const std::string message = MustFail(yaml, FakeEnv({{"ABLY_API_KEY", kTestKey}, {"S", bad}}));
  EXPECT_EQ(message,
            "webhooks[0].secret_env: S holds a whsec_ secret that is not valid base64 (line 5)");
  EXPECT_EQ(message.find(kTestKeySecret), std::string::npos);
}

TEST(ConfigProcessEnvTest, ReadsTheProcessEnvironment) {
  ::setenv("PRESENCED_CONFIG_TEST_VAR", "value", 1);
  EnvLookup env = ProcessEnv();
  EXPECT_EQ(env("PRESENCED_CONFIG_TEST_VAR"), "value");
  ::unsetenv("PRESENCED_CONFIG_TEST_VAR");
  EXPECT_EQ(env("PRESENCED_CONFIG_TEST_VAR"), std::nullopt);
}

}  // namespace
}  // namespace presenced
