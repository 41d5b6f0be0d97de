#include "web/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "http_test_client.h"
#include "raw_client.h"
#include "test_support.h"

namespace presenced {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  // (Re)starts the server with these options.
  void Start(HttpServerOptions options) {
    server_.reset();
    HttpHandlers handlers{[this] { return metrics_body_; },
                          [this]() -> std::optional<std::string> {
                            if (ready_) return std::nullopt;
                            return "first cycle pending\n";
                          },
                          [this]() -> Status {
                            ++reloads_;
                            if (reject_reload_) return Error{"poll.interval: bad (line 3)"};
                            return Ok{};
                          }};
    auto server = HttpServer::Start("127.0.0.1", 0, std::move(handlers), options);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
  }

  std::string metrics_body_ = "presenced_up 1\n";  // set before Start()
  std::atomic<bool> ready_{false};
  std::atomic<bool> reject_reload_{false};
  std::atomic<int> reloads_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesMetricsHealthAndIndex) {
  const uint16_t port = server_->port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(testing::Request(port, "GET", "/metrics").body, "presenced_up 1\n");
  EXPECT_EQ(testing::Request(port, "GET", "/-/healthy").status, 200);
  const testing::HttpReply index = testing::Request(port, "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("/metrics"), std::string::npos);
  EXPECT_EQ(testing::Request(port, "GET", "/nope").status, 404);
}

TEST_F(HttpServerTest, ReadinessFollowsTheHandler) {
  const testing::HttpReply not_ready = testing::Request(server_->port(), "GET", "/-/ready");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_NE(not_ready.body.find("first cycle pending"), std::string::npos);
  ready_ = true;
  EXPECT_EQ(testing::Request(server_->port(), "GET", "/-/ready").status, 200);
}

TEST_F(HttpServerTest, ReloadNeedsPostAndReportsRejection) {
  Start({.lifecycle = true});
  EXPECT_EQ(testing::Request(server_->port(), "GET", "/-/reload").status, 405);
  EXPECT_EQ(reloads_, 0);
  EXPECT_EQ(testing::Request(server_->port(), "POST", "/-/reload").status, 200);
  reject_reload_ = true;
  const testing::HttpReply rejected = testing::Request(server_->port(), "POST", "/-/reload");
  EXPECT_EQ(rejected.status, 500);
  EXPECT_NE(rejected.body.find("poll.interval: bad (line 3)"), std::string::npos);
  EXPECT_EQ(reloads_, 2);
}

// CONTRACT §3/§6: POST /-/reload and /-/sync are refused unless http.lifecycle is true.
TEST_F(HttpServerTest, LifecycleEndpointsAreForbiddenByDefault) {
  const testing::HttpReply reload = testing::Request(server_->port(), "POST", "/-/reload");
  EXPECT_EQ(reload.status, 403);
  EXPECT_NE(reload.body.find("http.lifecycle: true"), std::string::npos) << reload.body;
  EXPECT_EQ(testing::Request(server_->port(), "POST", "/-/sync?webhook=main").status, 403);
  EXPECT_EQ(testing::Request(server_->port(), "GET", "/-/reload").status, 405);
  EXPECT_EQ(reloads_, 0);
}

TEST_F(HttpServerTest, ErrorsCarryTheirReasonPhrase) {
  const uint16_t port = server_->port();
  EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "GET", "/-/healthy")), "HTTP/1.1 200 OK");
  EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "GET", "/nope")),
            "HTTP/1.1 404 Not Found");
  EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "POST", "/-/reload")),
            "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "DELETE", "/-/reload")),
            "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "GET", "/-/ready")),
            "HTTP/1.1 503 Service Unavailable");
  Start({.lifecycle = true});
  reject_reload_ = true;
  EXPECT_EQ(testing::StatusLine(testing::RawRequest(server_->port(), "POST", "/-/reload")),
            "HTTP/1.1 500 Internal Server Error");
}

// Counts the clients whose connection the server still holds open.
size_t OpenCount(const std::vector<std::unique_ptr<testing::RawClient>>& clients) {
  size_t open = 0;
  for (const auto& client : clients) open += client->ClosedByServer() ? 0 : 1;
  return open;
}

// Slowloris: one address opens 32 idle connections and 32 that dribble header bytes and never
// finish. The server keeps at most max_connections_per_client of them (the rest are closed on
// arrival), so while those stay connected the endpoints still answer everyone else. The header
// timeout is far longer than the test, so no answer here depends on a slow client being cut off.
TEST_F(HttpServerTest, SlowAndIdleClientsDoNotStarveTheEndpoints) {
  HttpServerOptions options;
  options.header_timeout = std::chrono::minutes(10);
  Start(options);
  const uint16_t port = server_->port();
  std::vector<std::unique_ptr<testing::RawClient>> slow;
  for (int i = 0; i < 64; ++i) {
    slow.push_back(std::make_unique<testing::RawClient>(port, "127.0.0.1"));
    ASSERT_TRUE(slow.back()->connected());
    if (i % 2 == 1) slow.back()->Send("GET /metrics HTTP/1.1\r\nX-Slow: ");
  }
  std::atomic<bool> dribbling{true};
  std::thread dribbler([&] {
    while (dribbling) {
      for (int i = 1; i < 64; i += 2) slow[i]->Send("a");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the slow client's pace
    }
  });
  EXPECT_TRUE(testing::WaitFor(
      [&] { return OpenCount(slow) == static_cast<size_t>(options.max_connections_per_client); }));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "GET", "/-/healthy", "127.0.0.2")),
              "HTTP/1.1 200 OK");
    const std::string metrics = testing::RawRequest(port, "GET", "/metrics", "127.0.0.2");
    EXPECT_EQ(testing::StatusLine(metrics), "HTTP/1.1 200 OK");
    EXPECT_NE(metrics.find("presenced_up 1"), std::string::npos);
    EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "GET", "/-/ready", "127.0.0.3")),
              "HTTP/1.1 503 Service Unavailable");
  }
  EXPECT_EQ(OpenCount(slow), static_cast<size_t>(options.max_connections_per_client));
  dribbling = false;
  dribbler.join();
}

// A request head must arrive within header_timeout: a client that dribbles it, and one that
// sends nothing, are disconnected, and their threads serve others again.
TEST_F(HttpServerTest, SlowRequestHeadsAreCutOff) {
  HttpServerOptions options;
  options.header_timeout = std::chrono::milliseconds(300);
  options.threads = 2;
  Start(options);
  const uint16_t port = server_->port();
  testing::RawClient idle(port);
  testing::RawClient dribbling(port);
  ASSERT_TRUE(dribbling.Send("GET /metrics HTTP/1.1\r\nX-Slow: "));
  EXPECT_TRUE(testing::WaitFor([&] {
    dribbling.Send("a");
    return dribbling.ClosedByServer() && idle.ClosedByServer();
  }));
  EXPECT_EQ(testing::StatusLine(testing::RawRequest(port, "GET", "/-/healthy")), "HTTP/1.1 200 OK");
}

// An answer must be written within answer_timeout: a client that never reads a large answer is
// disconnected and the only thread serves others again (each write alone would wait for the
// 10-minute socket timeout).
TEST_F(HttpServerTest, ClientsThatDoNotReadTheirAnswerAreCutOff) {
  metrics_body_ = std::string(64 << 20, '#');  // far more than the socket buffers hold
  HttpServerOptions options;
  options.header_timeout = std::chrono::minutes(10);
  options.answer_timeout = std::chrono::milliseconds(300);
  options.threads = 1;
  Start(options);
  testing::RawClient reader(server_->port());
  ASSERT_TRUE(reader.Send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"));  // and never reads
  EXPECT_EQ(
      testing::StatusLine(testing::RawRequest(server_->port(), "GET", "/-/healthy", "127.0.0.2")),
      "HTTP/1.1 200 OK");
}

TEST_F(HttpServerTest, PortInUseIsAClearError) {
  auto second = HttpServer::Start("127.0.0.1", server_->port(), HttpHandlers{});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos)
      << second.error().message;
}

}  // namespace
}  // namespace presenced
