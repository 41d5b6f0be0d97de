// Network failures in words a user can act on: `presenced --once` against a closed port, a name
// that does not resolve and a server whose TLS certificate is not trusted. Each error names the
// host and the system's reason, never a bare code.

#include <Poco/Net/Context.h>
#include <gtest/gtest.h>

#include <string>

#include "daemon_harness.h"
#include "net/local_server.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;

// Runs `presenced --once` against `endpoint` (with `ably_extra` under `ably:`); returns stderr
// after checking that it exited 1.
std::string OnceAgainst(const std::string& endpoint, const std::string& ably_extra = "") {
  TempDir dir;
  const std::string config = dir.WriteFile(
      "presenced.yaml", "state:\n  dir: " + dir.path() + "/state\nably:\n  endpoint: " + endpoint +
                            "\n  connect_timeout: 2s\n  request_timeout: 3s\n" + ably_extra +
                            "channels: [room]\n");
  ChildProcess once({PRESENCED_BINARY, "--config", config, "--once"}, {{"ABLY_API_KEY", kFakeKey}});
  EXPECT_EQ(once.Wait(seconds(20)), 1);
  const std::string log = once.Stderr();
  EXPECT_EQ(log.find("code 0"), std::string::npos) << log;
  return log;
}

TEST(NetworkErrorsTest, AClosedPortSaysConnectionRefusedAndNamesTheHost) {
  const BoundPort closed;
  const std::string host = "127.0.0.1:" + std::to_string(closed.port());
  const std::string log = OnceAgainst("http://" + host);
  EXPECT_NE(log.find(host + ": connection refused"), std::string::npos) << log;
}

TEST(NetworkErrorsTest, AnUnresolvableHostSaysNameNotFound) {
  const std::string log = OnceAgainst("https://presenced-test.invalid");
  // A machine that cannot reach a resolver at all gets a temporary failure instead.
  const bool named =
      log.find("presenced-test.invalid:443: name not found") != std::string::npos ||
      log.find("presenced-test.invalid:443: name lookup failed") != std::string::npos;
  EXPECT_TRUE(named) << log;
}

TEST(NetworkErrorsTest, AnUntrustedCertificateSaysCertificateVerifyFailed) {
  const std::string testdata = std::string(PRESENCED_SOURCE_DIR) + "/tests/net/testdata/";
  LocalServer tls(
      [](auto&, Poco::Net::HTTPServerResponse& response) { response.send() << "[]"; },
      new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, testdata + "localhost.key",
                             testdata + "localhost.crt", "", Poco::Net::Context::VERIFY_NONE));
  const std::string host = "localhost:" + std::to_string(tls.port());
  const std::string log = OnceAgainst("https://" + host);
  EXPECT_NE(log.find(host + ": TLS: certificate verify failed"), std::string::npos) << log;
}

}  // namespace
}  // namespace presenced::testing
