#include "service/http_server.h"

#include <gtest/gtest.h>

#include <atomic>

#include "http_test_client.h"

namespace presenced {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpHandlers handlers{[] { return std::string("presenced_up 1\n"); },
                          [this]() -> std::optional<std::string> {
                            if (ready_) return std::nullopt;
                            return "first cycle pending\n";
                          },
                          [this]() -> Status {
                            ++reloads_;
                            if (reject_reload_) return Error{"poll.interval: bad (line 3)"};
                            return Ok{};
                          }};
    auto server = HttpServer::Start("127.0.0.1", 0, std::move(handlers));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
  }

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
  EXPECT_EQ(testing::Request(server_->port(), "GET", "/-/reload").status, 405);
  EXPECT_EQ(reloads_, 0);
  EXPECT_EQ(testing::Request(server_->port(), "POST", "/-/reload").status, 200);
  reject_reload_ = true;
  const testing::HttpReply rejected = testing::Request(server_->port(), "POST", "/-/reload");
  EXPECT_EQ(rejected.status, 500);
  EXPECT_NE(rejected.body.find("poll.interval: bad (line 3)"), std::string::npos);
  EXPECT_EQ(reloads_, 2);
}

TEST_F(HttpServerTest, PortInUseIsAClearError) {
  auto second = HttpServer::Start("127.0.0.1", server_->port(), HttpHandlers{});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos)
      << second.error().message;
}

}  // namespace
}  // namespace presenced
