#include "service/http_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <atomic>
#include <sstream>

namespace presenced {
namespace {

struct Reply {
  int status;
  std::string body;
};

Reply Call(uint16_t port, const std::string& method, const std::string& path) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentLength(0);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::ostringstream body;
  Poco::StreamCopier::copyStream(in, body);
  return {static_cast<int>(response.getStatus()), body.str()};
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpHandlers handlers{[] { return std::string("presenced_up 1\n"); },
                          [this] { return ready_.load(); },
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
  EXPECT_EQ(Call(port, "GET", "/metrics").body, "presenced_up 1\n");
  EXPECT_EQ(Call(port, "GET", "/-/healthy").status, 200);
  const Reply index = Call(port, "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("/metrics"), std::string::npos);
  EXPECT_EQ(Call(port, "GET", "/nope").status, 404);
}

TEST_F(HttpServerTest, ReadinessFollowsTheHandler) {
  EXPECT_EQ(Call(server_->port(), "GET", "/-/ready").status, 503);
  ready_ = true;
  EXPECT_EQ(Call(server_->port(), "GET", "/-/ready").status, 200);
}

TEST_F(HttpServerTest, ReloadNeedsPostAndReportsRejection) {
  EXPECT_EQ(Call(server_->port(), "GET", "/-/reload").status, 405);
  EXPECT_EQ(reloads_, 0);
  EXPECT_EQ(Call(server_->port(), "POST", "/-/reload").status, 200);
  reject_reload_ = true;
  const Reply rejected = Call(server_->port(), "POST", "/-/reload");
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
