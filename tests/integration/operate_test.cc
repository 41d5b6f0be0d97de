// End-to-end operations: reload by SIGHUP and POST /-/reload, systemd notifications, and the
// metric families of CONTRACT §7 on the live endpoint.

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "daemon_harness.h"
#include "fake_ably/fake_ably_server.h"
#include "notify_socket.h"

namespace presenced::testing {
namespace {

using std::chrono::seconds;

class OperateTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.Start(); }
  std::string Config(const std::string& channels, const std::string& extra = "") {
    return "ably:\n  endpoint: " + fake_.BaseUrl() +
           "\npoll:\n  interval: 200ms\noutput:\n  stdout: true\nchannels: " + channels + "\n" +
           extra;
  }
  bool Polled(const std::string& channel, size_t after) {
    const auto requests = fake_.Requests();
    for (size_t i = after; i < requests.size(); ++i) {
      for (const auto& c : requests[i].channels) {
        if (c == channel) return true;
      }
    }
    return false;
  }

  TempDir dir_;
  FakeAblyServer fake_{FakeOptions()};
};

TEST_F(OperateTest, ReloadAppliesChannelsWithoutEventsAndKeepsOldConfigOnError) {
  fake_.Enter("a", "bob", "kb", R"("x")");
  fake_.Enter("b", "carol", "kc", R"("y")");
  DaemonHarness daemon(dir_, Config("[a]"));
  daemon.EnableLifecycle();
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());

  daemon.RewriteConfig(Config("[b]"));
  const size_t before = fake_.RequestCount();
  daemon.process().Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Polled("b", before); }));
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels") == 1; }));
  EXPECT_EQ(daemon.Metric("presenced_config_last_reload_successful"), 1);
  // b started as a baseline (no enter for carol), a was dropped without a leave for bob.
  ASSERT_TRUE(daemon.WaitCycles(2));
  EXPECT_TRUE(daemon.process().StdoutLines().empty()) << daemon.process().Stdout();
  EXPECT_EQ(daemon.Metrics().find("channel=\"a\""), std::string::npos) << "series of a removed";

  daemon.RewriteConfig("channels: [b]\npoll:\n  interval: never\n");
  const HttpReply rejected = Request(daemon.port(), "POST", "/-/reload");
  EXPECT_EQ(rejected.status, 500);
  EXPECT_NE(rejected.body.find("poll.interval"), std::string::npos) << rejected.body;
  EXPECT_EQ(daemon.Metric("presenced_config_last_reload_successful"), 0);
  fake_.Enter("b", "dave", "kd", R"("z")");  // the old config keeps running
  ASSERT_TRUE(WaitFor([&] { return daemon.process().Stdout().find("dave") != std::string::npos; }));

  daemon.RewriteConfig(Config("[a, b]"));
  EXPECT_EQ(Request(daemon.port(), "POST", "/-/reload").status, 200);
  ASSERT_TRUE(
      WaitFor([&] { return daemon.Metric("presenced_config_last_reload_successful") == 1; }));
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("presenced_channels") == 2; }));
}

// yaml-cpp 0.7's LoadAll loops forever, allocating, on this file: neither --check-config (the
// unit's ExecStartPre) nor a reload may hang or grow; both report a config error.
TEST_F(OperateTest, AFileThatLoopedYamlCppIsAConfigErrorForCheckAndReload) {
  const std::string trigger =
      std::string(PRESENCED_TESTDATA) + "/config/invalid-yaml-cpp-comma-loop.yaml";
  ChildProcess check({PRESENCED_BINARY, "--check-config", "--config", trigger},
                     {{"ABLY_API_KEY", kFakeKey}});
  ASSERT_EQ(check.Wait(seconds(30)), 1) << check.Stderr();
  EXPECT_NE(check.Stderr().find("syntax error: unexpected ',' (line 1)"), std::string::npos)
      << check.Stderr();

  fake_.Enter("a", "bob", "kb", R"("x")");
  DaemonHarness daemon(dir_, Config("[a]"));
  daemon.EnableLifecycle();
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  std::ofstream(daemon.config_path(), std::ios::trunc) << ReadFile(trigger);  // as it is
  const HttpReply rejected = Request(daemon.port(), "POST", "/-/reload");
  EXPECT_EQ(rejected.status, 500);
  EXPECT_NE(rejected.body.find("syntax error: unexpected ','"), std::string::npos) << rejected.body;
  EXPECT_EQ(daemon.Metric("presenced_config_last_reload_successful"), 0);
  daemon.process().Signal(SIGHUP);           // the same file again, by signal
  fake_.Enter("a", "dave", "kd", R"("z")");  // the old config keeps running
  ASSERT_TRUE(WaitFor([&] { return daemon.process().Stdout().find("dave") != std::string::npos; }));
  EXPECT_TRUE(daemon.process().Running());
  EXPECT_EQ(daemon.Metric("presenced_config_last_reload_successful"), 0);
}

// POST /-/reload is a lifecycle endpoint: without http.lifecycle: true anyone who can reach
// http.listen is refused, and the config stays as it is.
TEST_F(OperateTest, ReloadOverHttpNeedsHttpLifecycle) {
  DaemonHarness daemon(dir_, Config("[a]"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  daemon.RewriteConfig(Config("[a, b]"));
  const HttpReply refused = Request(daemon.port(), "POST", "/-/reload");
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("http.lifecycle: true"), std::string::npos) << refused.body;
  EXPECT_EQ(Request(daemon.port(), "POST", "/-/sync?webhook=main").status, 403);
  ASSERT_TRUE(daemon.WaitCycles(2));
  EXPECT_EQ(daemon.Metric("presenced_channels"), 1);  // the new config was not applied
}

TEST_F(OperateTest, SpeaksTheSystemdNotifyProtocol) {
  NotifySocket notify(dir_.path() + "/notify.sock");
  auto env = std::map<std::string, std::string>{{"ABLY_API_KEY", kFakeKey},
                                                {"NOTIFY_SOCKET", dir_.path() + "/notify.sock"},
                                                {"WATCHDOG_USEC", "400000"}};
  DaemonHarness daemon(dir_, Config("[a]"), env);
  ASSERT_TRUE(daemon.Start());
  EXPECT_TRUE(notify.WaitFor("READY=1", seconds(10)));
  EXPECT_TRUE(notify.WaitFor("STATUS=1 channels", seconds(10)));
  EXPECT_TRUE(notify.WaitFor("WATCHDOG=1", seconds(10)));
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(notify.WaitFor("RELOADING=1", seconds(10)));
  EXPECT_TRUE(notify.WaitFor("READY=1", seconds(10)));
  daemon.process().Signal(SIGTERM);
  EXPECT_TRUE(notify.WaitFor("STOPPING=1", seconds(10)));
  EXPECT_EQ(daemon.process().Wait(seconds(5)), 0);
}

TEST_F(OperateTest, ExposesEveryContractMetric) {
  // Families labelled by what happened (HTTP status, Ably error code) get their first series from
  // the first such event: a refused webhook request and a per-channel error.
  fake_.SetChannelError("b", 40160, 401);
  DaemonHarness daemon(dir_, Config("[a, b]",
                                    "webhooks:\n  - name: main\n    url: http://127.0.0.1:9/\n"
                                    "    retry: {initial_backoff: 50ms}\n"));
  ASSERT_TRUE(daemon.Start());
  ASSERT_TRUE(daemon.WaitReady());
  fake_.Enter("a", "bob", "kb", R"("x")");
  ASSERT_TRUE(WaitFor([&] {
    return daemon.Metrics().find(R"(presenced_webhook_requests_total{status="error")") !=
           std::string::npos;
  }));
  const std::string metrics = daemon.Metrics();
  const char* families[][2] = {
      {"presenced_build_info", "gauge"},
      {"presenced_channels", "gauge"},
      {"presenced_channels_stale", "gauge"},
      {"presenced_members", "gauge"},
      {"presenced_clients", "gauge"},
      {"presenced_events_total", "counter"},
      {"presenced_poll_cycles_total", "counter"},
      {"presenced_poll_cycle_duration_seconds", "histogram"},
      {"presenced_poll_overruns_total", "counter"},
      {"presenced_api_requests_total", "counter"},
      {"presenced_api_request_duration_seconds", "histogram"},
      {"presenced_ably_billable_messages_total", "counter"},
      {"presenced_channel_fetch_errors_total", "counter"},
      {"presenced_channel_last_success_timestamp_seconds", "gauge"},
      {"presenced_webhook_requests_total", "counter"},
      {"presenced_webhook_events_delivered_total", "counter"},
      {"presenced_webhook_pending_events", "gauge"},
      {"presenced_webhook_oldest_pending_age_seconds", "gauge"},
      {"presenced_webhook_dead_letter_events", "gauge"},
      {"presenced_webhook_delivery_duration_seconds", "histogram"},
      {"presenced_config_last_reload_successful", "gauge"},
      {"presenced_config_last_reload_success_timestamp_seconds", "gauge"},
  };
  for (const auto& [name, type] : families) {
    EXPECT_NE(metrics.find(std::string("# TYPE ") + name + " " + type + "\n"), std::string::npos)
        << name;
  }
  EXPECT_EQ(MetricValue(metrics, R"(presenced_members{channel="a"})"), 1);
  EXPECT_EQ(MetricValue(metrics, R"(presenced_webhook_pending_events{webhook="main"})"), 1);
  EXPECT_GE(MetricValue(metrics, R"(presenced_channel_fetch_errors_total{code="40160"})"), 1);
  EXPECT_NE(metrics.find("presenced_build_info{"), std::string::npos);
  EXPECT_EQ(metrics.find(kFakeKey), std::string::npos);
  EXPECT_EQ(metrics.find("fakesecret"), std::string::npos);
}

}  // namespace
}  // namespace presenced::testing
