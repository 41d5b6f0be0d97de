// The proxy (net/proxy.h): which requests go through it, as curl decides, and requests really
// sent through a real proxy (tinyproxy): http:// with the absolute URL, https:// in a CONNECT
// tunnel with TLS verified end to end, credentials from the proxy URL, and NO_PROXY going direct;
// Abort() ends a tunnelled request too, and a failure to reach the proxy names the proxy.

#include "net/proxy.h"

#include <Poco/Net/Context.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

#include "local_server.h"
#include "net/http_client.h"
#include "test_support.h"
#include "tinyproxy.h"

namespace presenced {
namespace {

using testing::BoundPort;
using testing::LocalServer;
using testing::TinyProxy;
using testing::WaitFor;
using namespace std::chrono_literals;

TEST(NoProxyTest, MatchesAsCurl) {
  struct Case {
    const char* no_proxy;
    const char* host;
    bool direct;
  };
  const Case cases[] = {
      {"", "ably.io", false},
      {"*", "anything.example", true},
      {"example.com", "example.com", true},
      {"example.com", "hooks.example.com", true},  // subdomains too
      {".example.com", "example.com", true},       // a leading dot is ignored
      {".example.com", "a.b.example.com", true},
      {"example.com", "badexample.com", false},  // only on a label boundary
      {"example.com", "example.com.evil.net", false},
      {"EXAMPLE.com", "Hooks.Example.COM.", true},  // case and a trailing dot
      {" a.test , b.test ", "b.test", true},        // spaces around entries
      {"10.0.0.0/8", "10.1.2.3", true},
      {"10.0.0.0/8", "11.1.2.3", false},
      {"192.168.1.7", "192.168.1.7", true},
      {"192.168.1.7", "192.168.1.70", false},
      {"fd00::/8", "fd12::1", true},
      {"fd00::/8", "fe80::1", false},
      {"[::1]", "::1", true},
      {"127.0.0.1,localhost", "localhost", true},
      {"10.0.0.0/8", "ten.example", false},  // a name is not matched against a range
      {"10.0.0.0/33", "10.0.0.1", false},    // an invalid range matches nothing
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NoProxyMatches(c.no_proxy, c.host), c.direct) << c.no_proxy << " vs " << c.host;
  }
}

TEST(ProxyForTest, PerSchemeAndBypass) {
  const ProxySettings settings{"http://u:p%40ss@proxy.corp:3128", "http://plain.corp",
                               "internal.corp"};
  auto https = ParseUrl("https://rest.ably.io/presence");
  auto http = ParseUrl("http://hooks.example.com/x");
  auto internal = ParseUrl("https://hooks.internal.corp/x");
  ASSERT_TRUE(https.ok() && http.ok() && internal.ok());

  const std::optional<ProxyRoute> secure = ProxyFor(settings, *https);
  ASSERT_TRUE(secure.has_value());
  EXPECT_EQ(secure->host, "proxy.corp");
  EXPECT_EQ(secure->port, 3128);
  EXPECT_EQ(secure->username, "u");
  EXPECT_EQ(secure->password, "p@ss");  // percent-decoded
  const std::optional<ProxyRoute> plain = ProxyFor(settings, *http);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->host, "plain.corp");
  EXPECT_EQ(plain->port, 1080);  // curl's default proxy port
  EXPECT_EQ(ProxyFor(settings, *internal), std::nullopt);
  EXPECT_EQ(ProxyFor(ProxySettings{}, *https), std::nullopt);
}

TEST(ProxyUrlTest, ErrorsNeverRepeatThePassword) {
  for (const char* url : {"https://u:hunter2@proxy:1", "http://u:hunter2@", "socks5://hunter2"}) {
    Result<ProxyRoute> route = ParseProxyUrl(url);
    ASSERT_FALSE(route.ok()) << url;
    EXPECT_EQ(route.error().message.find("hunter2"), std::string::npos);
  }
  Result<ProxyRoute> v6 = ParseProxyUrl("http://[::1]:3128/");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 3128);
}

// Answers "<method> <target> via=<Via header>": tinyproxy adds Via to what it forwards.
void ShowVia(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  const std::string body =
      request.getMethod() + " " + request.getURI() + " via=" + request.get("Via", "");
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.request_timeout = std::chrono::seconds(10);
  return request;
}

class TinyProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TinyProxy::Available())
      GTEST_SKIP() << "tinyproxy not installed (scripts/install-deps.sh)";
  }
  static std::string Cert() {
    return std::string(PRESENCED_SOURCE_DIR) + "/tests/net/testdata/localhost.crt";
  }
  static Poco::Net::Context::Ptr ServerContext() {
    return new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE,
        std::string(PRESENCED_SOURCE_DIR) + "/tests/net/testdata/localhost.key", Cert(), "",
        Poco::Net::Context::VERIFY_NONE);
  }
};

TEST_F(TinyProxyTest, HttpGoesToTheProxyWithTheAbsoluteUrl) {
  TinyProxy proxy;
  ASSERT_TRUE(proxy.Start()) << proxy.error();
  LocalServer server(ShowVia);
  auto client = MakePocoHttpClient({.ca_file = "", .proxy = {"", proxy.Url(), ""}});
  HttpResult result = client->Send(Get(server.Url("/presence?x=1")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.response().status, 200);
  EXPECT_NE(result.response().body.find("GET /presence?x=1 via=1.1 "), std::string::npos)
      << result.response().body;
  EXPECT_NE(result.response().body.find("(tinyproxy/"), std::string::npos);
  EXPECT_NE(proxy.Log().find("GET " + server.Url("/presence?x=1")), std::string::npos)
      << proxy.Log();
}

TEST_F(TinyProxyTest, HttpsIsTunnelledWithConnectAndVerifiedEndToEnd) {
  TinyProxy proxy;
  ASSERT_TRUE(proxy.Start()) << proxy.error();
  LocalServer server(ShowVia, ServerContext());
  auto client = MakePocoHttpClient({.ca_file = Cert(), .proxy = {proxy.Url(), "", ""}});
  HttpResult result = client->Send(Get(server.Url("/tls", "localhost")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  // No Via: the proxy saw only encrypted bytes.
  EXPECT_EQ(result.response().body, "GET /tls via=");
  EXPECT_NE(proxy.Log().find("CONNECT localhost:" + std::to_string(server.port())),
            std::string::npos)
      << proxy.Log();

  // The certificate is still checked against the origin's name, through the tunnel.
  auto untrusting = MakePocoHttpClient({.ca_file = "", .proxy = {proxy.Url(), "", ""}});
  HttpResult rejected = untrusting->Send(Get(server.Url("/tls", "localhost")));
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().failure, TransportFailure::kConnect);
}

TEST_F(TinyProxyTest, CredentialsFromTheProxyUrlAndNoProxyGoesDirect) {
  TinyProxy proxy("presenced", "s3cret");
  ASSERT_TRUE(proxy.Start()) << proxy.error();
  LocalServer server(ShowVia, ServerContext());
  const std::string with_user = "http://presenced:s3cret@127.0.0.1:" + std::to_string(proxy.port());
  auto client = MakePocoHttpClient({.ca_file = Cert(), .proxy = {with_user, with_user, ""}});
  HttpResult through = client->Send(Get(server.Url("/auth", "localhost")));
  ASSERT_TRUE(through.ok()) << through.error().message;
  EXPECT_EQ(through.response().status, 200);

  // Without the credentials the proxy refuses the tunnel (407): no response from the origin.
  auto anonymous = MakePocoHttpClient({.ca_file = Cert(), .proxy = {proxy.Url(), "", ""}});
  HttpResult refused = anonymous->Send(Get(server.Url("/auth", "localhost")));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().failure, TransportFailure::kConnect);
  EXPECT_EQ(refused.error().message.find("s3cret"), std::string::npos);

  // NO_PROXY: straight to the origin, the proxy never hears of it.
  const size_t logged = proxy.Log().size();
  auto bypassing =
      MakePocoHttpClient({.ca_file = Cert(), .proxy = {with_user, with_user, "localhost"}});
  HttpResult direct = bypassing->Send(Get(server.Url("/direct", "localhost")));
  ASSERT_TRUE(direct.ok()) << direct.error().message;
  EXPECT_EQ(proxy.Log().find("/direct", logged), std::string::npos);
  EXPECT_EQ(proxy.Log().size(), logged) << proxy.Log();
}

// The tunnel's socket is the one HttpClient::Abort() knows (net/poco_session.h): a stop ends an
// https request through the proxy at once, as it ends a direct one.
TEST_F(TinyProxyTest, AbortEndsARequestInTheTunnel) {
  TinyProxy proxy;
  ASSERT_TRUE(proxy.Start()) << proxy.error();
  std::atomic<int> arrived{0};
  LocalServer silent(
      [&](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&) {
        ++arrived;
        silent.gate().Wait();
      },
      ServerContext());
  auto client = MakePocoHttpClient({.ca_file = Cert(), .proxy = {proxy.Url(), "", ""}});
  HttpRequest request = Get(silent.Url("/slow", "localhost"));
  request.request_timeout = 30s;
  auto sent = std::async(std::launch::async, [&] { return client->Send(request); });
  ASSERT_TRUE(WaitFor([&] { return arrived > 0; }, 10s)) << "the request never reached the origin";
  const auto aborted_at = std::chrono::steady_clock::now();
  client->Abort();
  ASSERT_EQ(sent.wait_for(2s), std::future_status::ready) << "Abort did not end the request";
  EXPECT_LT(std::chrono::steady_clock::now() - aborted_at, 1s);
  HttpResult result = sent.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kAborted) << result.error().message;
}

// A failure on the way to the origin says whether the proxy failed: unreachable, or refusing the
// tunnel (its status, never the proxy's password).
TEST_F(TinyProxyTest, FailuresNameTheProxy) {
  BoundPort closed;  // bound, not listening: connections are refused
  const std::string where = "127.0.0.1:" + std::to_string(closed.port());
  auto unreachable =
      MakePocoHttpClient({.ca_file = "", .proxy = {"http://" + where, "http://" + where, ""}});
  HttpResult refused = unreachable->Send(Get("https://localhost:1/"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().failure, TransportFailure::kConnect);
  EXPECT_EQ(refused.error().message, "localhost:1: proxy " + where + ": connection refused");

  TinyProxy proxy("presenced", "s3cret");
  ASSERT_TRUE(proxy.Start()) << proxy.error();
  LocalServer server(ShowVia, ServerContext());
  const std::string wrong = "http://presenced:wr0ng@127.0.0.1:" + std::to_string(proxy.port());
  auto denied = MakePocoHttpClient({.ca_file = Cert(), .proxy = {wrong, wrong, ""}});
  HttpResult tunnel = denied->Send(Get(server.Url("/auth", "localhost")));
  ASSERT_FALSE(tunnel.ok());
  EXPECT_EQ(tunnel.error().failure, TransportFailure::kConnect);
  const std::string target = "localhost:" + std::to_string(server.port());
  // tinyproxy answers a wrong password with 401 (a missing one with 407): any 4xx is the proxy's.
  const std::string refusal = target + ": proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                              ": refused the tunnel to " + target + ": HTTP 4";
  EXPECT_EQ(tunnel.error().message.rfind(refusal, 0), 0u) << tunnel.error().message;
  EXPECT_EQ(tunnel.error().message.find("wr0ng"), std::string::npos);
}

}  // namespace
}  // namespace presenced
