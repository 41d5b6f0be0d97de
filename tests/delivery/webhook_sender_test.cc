// HttpWebhookSender without a server: how HTTP answers map onto send outcomes (CONTRACT §5: any
// 2xx is success, everything else is retried, honouring Retry-After), and what one attempt's
// request holds. The request on the wire is checked end to end in dispatcher_test.cc.

#include "delivery/webhook_sender.h"

#include <gtest/gtest.h>

#include "delivery/signer.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_http_client.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;

struct OutcomeCase {
  std::string name;
  std::function<HttpResult()> answer;
  SendOutcome::Kind kind;
  std::string status;
  std::string error;
  std::optional<milliseconds> retry_after;
};

HttpResult Answer(int status, std::string retry_after = "", bool truncated = false) {
  HttpResponse r;
  r.status = status;
  r.truncated = truncated;
  if (!retry_after.empty()) r.headers.emplace_back("Retry-After", retry_after);
  return r;
}

class WebhookOutcomeTest : public ::testing::TestWithParam<OutcomeCase> {};

TEST_P(WebhookOutcomeTest, MapsTheAnswer) {
  const OutcomeCase& c = GetParam();
  testing::FakeClock clock;
  testing::FakeHttpClient http([&](const HttpRequest&) { return c.answer(); });
  WebhookConfig config;
  config.name = "w";
  config.url = "http://receiver.invalid/hook";
  HttpWebhookSender sender(config, http, clock);
  const SendOutcome outcome = sender.Send(OutboxBatch{"w", "msg_1", 1, 1, {}});
  EXPECT_EQ(outcome.kind, c.kind);
  EXPECT_EQ(outcome.status, c.status);
  EXPECT_EQ(outcome.error, c.error);
  EXPECT_EQ(outcome.retry_after, c.retry_after);
  ASSERT_EQ(http.requests().size(), 1u);
}

const auto kAck = SendOutcome::Kind::kAcknowledged;
const auto kRetry = SendOutcome::Kind::kRetry;

INSTANTIATE_TEST_SUITE_P(
    Table, WebhookOutcomeTest,
    ::testing::Values(
        OutcomeCase{"ok", [] { return Answer(200); }, kAck, "200", "", {}},
        OutcomeCase{"no_content", [] { return Answer(204); }, kAck, "204", "", {}},
        // A 2xx acknowledges whatever its body: one over the cap was cut short, not refused.
        OutcomeCase{"ok_with_a_body_over_the_cap",
                    [] { return Answer(200, "", true); },
                    kAck,
                    "200",
                    "",
                    {}},
        OutcomeCase{"unavailable_with_a_body_over_the_cap",
                    [] { return Answer(503, "", true); },
                    kRetry,
                    "503",
                    "HTTP 503",
                    {}},
        OutcomeCase{"unavailable", [] { return Answer(503); }, kRetry, "503", "HTTP 503", {}},
        OutcomeCase{"too_many", [] { return Answer(429, "7"); }, kRetry, "429", "HTTP 429",
                    milliseconds(7'000)},
        // A 4xx is retried like the rest (a webhook never rejects): the receiver may be fixed.
        OutcomeCase{"bad_request", [] { return Answer(400); }, kRetry, "400", "HTTP 400", {}},
        OutcomeCase{"redirect", [] { return Answer(301); }, kRetry, "301", "HTTP 301", {}},
        OutcomeCase{"no_response",
                    [] {
                      return HttpResult(TransportError{TransportFailure::kTimeout, "timeout"});
                    },
                    kRetry,
                    "error",
                    "no response: timeout",
                    {}}),
    [](const ::testing::TestParamInfo<OutcomeCase>& info) { return info.param.name; });

TEST(WebhookSenderTest, BuildsTheSignedRequestOfOneAttempt) {
  testing::FakeClock clock;
  testing::FakeHttpClient http;
  WebhookConfig config;
  config.name = "w";
  config.url = "http://receiver.invalid/hook";
  config.format = WebhookConfig::Format::kAbly;
  config.timeout = milliseconds(2'000);
  config.secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  config.headers = {{"X-Team", "presence"}, {"webhook-id", "spoofed"}};
  HttpWebhookSender sender(config, http, clock);
  const HttpRequest r = sender.BuildRequest(OutboxBatch{"w", "msg_1", 5, 3, {}}, 1'700'000'000'123);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, config.url);
  EXPECT_EQ(r.request_timeout, milliseconds(2'000));
  EXPECT_EQ(r.connect_timeout, milliseconds(2'000));
  EXPECT_EQ(r.max_response_bytes, 1u << 20);
  EXPECT_TRUE(r.accept_truncated) << "a 2xx status line is enough, however big the body";
  const HttpResponse headers{0, r.headers, ""};
  EXPECT_EQ(headers.Header("webhook-id"), "msg_1");
  EXPECT_EQ(headers.Header("webhook-timestamp"), "1700000000");
  EXPECT_EQ(headers.Header("webhook-signature"),
            StandardWebhookSignature(config.secret.Reveal(), "msg_1", 1'700'000'000, r.body));
  EXPECT_EQ(headers.Header("X-Ably-Signature"), AblySignature(config.secret.Reveal(), r.body));
  EXPECT_EQ(headers.Header("X-Team"), "presence");
  int ids = 0;
  for (const auto& [name, value] : r.headers) ids += name == "webhook-id";
  EXPECT_EQ(ids, 1) << "a configured reserved header is never sent";
}

}  // namespace
}  // namespace presenced
