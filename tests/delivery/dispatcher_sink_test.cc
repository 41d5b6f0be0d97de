// The Dispatcher with webhooks whose senders are fakes (no HTTP), on a FakeClock: Stop's deadline
// follows the clock, a webhook added back waits for its old worker, and a reload hands the
// worker a new sender. The HTTP end-to-end checks are in dispatcher_test.cc.

#include <gtest/gtest.h>

#include <future>

#include "delivery/dispatcher.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_http_client.h"
#include "fakes/fake_random.h"
#include "fakes/fake_sender.h"
#include "fakes/test_support.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;
using testing::FakeSink;
using testing::MetricValue;
using testing::WaitFor;

// Forwards to a fake sink's sender and logs the URL of the config it was made for.
class UrlLoggingSender final : public Sender {
 public:
  UrlLoggingSender(std::string url, std::unique_ptr<Sender> inner, std::mutex& mu,
                   std::vector<std::string>& log)
      : url_(std::move(url)), inner_(std::move(inner)), mu_(mu), log_(log) {}
  SendOutcome Send(const OutboxBatch& batch) override {
    {
      std::lock_guard lock(mu_);
      log_.push_back(url_);
    }
    return inner_->Send(batch);
  }

 private:
  const std::string url_;
  const std::unique_ptr<Sender> inner_;
  std::mutex& mu_;
  std::vector<std::string>& log_;
};

class DispatcherSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    dispatcher_ = std::make_unique<Dispatcher>(
        *store_, metrics_, clock_,
        [this](const WebhookConfig& webhook) -> std::unique_ptr<Sender> {
          return std::make_unique<UrlLoggingSender>(webhook.url, sink_.MakeSender(), mu_, sent_to_);
        },
        [] { return std::make_unique<testing::FakeRandom>(0.5); });
  }
  void TearDown() override {
    sink_.Release();
    dispatcher_.reset();
  }

  static WebhookConfig Hook(const std::string& url = "http://a.invalid/") {
    WebhookConfig w;
    w.name = "w";
    w.url = url;
    w.batch_max_events = 1;
    w.retry_initial_backoff = milliseconds(1'000);
    w.retry_max_backoff = milliseconds(1'000);
    return w;
  }

  void Commit(const std::string& client_id) {
    Event e;
    e.channel = "c";
    e.action = Action::kEnter;
    e.client_id = client_id;
    e.connection_id = "conn";
    e.member_id = "conn:" + client_id;
    e.observed_at = clock_.NowMs();
    e.id = EventId(e.channel, e.client_id, e.connection_id, e.action, e.member_id);
    ASSERT_TRUE(store_->CommitCycle({}, {}, {{"w", e}}).ok());
    dispatcher_->Notify();
  }
  bool WaitsFor(milliseconds wait) {
    return WaitFor([&] { return clock_.EarliestWait() == wait; });
  }
  std::vector<std::string> SentTo() {
    std::lock_guard lock(mu_);
    return sent_to_;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  Metrics metrics_{true};
  FakeSink sink_;
  std::mutex mu_;  // guards sent_to_
  std::vector<std::string> sent_to_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherSinkTest, StopGivesASendInProgressItsDeadlineOnTheClock) {
  sink_.Hold();
  dispatcher_->Configure({Hook()});
  Commit("a");
  ASSERT_TRUE(WaitFor([&] { return sink_.InFlight() == 1; }));
  auto stopped = std::async(std::launch::async, [&] { dispatcher_->Stop(milliseconds(1'000)); });
  ASSERT_TRUE(WaitsFor(milliseconds(1'000))) << "Stop waits on the clock";
  clock_.Advance(milliseconds(999));
  ASSERT_TRUE(WaitsFor(milliseconds(1)));
  EXPECT_EQ(stopped.wait_for(milliseconds(0)), std::future_status::timeout);
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(
      WaitFor([&] { return stopped.wait_for(milliseconds(0)) == std::future_status::ready; }));
  sink_.Release();  // acknowledged, but Stop abandoned the outcome
  ASSERT_TRUE(WaitFor([&] { return sink_.Acknowledged() == std::vector<std::string>{"a"}; }));
  dispatcher_.reset();  // joins the worker
  EXPECT_TRUE(store_->CurrentBatch("w")->has_value()) << "the batch stays for the next start";
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_webhook_requests_total{status="200",webhook="w"})"),
            -1);
}

// The webhook's series come from the worker through WebhookSinkMetrics, labelled with the
// outcome's status.
TEST_F(DispatcherSinkTest, RecordsTheWebhookSeriesOfEachAttempt) {
  sink_.Push(SendOutcome::Retry("503", "HTTP 503"));
  dispatcher_->Configure({Hook()});
  Commit("a");
  ASSERT_TRUE(WaitsFor(milliseconds(500)));
  clock_.Advance(milliseconds(500));
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(metrics_, R"(presenced_webhook_events_delivered_total{webhook="w"})") == 1 &&
           MetricValue(metrics_, R"(presenced_webhook_pending_events{webhook="w"})") == 0;
  })) << metrics_.Serialize();
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_webhook_requests_total{status="503",webhook="w"})"),
            1);
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_webhook_requests_total{status="200",webhook="w"})"),
            1);
  EXPECT_EQ(
      MetricValue(metrics_, R"(presenced_webhook_delivery_duration_seconds_count{webhook="w"})"),
      2);
}

TEST_F(DispatcherSinkTest, AWebhookAddedBackWaitsForItsOldWorker) {
  sink_.Hold();
  dispatcher_->Configure({Hook()});
  Commit("a");
  ASSERT_TRUE(WaitFor([&] { return sink_.InFlight() == 1; }));
  dispatcher_->Configure({});
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_webhook_pending_events{webhook="w"})"), -1);
  dispatcher_->Configure({Hook()});
  Commit("b");
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_webhook_pending_events{webhook="w"})"), 0);
  // The new worker looks at its predecessor every 50 ms of clock time and sends nothing.
  ASSERT_TRUE(WaitsFor(milliseconds(50)));
  EXPECT_EQ(sink_.Sends(), 1u);
  sink_.Release();
  ASSERT_TRUE(WaitFor([&] { return sink_.Acknowledged().size() >= 2; }));
  EXPECT_EQ(sink_.Acknowledged(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sink_.Sends(), 2u) << "batch a went out once";
}

TEST_F(DispatcherSinkTest, AReloadSendsTheNextAttemptWithTheNewConfig) {
  sink_.SetDefault(SendOutcome::Retry("error", "no response: refused"));
  dispatcher_->Configure({Hook("http://old.invalid/")});
  Commit("a");
  ASSERT_TRUE(WaitsFor(milliseconds(500)));
  sink_.SetDefault(SendOutcome::Acknowledged("200"));
  dispatcher_->Configure({Hook("http://new.invalid/")});  // wakes the worker from its backoff
  ASSERT_TRUE(WaitFor([&] { return sink_.Acknowledged().size() == 1; }));
  EXPECT_EQ(SentTo(), (std::vector<std::string>{"http://old.invalid/", "http://new.invalid/"}));
}

}  // namespace
}  // namespace presenced
