// The production HttpClient against servers that never answer, answer too much, or cannot be
// reached: Abort() ends a request in any phase at once, an answer over the cap is kept as its
// status line when the caller accepts that, and every failure names the host and the reason.

#include <Poco/Net/Context.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "local_server.h"
#include "net/http_client.h"
#include "net/in_flight.h"
#include "test_support.h"

namespace presenced {
namespace {

using testing::BoundPort;
using testing::LocalServer;
using testing::WaitFor;
using namespace std::chrono_literals;

HttpRequest Get(const std::string& url, std::chrono::milliseconds timeout = 30s) {
  HttpRequest request;
  request.url = url;
  request.connect_timeout = timeout;
  request.request_timeout = timeout;
  return request;
}

std::string TestData(const std::string& name) {
  return std::string(PRESENCED_SOURCE_DIR) + "/tests/net/testdata/" + name;
}

Poco::Net::Context::Ptr ServerTls() {
  return new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, TestData("localhost.key"),
                                TestData("localhost.crt"), "", Poco::Net::Context::VERIFY_NONE);
}

// Sends `request` on another thread, waits until `started` holds, aborts the client and expects
// the request back within a second as kAborted; then a new request fails at once.
void ExpectAbortEnds(HttpClient& client, const HttpRequest& request,
                     const std::function<bool()>& started) {
  auto sent = std::async(std::launch::async, [&] { return client.Send(request); });
  ASSERT_TRUE(WaitFor(started, 5s));
  const auto aborted_at = std::chrono::steady_clock::now();
  client.Abort();
  ASSERT_EQ(sent.wait_for(2s), std::future_status::ready) << "Abort did not end the request";
  EXPECT_LT(std::chrono::steady_clock::now() - aborted_at, 1s);
  HttpResult result = sent.get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().failure, TransportFailure::kAborted) << result.error().message;
  const auto later_at = std::chrono::steady_clock::now();
  HttpResult later = client.Send(request);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().failure, TransportFailure::kAborted);
  EXPECT_LT(std::chrono::steady_clock::now() - later_at, 100ms);
}

TEST(PocoHttpClientAbortTest, EndsARequestWaitingForItsAnswer) {
  std::atomic<int> arrived{0};
  LocalServer silent([&](auto&, Poco::Net::HTTPServerResponse&) {
    ++arrived;
    silent.gate().Wait();
  });
  auto client = MakePocoHttpClient({});
  ExpectAbortEnds(*client, Get(silent.Url("/")), [&] { return arrived > 0; });
}

TEST(PocoHttpClientAbortTest, EndsARequestOnAKeptConnection) {
  std::atomic<int> arrived{0};
  LocalServer server(
      [&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        if (request.getURI() == "/slow") {
          ++arrived;
          server.gate().Wait();
        }
        response.sendBuffer("ok", 2);
      });
  auto client = MakePocoHttpClient({});
  ASSERT_TRUE(client->Send(Get(server.Url("/fast"))).ok());
  ExpectAbortEnds(*client, Get(server.Url("/slow")), [&] { return arrived > 0; });
  EXPECT_EQ(server.connections(), 1) << "the pooled connection was the one aborted";
}

TEST(PocoHttpClientAbortTest, EndsAWriteToAReceiverThatNeverReads) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::StreamSocket accepted;
  HttpRequest request = Get("http://127.0.0.1:" + std::to_string(listener.address().port()) + "/");
  request.method = "POST";
  request.body.assign(64 << 20, 'b');  // far more than the socket buffers hold
  auto client = MakePocoHttpClient({});
  ExpectAbortEnds(*client, request, [&] {
    if (!listener.poll(Poco::Timespan(0, 10'000), Poco::Net::Socket::SELECT_READ)) return false;
    accepted = listener.acceptConnection();
    return true;
  });
}

TEST(PocoHttpClientAbortTest, EndsATlsHandshakeTheServerNeverAnswers) {
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0));
  Poco::Net::StreamSocket accepted;  // plain TCP: the ClientHello is never answered
  auto client = MakePocoHttpClient({.ca_file = TestData("localhost.crt")});
  ExpectAbortEnds(*client,
                  Get("https://localhost:" + std::to_string(listener.address().port()) + "/"), [&] {
                    if (!listener.poll(Poco::Timespan(0, 10'000), Poco::Net::Socket::SELECT_READ))
                      return false;
                    accepted = listener.acceptConnection();
                    return true;
                  });
}

TEST(PocoHttpClientAbortTest, EndsATlsRequestWaitingForItsAnswer) {
  std::atomic<int> arrived{0};
  LocalServer silent(
      [&](Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
        if (request.getURI() == "/slow") {
          ++arrived;
          silent.gate().Wait();
        }
        response.sendBuffer("ok", 2);
      },
      ServerTls());
  auto client = MakePocoHttpClient({.ca_file = TestData("localhost.crt")});
  ASSERT_TRUE(client->Send(Get(silent.Url("/fast", "localhost"))).ok());
  ExpectAbortEnds(*client, Get(silent.Url("/slow", "localhost")), [&] { return arrived > 0; });
  EXPECT_EQ(silent.connections(), 1) << "the pooled TLS connection was the one aborted";
}

TEST(PocoHttpClientAbortTest, EndsAConnectThatGetsNoAnswer) {
  // A listener whose accept queue is full drops further SYNs: those connects hang.
  Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0), 1);
  const Poco::Net::SocketAddress address("127.0.0.1", listener.address().port());
  std::vector<Poco::Net::StreamSocket> fillers;
  for (int i = 0; i < 8; ++i) {
    Poco::Net::StreamSocket filler;
    filler.connectNB(address);
    fillers.push_back(filler);
  }
  auto client = MakePocoHttpClient({});
  const auto start = std::chrono::steady_clock::now();
  // Nothing outside shows a connect in progress: give the request time to reach it.
  ExpectAbortEnds(*client, Get("http://" + address.toString() + "/"),
                  [&] { return std::chrono::steady_clock::now() - start > 300ms; });
}

TEST(InFlightSocketsTest, AbortWakesABlockedReadAndRefusesLaterRequests) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  InFlightSockets sockets;
  const auto id = sockets.Begin();
  ASSERT_TRUE(id.has_value());
  ASSERT_TRUE(sockets.Attach(*id, fds[0]));
  auto read = std::async(std::launch::async, [&] {
    char byte;
    return ::recv(fds[0], &byte, 1, 0);
  });
  EXPECT_EQ(read.wait_for(50ms), std::future_status::timeout);
  sockets.Abort();
  ASSERT_EQ(read.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(read.get(), 0);  // shut down: end of stream
  EXPECT_FALSE(sockets.Begin().has_value());
  EXPECT_FALSE(sockets.Attach(*id, fds[1]));
  sockets.End(*id);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(InFlightSocketsTest, ASocketClosedByItsOwnerIsNeverShutDownLater) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  InFlightSockets sockets;
  const auto id = sockets.Begin();
  ASSERT_TRUE(sockets.Attach(*id, fds[0]));
  ::close(fds[0]);  // the request's code closes its socket; the number may now be reused
  int reused[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, reused), 0);
  sockets.Abort();  // shuts down the request's socket (still held by its duplicate) only
  ASSERT_EQ(::send(reused[0], "x", 1, MSG_NOSIGNAL), 1) << "an unrelated socket was shut down";
  sockets.End(*id);
  ::close(fds[1]);
  ::close(reused[0]);
  ::close(reused[1]);
}

// Answers GET /length with 200 and a 50 MB Content-Length, GET /chunked with a chunked 3 MiB.
void BigAnswer(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
  try {
    if (request.getURI() == "/length") {
      response.setContentLength64(50ll << 20);
    } else {
      response.setChunkedTransferEncoding(true);
    }
    std::ostream& out = response.send();
    const std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 3 && out.good(); ++i) out << chunk << std::flush;
  } catch (const Poco::Exception&) {
  }
}

TEST(PocoHttpClientTruncationTest, AnAnswerOverTheCapKeepsItsStatusLineWhenAccepted) {
  LocalServer server(BigAnswer);
  auto client = MakePocoHttpClient({});
  for (const char* path : {"/length", "/chunked"}) {
    SCOPED_TRACE(path);
    HttpRequest request = Get(server.Url(path), 5s);
    request.max_response_bytes = 100'000;
    request.accept_truncated = true;
    const auto start = std::chrono::steady_clock::now();
    HttpResult result = client->Send(request);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result.response().status, 200);
    EXPECT_TRUE(result.response().truncated);
    EXPECT_LE(result.response().body.size(), 100'000u);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "the rest is not read";
    request.accept_truncated = false;
    HttpResult refused = client->Send(request);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().failure, TransportFailure::kTooLarge);
    EXPECT_NE(refused.error().message.find("answer over 100000 bytes (HTTP 200)"),
              std::string::npos)
        << refused.error().message;
  }
  EXPECT_EQ(server.connections(), 4) << "a connection left mid-body is never reused";
}

TEST(PocoHttpClientMessagesTest, FailuresNameTheHostAndTheReason) {
  const BoundPort refusing;
  auto client = MakePocoHttpClient({});
  const std::string where = "127.0.0.1:" + std::to_string(refusing.port());
  HttpResult refused = client->Send(Get("http://" + where + "/"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, where + ": connection refused");

  LocalServer tls([](auto&, Poco::Net::HTTPServerResponse& response) { response.send() << "x"; },
                  ServerTls());
  HttpResult untrusted = client->Send(Get(tls.Url("/", "localhost")));
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.error().failure, TransportFailure::kConnect);
  EXPECT_EQ(untrusted.error().message,
            "localhost:" + std::to_string(tls.port()) + ": TLS: certificate verify failed");

  LocalServer slow([&](auto&, Poco::Net::HTTPServerResponse& response) {
    slow.gate().Wait();
    response.send() << "x";
  });
  HttpResult late = client->Send(Get(slow.Url("/"), 300ms));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().failure, TransportFailure::kTimeout);
  EXPECT_NE(late.error().message.find("127.0.0.1:" + std::to_string(slow.port()) + ": timed out"),
            std::string::npos)
      << late.error().message;
}

}  // namespace
}  // namespace presenced
