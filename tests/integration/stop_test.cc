// Stop with requests in flight: the real presenced, stopped (SIGTERM) while a webhook receiver
// never reads, while ably.auth_url never answers and while the Ably endpoint never answers, each
// with 30 s timeouts. Every stop logs "stopped cleanly" and exits 0 within 2 s; an abandoned
// webhook batch stays in the outbox and goes out after the next start.

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <string>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "net/local_server.h"
#include "webhook_receiver.h"

namespace presenced::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kStopWithin{2'000};

// Sends SIGTERM and expects "stopped cleanly" and exit 0 within kStopWithin.
void ExpectCleanStop(DaemonHarness& daemon) {
  const auto start = std::chrono::steady_clock::now();
  daemon.process().Signal(SIGTERM);
  const std::optional<int> code = daemon.process().Wait(kStopWithin);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(code.has_value()) << "still running " << kStopWithin.count() << "ms after SIGTERM\n"
                                << daemon.process().Stderr();
  EXPECT_EQ(*code, 0) << daemon.process().Stderr();
  EXPECT_LT(took, kStopWithin);
  EXPECT_NE(daemon.process().Stderr().find("stopped cleanly"), std::string::npos)
      << daemon.process().Stderr();
}

// A LocalServer whose handler never answers (until the server is destroyed), counting requests.
struct Hanging {
  std::atomic<int> requests{0};
  LocalServer server{[this](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&) {
    ++requests;
    server.gate().Wait();
  }};
};

TEST(StopTest, AWebhookReceiverThatNeverReadsDoesNotHoldUpTheStop) {
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  // Listens (the kernel accepts connections) but never reads a byte.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  const std::string silent_url = "http://127.0.0.1:" + std::to_string(silent.address().port());
  auto config = [&](const std::string& url) {
    return "ably:\n  endpoint: " + fake.BaseUrl() +
           "\npoll:\n  interval: 200ms\nchannels: [room]\n"
           "webhooks:\n  - name: main\n    url: " +
           url +
           "\n    format: events\n    timeout: 30s\n    batch: {max_events: 10, max_delay: 50ms}\n";
  };
  TempDir dir;
  DaemonHarness daemon(dir, config(silent_url));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake.Enter("room", "carol", "kc", R"("hi")");
  Poco::Net::StreamSocket held;  // accepted, never read
  ASSERT_TRUE(WaitFor([&] {
    if (!silent.poll(Poco::Timespan(0, 10'000), Poco::Net::Socket::SELECT_READ)) return false;
    held = silent.acceptConnection();
    return true;
  }));
  ExpectCleanStop(daemon);

  // The batch in flight stayed in the outbox: the next start delivers it.
  WebhookReceiver receiver;
  receiver.Start();
  DaemonHarness again(dir, config(receiver.Url()));
  ASSERT_TRUE(again.Start());
  ASSERT_TRUE(WaitFor([&] { return receiver.Count() >= 1; }));
  EXPECT_NE(receiver.Requests()[0].body.find(R"("clientId":"carol")"), std::string::npos);
  ExpectCleanStop(again);
}

TEST(StopTest, AnAuthUrlThatNeverAnswersDoesNotHoldUpTheStop) {
  Hanging auth;
  FakeAblyServer fake(FakeOptions());
  fake.Start();
  TempDir dir;
  DaemonHarness daemon(dir,
                       "ably:\n  endpoint: " + fake.BaseUrl() +
                           "\n  auth_url: " + auth.server.Url("/token") +
                           "\n  request_timeout: 30s\n  connect_timeout: 30s\n"
                           "poll:\n  interval: 200ms\nchannels: [room]\n",
                       {});
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor([&] { return auth.requests > 0; }));
  ExpectCleanStop(daemon);
}

TEST(StopTest, AnAblyEndpointThatNeverAnswersDoesNotHoldUpTheStop) {
  Hanging ably;
  TempDir dir;
  DaemonHarness daemon(dir, "ably:\n  endpoint: " + ably.server.Url("") +
                                "\n  request_timeout: 30s\n"
                                "poll:\n  interval: 200ms\nchannels: [a, b, c]\n"
                                "discovery:\n  prefixes: [room]\n");
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(WaitFor([&] { return ably.requests > 0; }));
  ExpectCleanStop(daemon);
}

}  // namespace
}  // namespace presenced::testing
