// Delivery end to end on one machine: real StateStore, real Poco HttpClient, a WebhookReceiver
// on port 0 that can fail, stall or be down. Backoffs and batch delays run on a FakeClock
// (DispatcherFakeTimeTest); the rest uses real, short durations.

#include "delivery/dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <regex>

#include "common/random.h"
#include "delivery/dead_letters.h"
#include "delivery/router.h"
#include "delivery/signer.h"
#include "fakes/fake_clock.h"
#include "fakes/test_support.h"
#include "fakes/webhook_receiver.h"
#include "presence/channel_state.h"

namespace presenced {
namespace {

using std::chrono::milliseconds;
using testing::ReceivedWebhook;
using testing::WaitFor;
using testing::WebhookReceiver;

// Wraps the real client and counts requests in progress, so a test knows one is in flight.
class CountingHttpClient final : public HttpClient {
 public:
  HttpResult Send(const HttpRequest& request) override {
    ++in_flight;
    HttpResult result = inner_->Send(request);
    --in_flight;
    return result;
  }
  std::atomic<int> in_flight{0};

 private:
  std::unique_ptr<HttpClient> inner_ = MakePocoHttpClient(TlsOptions{});
};

std::vector<std::string> ClientIds(const std::string& body) {
  static const std::regex kClientId(R"re("clientId":"([^"]*)")re");
  std::vector<std::string> ids;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), kClientId);
       it != std::sregex_iterator(); ++it) {
    ids.push_back((*it)[1]);
  }
  return ids;
}

std::vector<std::string> Names(int from, int to) {
  std::vector<std::string> names;
  for (int i = from; i < to; ++i) names.push_back("m" + std::to_string(i));
  return names;
}

// Returns the value of the exposition line starting with `series` ("name{labels}"), or -1.
double MetricValue(const Metrics& metrics, const std::string& series) {
  const std::string text = metrics.Serialize();
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    receiver_.Start();
    Reopen();
  }

  void Reopen() {
    dispatcher_.reset();
    store_.reset();
    auto store = StateStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(store).value();
    dispatcher_ = std::make_unique<Dispatcher>(*store_, http_, metrics_, clock(), random_);
  }

  const Clock& clock() const {
    if (fake_time_) return fake_clock_;
    return system_clock_;
  }

  WebhookConfig Hook(const std::string& name = "w") const {
    WebhookConfig w;
    w.name = name;
    w.url = receiver_.Url();
    w.format = WebhookConfig::Format::kEvents;
    w.batch_max_events = 100;
    w.batch_max_delay = milliseconds(10);
    w.timeout = milliseconds(5'000);
    w.retry_initial_backoff = milliseconds(20);
    w.retry_max_backoff = milliseconds(100);
    w.retry_give_up_after = std::chrono::hours(1);
    return w;
  }

  // Commits one cycle's events (client ids `names` on channel "c") and wakes the workers.
  void Commit(const std::vector<WebhookConfig>& hooks, const std::vector<std::string>& names) {
    std::vector<Event> events;
    for (const std::string& name : names) {
      Event e;
      e.channel = "c";
      e.action = Action::kEnter;
      e.client_id = name;
      e.connection_id = "conn";
      e.member_id = "conn:" + name;
      e.timestamp = clock().NowMs();
      e.observed_at = clock().NowMs();
      e.id = EventId(e.channel, e.client_id, e.connection_id, e.action, e.member_id);
      events.push_back(e);
    }
    ASSERT_TRUE(store_->CommitCycle({}, {}, Route(hooks, events)).ok());
    dispatcher_->Notify();
  }

  // Client ids of every 2xx-answered request of `receiver`, in arrival order.
  static std::vector<std::string> Delivered(const WebhookReceiver& receiver) {
    std::vector<std::string> ids;
    for (const ReceivedWebhook& r : receiver.Requests()) {
      if (r.answered / 100 != 2) continue;
      for (std::string& id : ClientIds(r.body)) ids.push_back(std::move(id));
    }
    return ids;
  }

  bool WaitDelivered(const std::vector<std::string>& want) {
    return WaitFor([&] { return Delivered(receiver_).size() >= want.size(); }) &&
           Delivered(receiver_) == want;
  }

  testing::TempDir dir_;
  WebhookReceiver receiver_;
  bool fake_time_ = false;
  SystemClock system_clock_;
  SeededRandom random_{1};
  testing::FakeClock fake_clock_;
  Metrics metrics_{true};
  CountingHttpClient http_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, RetriesFailuresWithTheSameIdAndDeliversInOrder) {
  receiver_.SetStatus(503);
  WebhookConfig hook = Hook();
  hook.batch_max_events = 2;
  dispatcher_->Configure({hook});
  Commit({hook}, Names(0, 5));
  ASSERT_TRUE(WaitFor([&] { return receiver_.Count() >= 3; }));
  Commit({hook}, Names(5, 7));
  receiver_.SetStatus(200);
  EXPECT_TRUE(WaitDelivered(Names(0, 7))) << ::testing::PrintToString(Delivered(receiver_));

  const std::vector<ReceivedWebhook> requests = receiver_.Requests();
  const std::string first_id = requests.front().headers.at("webhook-id");
  std::set<std::string> ids;
  for (const ReceivedWebhook& r : requests) {
    EXPECT_LE(ClientIds(r.body).size(), 2u);
    if (r.answered != 200) {
      EXPECT_EQ(r.headers.at("webhook-id"), first_id) << "retries keep the id";
    } else {
      EXPECT_TRUE(ids.insert(r.headers.at("webhook-id")).second) << "one 2xx per batch";
    }
  }
  EXPECT_TRUE(WaitFor([&] {
    return MetricValue(metrics_, R"(presenced_webhook_events_delivered_total{webhook="w"})") == 7 &&
           MetricValue(metrics_, R"(presenced_webhook_pending_events{webhook="w"})") == 0;
  })) << metrics_.Serialize();
  EXPECT_GE(MetricValue(metrics_, R"(presenced_webhook_requests_total{status="503",webhook="w"})"),
            3);
}

TEST_F(DispatcherTest, DeliversAfterADownReceiverComesBack) {
  receiver_.TakeDown();
  const WebhookConfig hook = Hook();
  dispatcher_->Configure({hook});
  Commit({hook}, Names(0, 3));
  ASSERT_TRUE(WaitFor([&] {
    return MetricValue(metrics_,
                       R"(presenced_webhook_requests_total{status="error",webhook="w"})") >= 2;
  })) << metrics_.Serialize();
  EXPECT_GT(MetricValue(metrics_, R"(presenced_webhook_pending_events{webhook="w"})"), 0);
  receiver_.BringBack();
  EXPECT_TRUE(WaitDelivered(Names(0, 3)));
}

TEST_F(DispatcherTest, SignsAndSendsTheConfiguredHeaders) {
  WebhookConfig hook = Hook();
  hook.format = WebhookConfig::Format::kAbly;
  hook.secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  // The reserved ones (the config loader's list) are never sent from the config.
  hook.headers = {{"X-Team", "presence"},
                  {"webhook-id", "spoofed"},
                  {"User-Agent", "spoofed"},
                  {"Webhook-Custom", "spoofed"}};
  dispatcher_->Configure({hook});
  Commit({hook}, {"a"});
  ASSERT_TRUE(WaitDelivered({"a"}));
  const ReceivedWebhook r = receiver_.Requests().front();
  const std::string& id = r.headers.at("webhook-id");
  EXPECT_EQ(id.substr(0, 4), "msg_");
  const int64_t ts = std::stoll(r.headers.at("webhook-timestamp"));
  EXPECT_NEAR(static_cast<double>(ts), clock().NowMs() / 1000.0, 60);
  EXPECT_EQ(r.headers.at("webhook-signature"),
            StandardWebhookSignature(hook.secret.Reveal(), id, ts, r.body));
  EXPECT_EQ(r.headers.at("x-ably-signature"), AblySignature(hook.secret.Reveal(), r.body));
  EXPECT_EQ(r.headers.at("x-team"), "presence");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("user-agent").substr(0, 10), "presenced/");
  EXPECT_FALSE(r.headers.contains("webhook-custom"));
  EXPECT_NE(r.body.find(R"("source":"channel.presence")"), std::string::npos);
}

TEST_F(DispatcherTest, ASlowWebhookDoesNotHoldUpAnother) {
  WebhookReceiver stalled;
  stalled.Start();
  stalled.Stall();
  WebhookConfig slow = Hook("slow");
  slow.url = stalled.Url();
  const WebhookConfig fast = Hook("fast");
  dispatcher_->Configure({slow, fast});
  Commit({slow, fast}, Names(0, 2));
  ASSERT_TRUE(WaitFor([&] { return http_.in_flight.load() >= 1; }));
  Commit({slow, fast}, Names(2, 4));
  EXPECT_TRUE(WaitDelivered(Names(0, 4)));
  EXPECT_EQ(stalled.Count(), 0u);
  dispatcher_->Stop(milliseconds(0));
  stalled.Release();
}

TEST_F(DispatcherTest, StopAbandonsAStalledRequestAndARestartResendsItWithTheSameId) {
  receiver_.Stall();
  WebhookConfig hook = Hook();
  hook.batch_max_events = 2;
  dispatcher_->Configure({hook});
  Commit({hook}, Names(0, 4));
  ASSERT_TRUE(WaitFor([&] { return http_.in_flight.load() == 1; }));
  dispatcher_->Stop(milliseconds(100));
  EXPECT_EQ(http_.in_flight.load(), 1) << "Stop returned without waiting for the stalled request";
  receiver_.Release();  // the receiver now answers 200, but the worker was told to discard it
  ASSERT_TRUE(WaitFor([&] { return http_.in_flight.load() == 0; }));
  ASSERT_EQ(receiver_.Count(), 1u);
  const std::string in_flight_id = receiver_.Requests()[0].headers.at("webhook-id");

  Reopen();
  ASSERT_TRUE(store_->CurrentBatch("w")->has_value());
  dispatcher_->Configure({hook});
  EXPECT_TRUE(WaitDelivered({"m0", "m1", "m0", "m1", "m2", "m3"}))
      << ::testing::PrintToString(Delivered(receiver_));
  const std::vector<ReceivedWebhook> requests = receiver_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].headers.at("webhook-id"), in_flight_id);
  EXPECT_NE(requests[2].headers.at("webhook-id"), in_flight_id);
}

TEST_F(DispatcherTest, RestartResendsOnlyTheBatchInFlight) {
  receiver_.SetStatus(500);
  WebhookConfig hook = Hook();
  hook.batch_max_events = 2;
  hook.retry_initial_backoff = milliseconds(60'000);  // stays in backoff until stopped
  hook.retry_max_backoff = milliseconds(60'000);
  dispatcher_->Configure({hook});
  Commit({hook}, Names(0, 4));
  ASSERT_TRUE(WaitFor([&] { return receiver_.Count() >= 1; }));
  ASSERT_TRUE(WaitFor([&] { return (*store_->CurrentBatch("w"))->attempts == 1; }));
  dispatcher_->Stop(milliseconds(1'000));

  receiver_.SetStatus(200);
  Reopen();
  dispatcher_->Configure({hook});
  EXPECT_TRUE(WaitDelivered(Names(0, 4))) << ::testing::PrintToString(Delivered(receiver_));
  const std::vector<ReceivedWebhook> requests = receiver_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].headers.at("webhook-id"), requests[1].headers.at("webhook-id"));
  EXPECT_EQ(ClientIds(requests[0].body), ClientIds(requests[1].body));
}

TEST_F(DispatcherTest, ARemovedWebhookKeepsItsOutboxUntilItIsBack) {
  const WebhookConfig hook = Hook();
  receiver_.TakeDown();
  dispatcher_->Configure({hook});
  Commit({hook}, {"a"});
  ASSERT_TRUE(WaitFor([&] { return store_->CurrentBatch("w")->has_value(); }));
  dispatcher_->Configure({});
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_webhook_pending_events{webhook="w"})"), -1);
  EXPECT_EQ(store_->GetBacklog("w")->pending, 1u);
  receiver_.BringBack();
  dispatcher_->Configure({hook});
  EXPECT_TRUE(WaitDelivered({"a"}));
}

// A webhook removed while its request is in flight: its series go at once and stay gone after
// the request ends (the worker used to write them again, and into freed series).
TEST_F(DispatcherTest, ARemovedWebhooksSeriesStayGoneAfterItsRequestEnds) {
  receiver_.Stall();
  const WebhookConfig hook = Hook();
  dispatcher_->Configure({hook});
  Commit({hook}, {"a"});
  ASSERT_TRUE(WaitFor([&] { return http_.in_flight.load() == 1; }));
  dispatcher_->Configure({});
  EXPECT_EQ(metrics_.Serialize().find(R"(webhook="w")"), std::string::npos);
  receiver_.Release();
  // The request ends and is recorded in the store, then the worker exits.
  ASSERT_TRUE(WaitFor([&] { return store_->GetBacklog("w")->pending == 0; }));
  dispatcher_->Stop(milliseconds(10'000));  // waits for the retired worker to finish
  EXPECT_EQ(receiver_.Count(), 1u);
  EXPECT_EQ(metrics_.Serialize().find(R"(webhook="w")"), std::string::npos) << metrics_.Serialize();
}

// Reconfiguring and committing never wait for a worker stuck in a request: a webhook removed and
// added back while its request stalls used to make Configure join that worker.
TEST_F(DispatcherTest, ConfigureAndNotifyNeverWaitForAStalledRequest) {
  receiver_.Stall();
  WebhookConfig hook = Hook();
  hook.batch_max_events = 1;
  dispatcher_->Configure({hook});
  Commit({hook}, {"a"});
  ASSERT_TRUE(WaitFor([&] { return http_.in_flight.load() == 1; }));
  auto poll_thread = std::async(std::launch::async, [&] {
    dispatcher_->Configure({});
    dispatcher_->Configure({hook});
    Commit({hook}, {"b"});
    dispatcher_->Notify();
  });
  const bool returned = poll_thread.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  receiver_.Release();
  ASSERT_TRUE(returned) << "Configure/Commit/Notify waited for the stalled request";
  EXPECT_NE(metrics_.Serialize().find(R"(presenced_webhook_pending_events{webhook="w"})"),
            std::string::npos);
  // The old worker records its batch; the new one waits for it to exit and never sends that
  // batch a second time.
  ASSERT_TRUE(WaitFor([&] { return Delivered(receiver_).size() >= 2; }));
  EXPECT_EQ(Delivered(receiver_), (std::vector<std::string>{"a", "b"}));
}

// Backoffs, Retry-After, batch delays and give_up_after on fake time: the test moves the clock
// and sees the worker's wait through FakeClock::EarliestWait, instead of sleeping.
class DispatcherFakeTimeTest : public DispatcherTest {
 protected:
  void SetUp() override {
    fake_time_ = true;
    DispatcherTest::SetUp();
  }
  // Waits until the worker waits on the clock for a time in [low, high].
  bool WaitsFor(milliseconds low, milliseconds high) {
    return WaitFor([&] {
      const auto wait = fake_clock_.EarliestWait();
      return wait && *wait >= low && *wait <= high;
    });
  }
};

TEST_F(DispatcherFakeTimeTest, HonoursRetryAfter) {
  receiver_.SetStatus(429, "3");
  WebhookConfig hook = Hook();
  hook.retry_initial_backoff = milliseconds(1);
  hook.retry_max_backoff = milliseconds(2);
  dispatcher_->Configure({hook});
  Commit({hook}, {"a"});
  fake_clock_.Advance(hook.batch_max_delay);
  ASSERT_TRUE(WaitFor([&] { return receiver_.Count() >= 1; }));
  ASSERT_TRUE(WaitsFor(milliseconds(3'000), milliseconds(3'000)));
  receiver_.SetStatus(200);
  fake_clock_.Advance(milliseconds(2'999));
  ASSERT_TRUE(WaitsFor(milliseconds(1), milliseconds(1)));
  EXPECT_EQ(receiver_.Count(), 1u);
  fake_clock_.Advance(milliseconds(1));
  ASSERT_TRUE(WaitDelivered({"a"}));
  EXPECT_EQ(receiver_.Count(), 2u);
}

TEST_F(DispatcherFakeTimeTest, BacksOffExponentiallyUpToTheCap) {
  receiver_.SetStatus(503);
  WebhookConfig hook = Hook();
  hook.retry_initial_backoff = milliseconds(1'000);
  hook.retry_max_backoff = milliseconds(4'000);
  dispatcher_->Configure({hook});
  Commit({hook}, {"a"});
  fake_clock_.Advance(hook.batch_max_delay);
  // Full jitter: the n-th wait is uniform in [0, min(initial * 2^(n-1), max)].
  for (int64_t ceiling : {1'000, 2'000, 4'000, 4'000}) {
    const size_t sent = receiver_.Count();
    ASSERT_TRUE(WaitFor([&] {
      const auto wait = fake_clock_.EarliestWait();
      return receiver_.Count() > sent || (wait && *wait <= milliseconds(ceiling));
    }));
    fake_clock_.Advance(milliseconds(ceiling));
    ASSERT_TRUE(WaitFor([&] { return receiver_.Count() > sent; })) << "ceiling " << ceiling;
  }
  EXPECT_EQ(MetricValue(metrics_, R"(presenced_webhook_pending_events{webhook="w"})"), 1);
}

TEST_F(DispatcherFakeTimeTest, BatchesByMaxEventsThenMaxDelay) {
  WebhookConfig hook = Hook();
  hook.batch_max_events = 2;
  hook.batch_max_delay = milliseconds(300);
  dispatcher_->Configure({hook});
  Commit({hook}, Names(0, 5));
  ASSERT_TRUE(WaitDelivered(Names(0, 4)));
  ASSERT_TRUE(WaitsFor(milliseconds(300), milliseconds(300))) << "a partial batch waits";
  EXPECT_EQ(receiver_.Count(), 2u);
  fake_clock_.Advance(milliseconds(300));
  ASSERT_TRUE(WaitDelivered(Names(0, 5)));
  const std::vector<ReceivedWebhook> requests = receiver_.Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(ClientIds(requests[0].body).size(), 2u);
  EXPECT_EQ(ClientIds(requests[1].body).size(), 2u);
  EXPECT_EQ(ClientIds(requests[2].body).size(), 1u);
}

// Syncs of big channels: a batch ends before its payload passes a few MiB, whatever max_events.
TEST_F(DispatcherTest, BigSyncsAreSplitIntoRequestsOfAFewMebibytes) {
  WebhookConfig hook = Hook();
  hook.batch_max_events = 100;
  dispatcher_->Configure({hook});
  ChannelState members;  // 20,000 members, ~1.1 MB encoded, ~2.2 MB as JSON
  for (int i = 0; i < 20'000; ++i) {
    const std::string client = "user-" + std::to_string(100'000 + i);
    members.Append(MemberView{client, "conn", "conn:0:0", R"({"name":"someone"})", "", 1, 0});
  }
  std::vector<StateStore::OutboxEntry> syncs;
  for (const char* channel : {"c1", "c2", "c3", "c4"}) {
    syncs.push_back({"w", SyncEvent("w", channel, members.Encode(), 1)});
  }
  ASSERT_TRUE(store_->CommitCycle({}, {}, syncs).ok());
  dispatcher_->Notify();
  ASSERT_TRUE(WaitFor([&] {
    return metrics_.Serialize().find(
               R"(presenced_webhook_events_delivered_total{webhook="w"} 4)") != std::string::npos;
  }));
  const std::vector<ReceivedWebhook> requests = receiver_.Requests();
  // All four in one request would be ~9 MB.
  ASSERT_GE(requests.size(), 2u);
  for (const ReceivedWebhook& r : requests) EXPECT_LT(r.body.size(), 5u << 20);
}

// What a replay promises (README "Delivery guarantees"): dead letters go out again in their
// original order, before every event still pending, but after the batches delivered while they
// were dead: a dead-lettered batch is overtaken by newer ones.
TEST_F(DispatcherFakeTimeTest, GivesUpIntoDeadLettersAndReplaysThemInOrder) {
  receiver_.SetStatus(500);
  WebhookConfig hook = Hook();
  hook.batch_max_events = 2;
  hook.retry_initial_backoff = milliseconds(1'000);
  hook.retry_max_backoff = milliseconds(1'000);
  hook.retry_give_up_after = milliseconds(60'000);
  dispatcher_->Configure({hook});
  Commit({hook}, Names(0, 2));
  ASSERT_TRUE(WaitFor([&] { return receiver_.Count() >= 1; }));
  ASSERT_TRUE(WaitFor([&] { return fake_clock_.EarliestWait().has_value(); }));
  fake_clock_.Advance(milliseconds(60'000));  // the next failure is past give_up_after
  ASSERT_TRUE(WaitFor([&] { return store_->GetBacklog("w")->dead_letters == 2; }));
  EXPECT_TRUE(WaitFor([&] {
    return MetricValue(metrics_, R"(presenced_webhook_dead_letter_events{webhook="w"})") == 2;
  })) << metrics_.Serialize();
  const std::string described = *DescribeDeadLetters(*store_);
  EXPECT_NE(described.find("w: 2 events"), std::string::npos) << described;
  EXPECT_NE(described.find("HTTP 500"), std::string::npos) << described;

  receiver_.SetStatus(200);
  Commit({hook}, {"later"});
  fake_clock_.Advance(milliseconds(10));  // batch.max_delay for the partial batch
  ASSERT_TRUE(WaitDelivered({"later"}));
  receiver_.Stall();  // hold the next batch in flight while replaying
  Commit({hook}, Names(10, 12));
  ASSERT_TRUE(WaitFor([&] { return http_.in_flight.load() == 1; }));
  Commit({hook}, Names(12, 14));
  auto moved = ReplayDeadLetters(*store_, "w");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 2u);
  receiver_.Release();
  dispatcher_->Notify();
  EXPECT_TRUE(WaitDelivered({"later", "m10", "m11", "m0", "m1", "m12", "m13"}))
      << ::testing::PrintToString(Delivered(receiver_));
  EXPECT_EQ(*DescribeDeadLetters(*store_), "no dead letters\n");
}

}  // namespace
}  // namespace presenced
