// http.tls and http.basic_auth_users (CONTRACT §3, §6): HTTPS on the listener with an optional
// client certificate (mutual TLS), basic auth with bcrypt hashes on every endpoint but the
// probes, both replaced by a reload; and /-/healthy answering 503 with the loop's reason.

#include "web/http_security.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <gtest/gtest.h>

#include <sstream>

#include "http_test_client.h"
#include "web/http_server.h"

namespace presenced {
namespace {

// bcrypt hashes of "test", as htpasswd -B ($2y$) and Python's bcrypt ($2b$) write them.
constexpr const char* kHash2y = "$2y$10$r0xJ4tn5qSt6bZjJ2L1RCu.6kviq7uXb76iKInx6YOTiZ8gDP/Fyq";
constexpr const char* kHash2b = "$2b$10$Q6p8L9sFjD3Rez6IQ.hPlejr98CEXGdc49i3QcFikntMAOeiOdzfG";

std::string TestData(const std::string& name) {
  return std::string(PRESENCED_SOURCE_DIR) + "/tests/web/testdata/" + name;
}

std::string Basic(const std::string& user, const std::string& password) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder << user << ":" << password;
  encoder.close();
  return "Basic " + out.str();
}

// GET https://localhost:port/path trusting the test CA, with a client certificate when `client`
// names one ("client", "stranger"); the status, or 0 when no HTTP answer came (handshake failed).
int HttpsGet(uint16_t port, const std::string& path, const std::string& client = "") {
  try {
    Poco::Net::Context::Params params;
    params.caLocation = TestData("ca.crt");
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = false;
    if (!client.empty()) {
      params.certificateFile = TestData(client + ".crt");
      params.privateKeyFile = TestData(client + ".key");
    }
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    Poco::Net::HTTPSClientSession session("localhost", port, context);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request("GET", path, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    std::string ignored((std::istreambuf_iterator<char>(body)), std::istreambuf_iterator<char>());
    return response.getStatus();
  } catch (const Poco::Exception&) {
    return 0;
  }
}

HttpTlsConfig ServerTls(bool mutual) {
  return {TestData("server.crt"), TestData("server.key"), mutual ? TestData("ca.crt") : ""};
}

class HttpSecurityTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options) {
    HttpHandlers handlers{[] { return std::string("presenced_up 1\n"); },
                          []() -> std::optional<std::string> { return std::nullopt; },
                          []() -> Status { return Ok{}; }};
    handlers.unhealthy = [this]() -> std::optional<std::string> {
      if (healthy_) return std::nullopt;
      return "the poll loop has made no progress for 200s (budget 120s)";
    };
    auto server = HttpServer::Start("127.0.0.1", 0, std::move(handlers), std::move(options));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
  }
  uint16_t port() const { return server_->port(); }

  std::atomic<bool> healthy_{true};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpSecurityTest, ServesHttpsAndRefusesPlainHttp) {
  HttpServerOptions options;
  options.tls = ServerTls(false);
  ASSERT_NO_FATAL_FAILURE(Start(options));
  EXPECT_EQ(HttpsGet(port(), "/metrics"), 200);
  EXPECT_EQ(HttpsGet(port(), "/-/healthy"), 200);
  EXPECT_EQ(testing::Get(port(), "/metrics").status, 0) << "no answer in clear text";
}

TEST_F(HttpSecurityTest, AClientCaFileRequiresACertificateItSigned) {
  HttpServerOptions options;
  options.tls = ServerTls(true);
  ASSERT_NO_FATAL_FAILURE(Start(options));
  EXPECT_EQ(HttpsGet(port(), "/metrics", "client"), 200);
  EXPECT_EQ(HttpsGet(port(), "/metrics"), 0) << "no client certificate";
  EXPECT_EQ(HttpsGet(port(), "/metrics", "stranger"), 0) << "not signed by client_ca_file";
}

TEST_F(HttpSecurityTest, BasicAuthGuardsAllButTheProbes) {
  HttpServerOptions options;
  options.lifecycle = true;
  options.basic_auth_users = {{"prometheus", kHash2y}, {"ops", kHash2b}};
  ASSERT_NO_FATAL_FAILURE(Start(options));
  for (const char* path : {"/metrics", "/", "/api/v1/status", "/nope"}) {
    const testing::HttpReply reply = testing::Get(port(), path);
    EXPECT_EQ(reply.status, 401) << path;
    EXPECT_EQ(reply.Header("WWW-Authenticate"), R"(Basic realm="presenced", charset="UTF-8")");
  }
  EXPECT_EQ(testing::Request(port(), "POST", "/-/reload").status, 401);
  EXPECT_EQ(testing::Get(port(), "/-/healthy").status, 200);
  EXPECT_EQ(testing::Get(port(), "/-/ready").status, 200);

  EXPECT_EQ(
      testing::Get(port(), "/metrics", {{"Authorization", Basic("prometheus", "test")}}).status,
      200);
  EXPECT_EQ(testing::Get(port(), "/metrics", {{"Authorization", Basic("ops", "test")}}).status,
            200);
  EXPECT_EQ(testing::Request(port(), "POST", "/-/reload", {{"Authorization", Basic("ops", "test")}})
                .status,
            200);
  for (const std::string& wrong :
       {Basic("prometheus", "tset"), Basic("nobody", "test"), Basic("prometheus", ""),
        std::string("Bearer test"), std::string("Basic !!!"), std::string("Basic")}) {
    EXPECT_EQ(testing::Get(port(), "/metrics", {{"Authorization", wrong}}).status, 401) << wrong;
  }
}

TEST_F(HttpSecurityTest, AReloadReplacesTlsAndUsers) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  EXPECT_EQ(testing::Get(port(), "/metrics").status, 200);
  ASSERT_TRUE(server_->Secure(ServerTls(false), {{"prometheus", kHash2y}}).ok());
  EXPECT_EQ(testing::Get(port(), "/metrics").status, 0) << "HTTPS from the next connection on";
  EXPECT_EQ(HttpsGet(port(), "/metrics"), 401);
  EXPECT_EQ(HttpsGet(port(), "/-/ready"), 200);

  // Files that make no TLS context are refused and the running ones kept.
  const Status refused = server_->Secure({TestData("server.crt"), TestData("client.key"), ""}, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("http.tls"), std::string::npos) << refused.error().message;
  EXPECT_EQ(HttpsGet(port(), "/metrics"), 401) << "still TLS with the user";
  EXPECT_FALSE(HttpServer::CheckTls({"/nonexistent.crt", TestData("server.key"), ""}).ok());
  EXPECT_TRUE(HttpServer::CheckTls(ServerTls(true)).ok());

  ASSERT_TRUE(server_->Secure({}, {}).ok());
  EXPECT_EQ(testing::Get(port(), "/metrics").status, 200);
}

TEST_F(HttpSecurityTest, HealthyAnswers503WithTheReason) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  EXPECT_EQ(testing::Get(port(), "/-/healthy").status, 200);
  healthy_ = false;
  const testing::HttpReply reply = testing::Get(port(), "/-/healthy");
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body,
            "presenced is not healthy:\nthe poll loop has made no progress for 200s (budget "
            "120s)\n");
}

TEST(BasicAuthTest, ChecksBcryptHashesWithCrypt) {
  const std::map<std::string, std::string> users{{"a", kHash2y}, {"b", kHash2b}};
  EXPECT_TRUE(BasicAuthAccepts(users, Basic("a", "test")));
  EXPECT_TRUE(BasicAuthAccepts(users, Basic("b", "test")));
  EXPECT_TRUE(BasicAuthAccepts(users, "basic " + Basic("b", "test").substr(6)));
  EXPECT_FALSE(BasicAuthAccepts(users, Basic("a", "Test")));
  EXPECT_FALSE(BasicAuthAccepts(users, Basic("c", "test")));
  EXPECT_FALSE(BasicAuthAccepts({}, Basic("a", "test")));
  EXPECT_FALSE(BasicAuthAccepts({{"a", "not-a-hash"}}, Basic("a", "not-a-hash")));
}

}  // namespace
}  // namespace presenced
