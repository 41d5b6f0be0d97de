// What an operator meets first, on the real binary: secrets kept out of every output, the
// --check-config of a shell without the service's credentials, --version and bad arguments, and
// journald's priority prefixes.

#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <sstream>

#include "common/version.h"
#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "tinyproxy.h"
#include "webhook_receiver.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;

// Runs presenced with `args` and `env` to its exit; returns the exit code (-1: it hung).
int RunPresenced(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env, std::string* out,
                 std::string* err) {
  std::vector<std::string> argv{PRESENCED_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess process(argv, env);
  const std::optional<int> code = process.Wait(seconds(20));
  if (out) *out = process.Stdout();
  if (err) *err = process.Stderr();
  return code.value_or(-1);
}

// bcrypt of "PASSWORD-SECRET-7".
constexpr const char* kUserHash = "$2b$10$fuktzMtrNmxR1mCTJJWQZu5YdnWp7XpFEHOFoSFN2kqySxLmuDGL2";

// Issue 18: no secret value reaches the logs (at debug level), /metrics, /api/v1/status, the
// status page or --check-config's output; webhook URLs show their scheme, host and port only
// (Slack, Discord and Zapier put the token in the path).
TEST(OperatorTest, SecretsNeverReachLogsMetricsStatusOrCheckConfig) {
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  WebhookReceiver receiver;
  receiver.Start();
  TempDir dir;
  const std::string token_file = dir.WriteFile("token", "FILE-HEADER-SECRET-5\n");
  const std::string secret_file = dir.WriteFile("hook-secret", "RAW-SIGNING-SECRET-3\n");
  const std::map<std::string, std::string> secrets_env{{"ABLY_API_KEY", kFakeKey},
                                                       {"HOOK_AUTH", "Bearer ENV-HEADER-SECRET-4"}};
  const std::string config =
      "ably:\n  endpoint: " + fake.BaseUrl() +
      "\npoll:\n  interval: 200ms\nchannels: [c0]\nlog:\n  level: debug\n  format: json\n"
      "proxy: {url: 'http://proxyuser:PROXY-SECRET-6@proxy.invalid:3128', no_proxy: "
      "'127.0.0.1'}\n"
      "webhooks:\n  - name: slack\n    url: '" +
      receiver.Url() + "/services/T000/B000/PATH-SECRET-1?token=QUERY-SECRET-2'\n" +
      "    secret_file: '" + secret_file + "'\n    batch: {max_delay: 50ms}\n" +
      "    retry: {initial_backoff: 50ms, max_backoff: 100ms}\n" +
      "    headers: {Authorization: {env: HOOK_AUTH}, X-Token: {file: '" + token_file + "'}}\n";
  DaemonHarness daemon(dir, config, secrets_env);
  daemon.AddHttpLines("  basic_auth_users: {prometheus: '" + std::string(kUserHash) + "'}\n");
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  const std::map<std::string, std::string> auth{
      {"Authorization", "Basic cHJvbWV0aGV1czpQQVNTV09SRC1TRUNSRVQtNw=="}};  // prometheus:...-7
  const auto get = [&](const std::string& path) { return Get(daemon.port(), path, auth); };
  ASSERT_EQ(get("/metrics").status, 200);
  ASSERT_EQ(Get(daemon.port(), "/metrics").status, 401);

  // Events go out, one delivery fails and is retried (its error is logged and kept as last_error).
  fake.Enter("c0", "bob", "kb", R"("x")");
  receiver.SetStatus(500);
  ASSERT_TRUE(WaitFor([&] { return receiver.Count() >= 2; }));
  receiver.SetStatus(200);
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(get("/metrics").body,
                       R"(presenced_webhook_events_delivered_total{webhook="slack"})")
               .value_or(0) >= 1;
  }));
  const ReceivedWebhook delivered = receiver.Requests().back();
  EXPECT_EQ(delivered.headers.at("authorization"), "Bearer ENV-HEADER-SECRET-4");
  EXPECT_EQ(delivered.headers.at("x-token"), "FILE-HEADER-SECRET-5");
  EXPECT_NE(delivered.headers.at("webhook-signature"), "");

  std::string check_out, check_err;
  auto check_env = secrets_env;
  check_env["INVOCATION_ID"] = "";
  ASSERT_EQ(RunPresenced({"--check-config", "--config", daemon.config_path()}, check_env,
                         &check_out, &check_err),
            0)
      << check_err;
  const std::string status_json = get("/api/v1/status").body;
  const std::string status_page = get("/").body;
  const std::string metrics = get("/metrics").body;
  daemon.process().Signal(SIGTERM);
  ASSERT_TRUE(daemon.process().Wait(seconds(10)).has_value());
  const std::map<std::string, std::string> outputs{
      {"log", daemon.process().Stderr() + daemon.process().Stdout()},
      {"/metrics", metrics},
      {"/api/v1/status", status_json},
      {"/", status_page},
      {"--check-config", check_out + check_err}};
  for (const auto& [where, text] : outputs) {
    for (const char* secret :
         {"fakesecret", "PATH-SECRET-1", "QUERY-SECRET-2", "RAW-SIGNING-SECRET-3",
          "ENV-HEADER-SECRET-4", "FILE-HEADER-SECRET-5", "PROXY-SECRET-6", "PASSWORD-SECRET-7",
          "cHJvbWV0aGV1czpQQVNTV09SRC1TRUNSRVQtNw", "/services/T000"}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << where;
    }
  }
  // The webhook is still named, by scheme, host and port.
  const std::string origin = "http://127.0.0.1:" + std::to_string(receiver.port());
  EXPECT_NE(check_out.find("slack → " + origin + ")"), std::string::npos) << check_out;
  EXPECT_NE(status_json.find(origin), std::string::npos);
  EXPECT_NE(check_out.find("through proxy http://proxy.invalid:3128 (direct: 127.0.0.1)"),
            std::string::npos)
      << check_out;
}

// Run from a shell as the README and the alerts say, --check-config lacks the service's
// credentials (EnvironmentFile=, LoadCredential=): it warns and checks everything else; under
// systemd ($INVOCATION_ID, ExecStartPre and ExecReload) a missing credential fails.
TEST(OperatorTest, CheckConfigWithoutCredentialsWarnsAndChecksTheRest) {
  TempDir dir;
  const std::string path = dir.WriteFile(
      "presenced.yaml",
      "channels: [a]\nwebhooks:\n  - {name: w, url: 'https://h.example/x', secret_env: HOOK}\n");
  const std::map<std::string, std::string> shell{
      {"ABLY_API_KEY", ""}, {"HOOK", ""}, {"INVOCATION_ID", ""}, {"CREDENTIALS_DIRECTORY", ""}};
  std::string out, err;
  EXPECT_EQ(RunPresenced({"--check-config", "--config", path}, shell, &out, &err), 0) << err;
  EXPECT_NE(err.find("presenced: warning: " + path +
                     ": no credentials: set ABLY_API_KEY (ably.key_env), ably.key_file, "
                     "ably.token_env, ably.token_file or ably.auth_url; the service must get it "
                     "from its environment (EnvironmentFile=, LoadCredential=)"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("webhooks[0].secret_env: environment variable HOOK is not set or empty"),
            std::string::npos)
      << err;
  EXPECT_NE(out.find("is valid: 1 channel"), std::string::npos) << out;

  // Everything else is still checked.
  const std::string broken = dir.WriteFile("broken.yaml", "channels: [a]\npoll: {interval: 1}\n");
  EXPECT_EQ(RunPresenced({"--check-config", "--config", broken}, shell, &out, &err), 1);
  EXPECT_NE(err.find("poll.interval"), std::string::npos) << err;

  // The TLS files are loaded: a key that is not the certificate's fails the check.
  const std::string data = std::string(PRESENCED_SOURCE_DIR) + "/tests/web/testdata/";
  const std::string tls =
      dir.WriteFile("tls.yaml", "channels: [a]\nhttp:\n  tls: {cert_file: '" + data +
                                    "server.crt', key_file: '" + data + "client.key'}\n");
  EXPECT_EQ(RunPresenced({"--check-config", "--config", tls}, shell, &out, &err), 1);
  EXPECT_NE(
      err.find("http.tls: " + data + "client.key is not the private key of " + data + "server.crt"),
      std::string::npos)
      << err;

  auto under_systemd = shell;
  under_systemd["INVOCATION_ID"] = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(RunPresenced({"--check-config", "--config", path}, under_systemd, &out, &err), 1);
  EXPECT_NE(err.find("webhooks[0].secret_env: environment variable HOOK is not set or empty"),
            std::string::npos)
      << err;
}

TEST(OperatorTest, VersionNamesTheRevisionAndABadArgumentIsNamed) {
  std::string out, err;
  EXPECT_EQ(RunPresenced({"--version"}, {}, &out, &err), 0);
  EXPECT_EQ(out, std::string("presenced ") + kVersion + " (" + kRevision + ")\n");
  EXPECT_NE(std::string(kRevision), "");

  EXPECT_EQ(RunPresenced({"--confg", "x.yaml"}, {}, &out, &err), 2);
  EXPECT_EQ(err.rfind("presenced: unknown argument --confg\nusage: presenced", 0), 0u) << err;
  EXPECT_EQ(RunPresenced({"--once", "--version"}, {}, &out, &err), 2);
  EXPECT_EQ(err.rfind("presenced: --version cannot be combined with --once\n", 0), 0u) << err;
  EXPECT_EQ(RunPresenced({"--replay-dead-letters"}, {}, &out, &err), 2);
  EXPECT_EQ(err.rfind("presenced: --replay-dead-letters needs a webhook NAME\n", 0), 0u) << err;
}

// Under systemd, stderr is journald's stream ($JOURNAL_STREAM = its device:inode): every line
// starts with its syslog priority and carries no timestamp of its own.
TEST(OperatorTest, UnderJournaldEveryLineStartsWithItsPriority) {
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  TempDir dir;
  const std::string path =
      dir.WriteFile("presenced.yaml", "ably: {endpoint: '" + fake.BaseUrl() +
                                          "'}\nchannels: [a]\nstate: {dir: '" + dir.path() +
                                          "/state'}\nhttp: {listen: '127.0.0.1:0'}\n"
                                          "webhooks: [{name: w, url: 'http://127.0.0.1:1/x'}]\n");
  ChildProcess process(
      {"/bin/sh", "-c",
       "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" --config \"$1\"",
       PRESENCED_BINARY, path},
      {{"ABLY_API_KEY", kFakeKey}});
  ASSERT_TRUE(process.WaitForStderr("<6>info presenced started", seconds(20))) << process.Stderr();
  process.Signal(SIGTERM);
  ASSERT_TRUE(process.Wait(seconds(10)).has_value());
  const std::string err = process.Stderr();
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(
        std::regex_match(line, std::regex(R"(<[2-7]>(critical|error|warning|info|debug) .*)")))
        << line;
  }
}

// The proxy of the environment, as curl reads it, reaches both of presenced's clients: Ably's and
// the webhooks' requests go through a real proxy (tinyproxy), and NO_PROXY hosts go direct.
TEST(OperatorTest, AblyAndWebhookRequestsGoThroughTheProxyOfTheEnvironment) {
  if (!TinyProxy::Available()) GTEST_SKIP() << "tinyproxy not installed (scripts/install-deps.sh)";
  TinyProxy proxy;
  ASSERT_TRUE(proxy.Start()) << proxy.error();
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  WebhookReceiver receiver;
  receiver.Start();
  TempDir dir;
  // fake Ably is http://127.0.0.1:port: HTTP_PROXY applies; the receiver is reached as
  // "localhost", which NO_PROXY sends direct.
  const std::string direct_url = "http://localhost:" + std::to_string(receiver.port()) + "/hook";
  DaemonHarness daemon(
      dir,
      "ably:\n  endpoint: " + fake.BaseUrl() +
          "\npoll:\n  interval: 200ms\nchannels: [c0]\nwebhooks:\n"
          "  - {name: via, url: '" +
          receiver.Url() +
          "', batch: {max_delay: 50ms}}\n"
          "  - {name: direct, url: '" +
          direct_url + "', batch: {max_delay: 50ms}}\n",
      {{"ABLY_API_KEY", kFakeKey}, {"HTTP_PROXY", proxy.Url()}, {"NO_PROXY", "localhost"}});
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake.Enter("c0", "bob", "kb", R"("x")");
  ASSERT_TRUE(WaitFor([&] { return receiver.Count() >= 2; }));
  const std::string log = proxy.Log();
  EXPECT_NE(log.find("GET " + fake.BaseUrl() + "/presence?"), std::string::npos) << log;
  EXPECT_NE(log.find("POST " + receiver.Url()), std::string::npos) << log;
  EXPECT_EQ(log.find("localhost:" + std::to_string(receiver.port())), std::string::npos) << log;
}

}  // namespace
}  // namespace presenced::testing
