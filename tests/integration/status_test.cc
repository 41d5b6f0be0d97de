// The status page (CONTRACT §6): GET /api/v1/status and GET / of the real binary show channels
// with members, clients, stale flag and last success, webhooks with backlog and last error, the
// recent events and a config summary without secrets; HTML pages 100 channels at a time.

#include <gtest/gtest.h>

#include <string>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "webhook_receiver.h"

namespace presenced::testing {
namespace {

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(StatusTest, JsonAndHtmlShowChannelsWebhooksEventsAndNoSecrets) {
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  fake.Enter("chat:lobby", "bob", "kb", R"("x")");
  fake.Enter("chat:lobby", "carol", "kc", R"("y")");
  fake.SetChannelError("chat:broken", 50000, 500, "boom");
  WebhookReceiver receiver;
  receiver.Start();
  receiver.SetStatus(503);
  std::string channels = "[chat:lobby, chat:broken";
  for (int i = 0; i < 150; ++i) channels += ", extra:" + std::to_string(1000 + i);
  channels += "]";
  TempDir dir;
  DaemonHarness daemon(dir,
                       "ably:\n  endpoint: " + fake.BaseUrl() +
                           "\npoll:\n  interval: 200ms\nchannels: " + channels +
                           "\nwebhooks:\n  - name: main\n    url: " + receiver.Url() +
                           "?token=querysecret\n    secret_env: HOOK_SECRET\n"
                           "    retry: {initial_backoff: 100ms, max_backoff: 200ms}\n",
                       {{"ABLY_API_KEY", kFakeKey}, {"HOOK_SECRET", "whsec_aG9va3NlY3JldA=="}});
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake.Enter("chat:lobby", "dave", "kd", R"("z")");

  std::string json;
  ASSERT_TRUE(WaitFor([&] {
    json = Request(daemon.port(), "GET", "/api/v1/status").body;
    return Has(json, R"("lastError":"HTTP 503")") && Has(json, R"("clientId":"dave")");
  })) << json;
  EXPECT_TRUE(
      Has(json, R"({"name":"chat:lobby","members":3,"clients":3,"stale":false,"lastSuccess":)"))
      << json;
  EXPECT_TRUE(
      Has(json, R"({"name":"chat:broken","members":0,"clients":0,"stale":true,"lastSuccess":0})"))
      << json;
  EXPECT_TRUE(Has(json, R"({"name":"main","pending":1,)")) << json;
  EXPECT_TRUE(Has(json, R"("action":"enter")")) << json;
  EXPECT_TRUE(Has(json, R"("build":"presenced )")) << json;
  for (const std::string& secret :
       {std::string("fakesecret"), std::string("querysecret"), std::string("aG9va3NlY3JldA")}) {
    EXPECT_FALSE(Has(json, secret)) << secret;
  }

  const std::string first = Request(daemon.port(), "GET", "/").body;
  EXPECT_TRUE(Has(first, "<td>chat:lobby</td>")) << first;
  EXPECT_TRUE(Has(first, "<td>main</td>")) << first;
  EXPECT_TRUE(Has(first, "HTTP 503")) << first;
  EXPECT_TRUE(Has(first, "Stale channels")) << first;
  EXPECT_TRUE(Has(first, "page 1 of 2")) << first;
  EXPECT_FALSE(Has(first, "<script")) << first;
  EXPECT_FALSE(Has(first, "querysecret")) << first;
  const std::string second = Request(daemon.port(), "GET", "/?page=2").body;
  EXPECT_TRUE(Has(second, "page 2 of 2")) << second;
  EXPECT_TRUE(Has(second, "<td>extra:1149</td>")) << second;
  EXPECT_FALSE(Has(second, "<td>extra:1000</td>")) << second;  // on page 1
}

}  // namespace
}  // namespace presenced::testing
