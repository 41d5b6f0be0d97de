// Tests of the production HttpClient against real Poco servers on 127.0.0.1, port 0.

#include <Poco/Net/Context.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "local_server.h"
#include "net/http_client.h"
#include "raw_http_server.h"
#include "test_support.h"

namespace presenced {
namespace {

using testing::BoundPort;
using testing::LocalServer;
using testing::RawHttpServer;
using namespace std::chrono_literals;

// Answers every request with a description of it, and a reply header.
void Echo(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  std::string body;
  Poco::StreamCopier::copyToString(request.stream(), body);
  std::ostringstream reply;
  reply << request.getMethod() << " " << request.getURI() << " x-test=" << request.get("X-Test", "")
        << " body=" << body;
  response.set("X-Reply", "yes");
  response.setContentType("text/plain");
  response.sendBuffer(reply.str().data(), reply.str().size());
}

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.connect_timeout = 2s;
  request.request_timeout = 5s;
  return request;
}

TEST(PocoHttpClientTest, GetRoundTripWithHeaders) {
  LocalServer server(Echo);
  auto client = MakePocoHttpClient({});
  HttpRequest request = Get(server.Url("/echo?channels=foo%3Abar%2Cbaz"));
  request.headers = {{"X-Test", "abc"}};
  HttpResult result = client->Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.response().status, 200);
  EXPECT_EQ(result.response().body, "GET /echo?channels=foo%3Abar%2Cbaz x-test=abc body=");
  EXPECT_EQ(result.response().Header("x-reply"), "yes");
  EXPECT_EQ(result.response().Header("X-REPLY"), "yes");
  EXPECT_EQ(result.response().Header("X-Missing"), "");
}

TEST(PocoHttpClientTest, PostRoundTripWithBody) {
  LocalServer server(Echo);
  auto client = MakePocoHttpClient({});
  HttpRequest request = Get(server.Url("/hook"));
  request.method = "POST";
  request.headers = {{"X-Test", "def"}, {"Content-Type", "application/json"}};
  request.body = R"({"events":[]})";
  HttpResult result = client->Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.response().status, 200);
  EXPECT_EQ(result.response().body, R"(POST /hook x-test=def body={"events":[]})");
}

TEST(PocoHttpClientTest, NonSuccessStatusIsAResponse) {
  LocalServer server([](auto&, Poco::Net::HTTPServerResponse& response) {
    response.setStatus(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    response.sendBuffer("busy", 4);
  });
  auto client = MakePocoHttpClient({});
  HttpResult result = client->Send(Get(server.Url("/")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.response().status, 503);
  EXPECT_EQ(result.response().body, "busy");
}

TEST(PocoHttpClientTest, SequentialRequestsReuseOneConnection) {
  LocalServer server(Echo);
  auto client = MakePocoHttpClient({});
  for (int i = 0; i < 3; ++i) {
    HttpResult result = client->Send(Get(server.Url("/n")));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.response().status, 200);
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(PocoHttpClientTest, ConnectionClosedByServerIsNotReused) {
  LocalServer server([](auto&, Poco::Net::HTTPServerResponse& response) {
    response.setKeepAlive(false);
    response.sendBuffer("x", 1);
  });
  auto client = MakePocoHttpClient({});
  for (int i = 0; i < 2; ++i) {
    HttpResult result = client->Send(Get(server.Url("/")));
    ASSERT_TRUE(result.ok()) << result.error().message;
  }
  EXPECT_EQ(server.connections(), 2);
}

HttpRequest Post(const std::string& url, const std::string& body) {
  HttpRequest request = Get(url);
  request.method = "POST";
  request.body = body;
  return request;
}

// The server read the whole POST on a reused connection, then closed it without answering. It
// may have acted on it, so the request is not sent again as if it had never arrived, and the
// error says it was possibly delivered.
TEST(PocoHttpClientTest, PostReadButUnansweredIsPossiblyDeliveredAndNotSentAgain) {
  RawHttpServer server({.answered_per_connection = 1});
  auto client = MakePocoHttpClient({});
  HttpResult first = client->Send(Post(server.Url("/hook"), "first"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  HttpResult second = client->Send(Post(server.Url("/hook"), "second"));
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.error().possibly_delivered);
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"POST first", "POST second"}));
}

TEST(PocoHttpClientTest, GetReadButUnansweredOnAReusedConnectionIsSentAgain) {
  RawHttpServer server({.answered_per_connection = 1});
  auto client = MakePocoHttpClient({});
  ASSERT_TRUE(client->Send(Get(server.Url("/a"))).ok());
  HttpResult second = client->Send(Get(server.Url("/b")));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second.response().body, "ok");
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"GET ", "GET ", "GET "}));
}

// A pooled connection the server has closed is not written to: the POST goes out once, on a new
// connection, and succeeds.
TEST(PocoHttpClientTest, PooledConnectionClosedByTheServerIsNotUsed) {
  RawHttpServer server({.answered_per_connection = 1, .close_after_answer = true});
  auto client = MakePocoHttpClient({});
  ASSERT_TRUE(client->Send(Post(server.Url("/hook"), "first")).ok());
  ASSERT_TRUE(testing::WaitFor([&] { return server.closed_connections() == 1; }));
  HttpResult second = client->Send(Post(server.Url("/hook"), "second"));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"POST first", "POST second"}));
}

TEST(PocoHttpClientTest, FailureBeforeTheRequestWasWrittenIsNotDelivered) {
  const BoundPort refusing;  // bound, not listening: connecting is refused
  auto client = MakePocoHttpClient({});
  HttpResult result =
      client->Send(Post("http://127.0.0.1:" + std::to_string(refusing.port()) + "/", "x"));
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(result.error().possibly_delivered);
}

struct CapCase {
  const char* name;
  bool chunked;
  size_t body_size;
  bool too_large;
};

class ResponseCapTest : public ::testing::TestWithParam<CapCase> {};

TEST_P(ResponseCapTest, EnforcesMaxResponseBytes) {
  const CapCase& c = GetParam();
  LocalServer server([&c](auto&, Poco::Net::HTTPServerResponse& response) {
    const std::string body(c.body_size, 'b');
    if (c.chunked) {
      response.setChunkedTransferEncoding(true);
      response.send() << body;
    } else {
      response.sendBuffer(body.data(), body.size());
    }
  });
  auto client = MakePocoHttpClient({});
  HttpRequest request = Get(server.Url("/big"));
  request.max_response_bytes = 100'000;
  HttpResult result = client->Send(request);
  if (c.too_large) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().failure, TransportFailure::kTooLarge);
  } else {
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.response().body.size(), c.body_size);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ResponseCapTest,
                         ::testing::Values(CapCase{"LengthAtCap", false, 100'000, false},
                                           CapCase{"LengthOverCap", false, 100'001, true},
                                           CapCase{"ChunkedAtCap", true, 100'000, false},
                                           CapCase{"ChunkedOverCap", true, 300'000, true}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PocoHttpClientTest, StalledServerTimesOut) {
  LocalServer stalled([&](auto&, Poco::Net::HTTPServerResponse& response) {
    stalled.gate().Wait();
    response.sendBuffer("late", 4);
  });
  auto client = MakePocoHttpClient({});
  HttpRequest request = Get(stalled.Url("/slow"));
  request.request_timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  HttpResult result = client->Send(request);  // returns while the server still holds the answer
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms) << "not before the timeout";
}

TEST(PocoHttpClientTest, RefusedConnectionIsConnectError) {
  // A port that is bound but not listening refuses connections, and stays ours meanwhile (no
  // bind-close-reuse race with other processes).
  const BoundPort refusing;
  auto client = MakePocoHttpClient({});
  HttpResult result =
      client->Send(Get("http://127.0.0.1:" + std::to_string(refusing.port()) + "/"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kConnect);
}

TEST(PocoHttpClientTest, TruncatedBodyIsProtocolError) {
  LocalServer server([](auto&, Poco::Net::HTTPServerResponse& response) {
    response.setContentLength(100);
    response.setKeepAlive(false);
    response.send() << std::string(10, 't') << std::flush;
  });
  auto client = MakePocoHttpClient({});
  HttpResult result = client->Send(Get(server.Url("/cut")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kProtocol);
}

// A body of `size` bytes that differs at every position, so a lost, repeated or shifted piece
// shows.
std::string Pattern(size_t size, char seed) {
  std::string body(size, '\0');
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>((i * 131 + i / 251 + seed) & 0xff);
  return body;
}

// Answers GET /N with Pattern(N), written in pieces so the client sees it arrive over time.
void PatternAnswer(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  const std::string body = Pattern(std::stoul(request.getURI().substr(1)), 'p');
  response.setContentLength64(static_cast<Poco::Int64>(body.size()));
  std::ostream& out = response.send();
  for (size_t at = 0; at < body.size(); at += 100'000) {
    out.write(body.data() + at,
              static_cast<std::streamsize>(std::min<size_t>(100'000, body.size() - at)));
    out.flush();
  }
}

// Bodies of known length are read straight from the connection (not through Poco's stream): they
// arrive whole, and the connection is left exactly at the next answer.
TEST(PocoHttpClientTest, BodiesOfKnownLengthArriveWholeOnAKeptConnection) {
  LocalServer server(PatternAnswer);
  auto client = MakePocoHttpClient({});
  for (size_t size : {size_t{3} << 20, size_t{0}, size_t{1}, size_t{70'001}, size_t{3} << 20}) {
    HttpResult result = client->Send(Get(server.Url("/" + std::to_string(size))));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.response().body, Pattern(size, 'p')) << size;
    EXPECT_GE(result.response().body.capacity(), size + kBodyPadding);
  }
  EXPECT_EQ(server.connections(), 1);
}

// HttpRequest::body_buffer: the answer is read into the caller's storage (no new allocation for
// a body that fits), the buffer is left empty, and the body is whole and padded as always.
TEST(PocoHttpClientTest, ReadsTheBodyIntoTheCallersBuffer) {
  LocalServer server(PatternAnswer);
  auto client = MakePocoHttpClient({});
  std::string buffer;
  buffer.reserve(size_t{1} << 20);
  const char* storage = buffer.data();
  HttpRequest request = Get(server.Url("/70001"));
  request.body_buffer = &buffer;
  HttpResult result = client->Send(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.response().body, Pattern(70'001, 'p'));
  EXPECT_EQ(result.response().body.data(), storage);
  EXPECT_GE(result.response().body.capacity(), 70'001 + kBodyPadding);
  EXPECT_TRUE(buffer.empty());
}

TEST(PocoHttpClientTest, InvalidUrlIsAnError) {
  auto client = MakePocoHttpClient({});
  HttpResult result = client->Send(Get("ftp://example.com/"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kConnect);
}

TEST(PocoHttpClientTest, ErrorMessagesNeverContainHeaders) {
  LocalServer server([](auto&, Poco::Net::HTTPServerResponse& response) {
    response.setContentLength(50);
    response.setKeepAlive(false);
    response.send() << "short" << std::flush;
  });
  auto client = MakePocoHttpClient({});
  HttpRequest request = Get(server.Url("/"));
  request.headers = {{"Authorization", "Basic c2VjcmV0LWtleQ=="}};
  HttpResult result = client->Send(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message.find("c2VjcmV0LWtleQ"), std::string::npos);
  EXPECT_EQ(result.error().message.find("Authorization"), std::string::npos);
}

// TLS: tests/net/testdata holds a throwaway self-signed certificate for DNS:localhost.
class TlsTest : public ::testing::Test {
 protected:
  static std::string Cert() {
    return std::string(PRESENCED_SOURCE_DIR) + "/tests/net/testdata/localhost.crt";
  }
  static Poco::Net::Context::Ptr ServerContext() {
    return new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE,
        std::string(PRESENCED_SOURCE_DIR) + "/tests/net/testdata/localhost.key", Cert(), "",
        Poco::Net::Context::VERIFY_NONE);
  }
  LocalServer server_{Echo, ServerContext()};
};

TEST_F(TlsTest, TrustedCertificateWorks) {
  auto client = MakePocoHttpClient({.ca_file = Cert()});
  HttpResult result = client->Send(Get(server_.Url("/tls", "localhost")));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result.response().status, 200);
  EXPECT_EQ(result.response().body, "GET /tls x-test= body=");
}

TEST_F(TlsTest, UntrustedCertificateIsRejected) {
  auto client = MakePocoHttpClient({});
  HttpResult result = client->Send(Get(server_.Url("/tls", "localhost")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kConnect);
}

TEST_F(TlsTest, HostNameMismatchIsRejected) {
  auto client = MakePocoHttpClient({.ca_file = Cert()});
  HttpResult result = client->Send(Get(server_.Url("/tls", "127.0.0.1")));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kConnect);
}

TEST_F(TlsTest, BodiesOfKnownLengthArriveWholeOverTls) {
  LocalServer big(PatternAnswer, ServerContext());
  auto client = MakePocoHttpClient({.ca_file = Cert()});
  for (size_t size : {size_t{3} << 20, size_t{5}, size_t{3} << 20}) {
    HttpResult result = client->Send(Get(big.Url("/" + std::to_string(size), "localhost")));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.response().body, Pattern(size, 'p')) << size;
  }
}

TEST(PocoHttpClientTest, MissingCaFileFailsHttpsOnly) {
  LocalServer server(Echo);
  auto client = MakePocoHttpClient({.ca_file = "/nonexistent/ca.pem"});
  const BoundPort refusing;
  HttpResult https =
      client->Send(Get("https://127.0.0.1:" + std::to_string(refusing.port()) + "/"));
  ASSERT_FALSE(https.ok());
  EXPECT_EQ(https.error().failure, TransportFailure::kConnect);
  HttpResult http = client->Send(Get(server.Url("/")));
  EXPECT_TRUE(http.ok());
}

}  // namespace
}  // namespace presenced
