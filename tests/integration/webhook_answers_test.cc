// Webhook receivers that answer 2xx with a big body: one that announces a 50 MB body and streams
// it, one that echoes the request back until 3 MiB were sent (chunked). A 2xx status line
// acknowledges the batch whatever follows it: each batch goes out once, and nothing stays pending.

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "net/local_server.h"

namespace presenced::testing {
namespace {

// Records the webhook-id of every request per path and answers 200 with a big body.
class BigAnswers {
 public:
  BigAnswers()
      : server_([this](Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) { Handle(request, response); }) {}

  std::string Url(const std::string& path) const { return server_.Url(path); }
  std::map<std::string, int> IdsOf(const std::string& path) const {
    std::lock_guard lock(mu_);
    auto it = ids_.find(path);
    return it == ids_.end() ? std::map<std::string, int>{} : it->second;
  }

 private:
  void Handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    std::string body(std::istreambuf_iterator<char>(request.stream()), {});
    {
      std::lock_guard lock(mu_);
      ++ids_[request.getURI()][request.get("webhook-id", "")];
    }
    response.setContentType("application/json");
    try {
      if (request.getURI() == "/length") {
        // 50 MB announced; streamed until the client goes away.
        response.setContentLength64(50ll << 20);
        std::ostream& out = response.send();
        const std::string chunk(1 << 20, 'x');
        for (int i = 0; i < 50 && out.good(); ++i) out << chunk << std::flush;
      } else {
        // The request echoed back until 3 MiB were sent, chunked (no length known in advance).
        response.setChunkedTransferEncoding(true);
        std::ostream& out = response.send();
        for (size_t sent = 0; sent < (3u << 20) && out.good(); sent += body.size() + 1) {
          out << body << '\n' << std::flush;
        }
      }
    } catch (const Poco::Exception&) {
      // The client stopped reading: expected.
    }
  }

  mutable std::mutex mu_;                                  // guards ids_
  std::map<std::string, std::map<std::string, int>> ids_;  // path → webhook-id → requests
  LocalServer server_;
};

TEST(WebhookAnswersTest, ATwoHundredWithABigBodyAcknowledgesTheBatch) {
  BigAnswers receiver;
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  TempDir dir;
  DaemonHarness daemon(dir, "ably:\n  endpoint: " + fake.BaseUrl() +
                                "\npoll:\n  interval: 200ms\nchannels: [room]\n"
                                "webhooks:\n"
                                "  - name: length\n    url: " +
                                receiver.Url("/length") +
                                "\n    format: events\n    timeout: 5s\n"
                                "    retry: {initial_backoff: 50ms, max_backoff: 200ms}\n"
                                "  - name: echo\n    url: " +
                                receiver.Url("/echo") +
                                "\n    format: events\n    timeout: 5s\n"
                                "    retry: {initial_backoff: 50ms, max_backoff: 200ms}\n");
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake.Enter("room", "carol", "kc", R"("hi")");
  for (const char* webhook : {"length", "echo"}) {
    SCOPED_TRACE(webhook);
    const std::string delivered =
        std::string(R"(presenced_webhook_events_delivered_total{webhook=")") + webhook + "\"}";
    const std::string pending =
        std::string(R"(presenced_webhook_pending_events{webhook=")") + webhook + "\"}";
    EXPECT_TRUE(WaitFor([&] { return daemon.Metric(delivered) >= 1; }, std::chrono::seconds(5)))
        << daemon.Metric(delivered) << "\n"
        << daemon.process().Stderr();
    EXPECT_TRUE(WaitFor([&] { return daemon.Metric(pending) == 0; }));
    const auto ids = receiver.IdsOf(std::string("/") + webhook);
    EXPECT_GE(ids.size(), 1u);
    for (const auto& [id, count] : ids) EXPECT_EQ(count, 1) << "webhook-id " << id;
  }
}

}  // namespace
}  // namespace presenced::testing
