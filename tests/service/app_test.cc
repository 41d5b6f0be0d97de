// App with its parts injected (STYLE §9): the standard makers, with those that do I/O replaced by
// a scripted presence source, an HTTP client that has no network and an HTTP server that only
// keeps its handlers, so the whole daemon loop runs in process, on a fake clock.

#include "service/app.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fake_http_client.h"
#include "fake_presence_source.h"
#include "fakes/fake_clock.h"
#include "fakes/notify_socket.h"
#include "fakes/test_support.h"
#include "state/sqlite_db.h"

namespace presenced {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeHttpClient;
using testing::FakeSource;
using testing::MetricValue;
using testing::TempDir;
using testing::WaitFor;
using Names = std::vector<std::string>;

HttpResult NoNetwork(const HttpRequest&) {
  return TransportError{TransportFailure::kConnect, "no network in this test"};
}

Config ConfigWith(const std::string& state_dir, const std::string& channels,
                  const std::string& interval = "100ms", const std::string& extra = "") {
  const std::string yaml =
      "channels: " + channels + "\npoll: {interval: " + interval + "}\nstate: {dir: " + state_dir +
      "}\nhttp: {listen: '127.0.0.1:0'}\nmetrics: {per_channel: false}\n" + extra;
  auto config = ParseConfig(yaml, "app_test.yaml", [](const std::string& name) {
    return name == "ABLY_API_KEY" ? std::optional<std::string>("app.key:secret") : std::nullopt;
  });
  EXPECT_TRUE(config.ok()) << config.error().message;
  return std::move(*config);
}

// A source with ann and bob in room:a and cy in room:b.
std::unique_ptr<FakeSource> ScriptedSource() {
  auto source = std::make_unique<FakeSource>();
  source->Enter("room:a", "ann", "1");
  source->Enter("room:a", "bob", "2");
  source->Enter("room:b", "cy", "3");
  return source;
}

TEST(AppTest, RunsOnTheInjectedPartsAndBuildsANewSourceOnAReload) {
  TempDir dir;
  const SystemClock clock;
  SeededRandom random(1);
  std::atomic<int> sources_made{0};
  std::atomic<int> http_clients_made{0};
  AppDeps deps;
  deps.load_config = [&](const std::string&) -> Result<Config> {
    return ConfigWith(dir.path(), "[room:a, room:b]");
  };
  deps.clock = &clock;
  deps.metrics = std::make_unique<Metrics>(false);
  const Metrics& metrics = *deps.metrics;
  deps.notifier = std::make_unique<SystemdNotifier>("");
  deps.makers = StandardMakers(random);
  deps.makers.http = [&](const TlsOptions&) {
    ++http_clients_made;
    return std::make_unique<FakeHttpClient>(NoNetwork);
  };
  deps.makers.source = [&](const AblyConfig&, HttpClient&, Metrics&, const Clock&, AblyAuth&) {
    ++sources_made;
    return ScriptedSource();
  };
  App app(std::make_shared<const Config>(ConfigWith(dir.path(), "[room:a]")), std::move(deps));
  std::atomic<int> exit_code{-1};
  std::thread run([&] { exit_code = app.Run(); });

  // The members come from the injected source; nothing went to the network.
  EXPECT_TRUE(WaitFor([&] { return MetricValue(metrics, "presenced_members") == 2; }));
  EXPECT_EQ(sources_made, 1);
  EXPECT_EQ(http_clients_made, 2);  // one for Ably, one for the webhooks

  // A reload builds the source again from the injected maker, with the new channel list.
  EXPECT_TRUE(app.RequestReload().ok());
  EXPECT_TRUE(WaitFor([&] { return MetricValue(metrics, "presenced_members") == 3; }));
  EXPECT_EQ(sources_made, 2);
  EXPECT_EQ(MetricValue(metrics, "presenced_channels"), 2);

  app.RequestStop();
  run.join();
  EXPECT_EQ(exit_code, 0);
}

// The source learns poll.interval (it spreads a cycle's requests over half of it): when it is
// made, and again when a reload makes a new one.
TEST(AppTest, EachSourceIsToldThePollInterval) {
  TempDir dir;
  const SystemClock clock;
  SeededRandom random(1);
  std::mutex mu;
  std::vector<std::chrono::milliseconds> told;
  AppDeps deps;
  deps.load_config = [&](const std::string&) -> Result<Config> {
    return ConfigWith(dir.path(), "[room:a]", "250ms");
  };
  deps.clock = &clock;
  deps.metrics = std::make_unique<Metrics>(false);
  deps.notifier = std::make_unique<SystemdNotifier>("");
  deps.makers = StandardMakers(random);
  deps.makers.http = [&](const TlsOptions&) { return std::make_unique<FakeHttpClient>(NoNetwork); };
  deps.makers.source = [&](const AblyConfig&, HttpClient&, Metrics&, const Clock&, AblyAuth&) {
    auto source = ScriptedSource();
    source->on_poll_interval = [&](std::chrono::milliseconds interval) {
      std::lock_guard lock(mu);
      told.push_back(interval);
    };
    return source;
  };
  App app(std::make_shared<const Config>(ConfigWith(dir.path(), "[room:a]")), std::move(deps));
  std::thread run([&] { app.Run(); });
  const auto told_count = [&] {
    std::lock_guard lock(mu);
    return told.size();
  };
  EXPECT_TRUE(WaitFor([&] { return told_count() == 1; }));
  EXPECT_TRUE(app.RequestReload().ok());
  EXPECT_TRUE(WaitFor([&] { return told_count() == 2; }));
  app.RequestStop();
  run.join();
  std::lock_guard lock(mu);
  EXPECT_EQ(told, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100),
                                                          std::chrono::milliseconds(250)}));
}

// An HTTP client without network that records Abort() and lets a test wait for it.
class AbortRecorder final : public HttpClient {
 public:
  HttpResult Send(const HttpRequest& request) override { return NoNetwork(request); }
  void Abort() override {
    std::lock_guard lock(mu_);
    aborted_ = true;
    cv_.notify_all();
  }
  // Waits up to `deadline` for Abort(); returns whether it came.
  bool WaitAborted(std::chrono::milliseconds deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, deadline, [this] { return aborted_; });
  }
  bool aborted() {
    std::lock_guard lock(mu_);
    return aborted_;
  }

 private:
  std::mutex mu_;  // guards aborted_
  std::condition_variable cv_;
  bool aborted_ = false;
};

// An HTTP client App owns that forwards to a recorder the test owns (it outlives the App's).
class Forwarding final : public HttpClient {
 public:
  explicit Forwarding(AbortRecorder& to) : to_(to) {}
  HttpResult Send(const HttpRequest& request) override { return to_.Send(request); }
  void Abort() override { to_.Abort(); }

 private:
  AbortRecorder& to_;
};

// A source whose every fetch hangs, as a request to an Ably that never answers does, until its
// HTTP client is aborted (or 20 s pass).
class HangingSource final : public PresenceSource {
 public:
  explicit HangingSource(AbortRecorder& http) : http_(http) {}
  void StreamPresence(const std::vector<std::string>& channels, const std::atomic<bool>&,
                      const ChannelConsumer& consume) override {
    fetching = true;
    http_.WaitAborted(20s);
    for (size_t i = 0; i < channels.size(); ++i) {
      ChannelPresence failed;
      failed.channel = channels[i];
      consume(i, failed);
    }
  }
  void StreamHistory(const std::vector<HistoryRequest>&, const std::atomic<bool>&,
                     const HistoryConsumer&) override {}
  Result<std::vector<std::string>> ListChannels(const std::string&,
                                                const std::atomic<bool>&) override {
    return std::vector<std::string>{};
  }
  std::atomic<bool> fetching{false};

 private:
  AbortRecorder& http_;
};

TEST(AppTest, AStopAbortsTheAblyRequestsInFlightAtOnceAndTheWebhooksAfterTheDeadline) {
  TempDir dir;
  const SystemClock clock;
  SeededRandom random(1);
  AbortRecorder clients[2];  // [0] Ably, [1] webhooks (made in that order)
  int made = 0;
  std::atomic<HangingSource*> source{nullptr};
  AppDeps deps;
  deps.load_config = [&](const std::string&) -> Result<Config> {
    return ConfigWith(dir.path(), "[room:a]");
  };
  deps.clock = &clock;
  deps.metrics = std::make_unique<Metrics>(false);
  deps.notifier = std::make_unique<SystemdNotifier>("");
  deps.makers = StandardMakers(random);
  deps.makers.http = [&](const TlsOptions&) {
    return std::make_unique<Forwarding>(clients[std::min(made++, 1)]);
  };
  // The source gets App's ReplaceableHttpClient around clients[0] (the Ably client, made first).
  deps.makers.source = [&](const AblyConfig&, HttpClient&, Metrics&, const Clock&, AblyAuth&) {
    auto hanging = std::make_unique<HangingSource>(clients[0]);
    source = hanging.get();
    return hanging;
  };
  App app(std::make_shared<const Config>(ConfigWith(dir.path(), "[room:a]")), std::move(deps));
  std::atomic<bool> returned{false};
  std::thread run([&] {
    EXPECT_EQ(app.Run(), 0);
    returned = true;
  });
  ASSERT_TRUE(WaitFor([&] { return source != nullptr && source.load()->fetching; }));
  const auto stop = std::chrono::steady_clock::now();
  app.RequestStop();
  EXPECT_TRUE(clients[0].WaitAborted(1s)) << "the Ably client is aborted at once";
  EXPECT_TRUE(WaitFor([&] { return returned.load(); }, 3s));
  EXPECT_LT(std::chrono::steady_clock::now() - stop, 2s);
  EXPECT_TRUE(clients[1].aborted()) << "the webhook client is aborted once delivery stopped";
  run.join();
  EXPECT_EQ(made, 2);
}

// An HTTP server that serves nothing: the test calls the handlers App gave it. It records the TLS
// files of every Secure() (a reload).
class HandlersOnly final : public HttpServer {
 public:
  explicit HandlersOnly(std::vector<std::string>* secured = nullptr) : secured_(secured) {}
  uint16_t port() const override { return 0; }
  void Stop() override {}
  Status Secure(const HttpTlsConfig& tls, const std::map<std::string, std::string>&) override {
    if (secured_) secured_->push_back(tls.cert_file);
    return Ok{};
  }

 private:
  std::vector<std::string>* secured_;
};

// App on a FakeClock (poll.interval 10s of fake time): a test moves time cycle by cycle and looks
// at what the loop did through the metrics and the handlers of GET /-/ready.
class AppOnFakeClockTest : public ::testing::Test {
 protected:
  ~AppOnFakeClockTest() override {
    if (app_) app_->RequestStop();
    if (run_.joinable()) run_.join();
  }

  // Runs App on `channels`; returns once its first cycle ran.
  void Start(const std::string& channels, const std::string& extra = "") {
    AppDeps deps;
    deps.load_config = [this](const std::string&) { return reload_(); };
    deps.clock = &clock_;
    deps.metrics = std::make_unique<Metrics>(false);
    metrics_ = deps.metrics.get();
    deps.notifier = notifier_ ? std::move(notifier_) : std::make_unique<SystemdNotifier>("");
    deps.makers = StandardMakers(random_);
    deps.makers.http = [this](const HttpClientOptions& options) {
      // Every request answers 200 and is recorded with the ca_file of the client that sent it.
      return std::make_unique<FakeHttpClient>([this, ca = options.ca_file](const HttpRequest& r) {
        std::lock_guard lock(mu_);
        sent_.emplace_back(ca, r.url);
        return HttpResult(HttpResponse{200, {}, ""});
      });
    };
    deps.makers.source = [this](const AblyConfig&, HttpClient&, Metrics&, const Clock&, AblyAuth&) {
      auto source = ScriptedSource();
      std::lock_guard lock(mu_);
      sources_.push_back(source.get());
      return source;
    };
    deps.makers.server = [this](const std::string&, uint16_t, HttpHandlers handlers,
                                HttpServerOptions) -> Result<std::unique_ptr<HttpServer>> {
      std::lock_guard lock(mu_);
      handlers_ = std::move(handlers);
      return std::unique_ptr<HttpServer>(std::make_unique<HandlersOnly>(&secured_));
    };
    app_ = std::make_unique<App>(std::make_shared<const Config>(Settings(channels, extra)),
                                 std::move(deps));
    run_ = std::thread([this] { exit_code_ = app_->Run(); });
    ASSERT_TRUE(WaitFor([&] { return Metric("presenced_poll_cycles_total") == 1 && Idle(); }, 2s));
  }

  Config Settings(const std::string& channels, const std::string& extra = "") const {
    return ConfigWith(state_dir(), channels, "10s", extra);
  }
  std::string state_dir() const { return dir_.path() + "/state"; }

  // True while the loop waits for its next cycle (and no one else waits on the clock).
  bool Idle() const {
    const auto wait = clock_.EarliestWait();
    return wait && *wait > 0ms;
  }
  // Moves fake time to the next cycle; true once that cycle ran and the loop waits again.
  bool Step() {
    if (!WaitFor([&] { return Idle(); }, 2s)) return false;
    clock_.Advance(*clock_.EarliestWait());
    return WaitFor([&] { return Idle(); }, 2s);
  }

  double Metric(const std::string& series) const { return MetricValue(*metrics_, series); }
  // What GET /-/ready answers: nullopt (200) or the reasons (503).
  std::optional<std::string> NotReady() {
    std::lock_guard lock(mu_);
    return handlers_.not_ready();
  }
  // What GET /-/healthy answers: nullopt (200) or the reason (503).
  std::optional<std::string> Unhealthy() {
    std::lock_guard lock(mu_);
    return handlers_.unhealthy();
  }
  // True once a request to `url` went out through a client made with `ca_file`.
  bool SentVia(const std::string& ca_file, const std::string& url) {
    std::lock_guard lock(mu_);
    return std::find(sent_.begin(), sent_.end(), std::make_pair(ca_file, url)) != sent_.end();
  }
  // The source the loop polls now (a reload makes a new one). Change it only while Idle().
  FakeSource& Source() {
    std::lock_guard lock(mu_);
    return *sources_.back();
  }
  size_t SourcesMade() {
    std::lock_guard lock(mu_);
    return sources_.size();
  }

  TempDir dir_;
  FakeClock clock_;
  SeededRandom random_{1};
  std::unique_ptr<SystemdNotifier> notifier_;  // set before Start to replace the silent one
  std::function<Result<Config>()> reload_;     // what a reload reads
  Metrics* metrics_ = nullptr;                 // owned by the App
  std::mutex mu_;                              // guards sources_, handlers_ and sent_
  std::vector<FakeSource*> sources_;           // every source made, owned by the App
  HttpHandlers handlers_;
  std::vector<std::pair<std::string, std::string>> sent_;  // (client's ca_file, url) per request
  std::vector<std::string> secured_;  // http.tls.cert_file of each Secure(), by the loop
  std::unique_ptr<App> app_;
  std::thread run_;
  std::atomic<int> exit_code_{-1};
};

TEST_F(AppOnFakeClockTest, AReloadAppliesFromTheNextCycleAndABadOneKeepsTheOldConfig) {
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]"));
  EXPECT_EQ(Metric("presenced_members"), 2);
  EXPECT_EQ(Source().fetched.back(), Names{"room:a"});

  // Applied by the loop between cycles: it starts a new cycle grid at once, with a new source.
  reload_ = [&]() -> Result<Config> { return Settings("[room:a, room:b]"); };
  ASSERT_TRUE(app_->RequestReload().ok());
  ASSERT_TRUE(WaitFor([&] { return Metric("presenced_channels") == 2 && Idle(); }, 2s));
  EXPECT_EQ(SourcesMade(), 2u);
  EXPECT_EQ(Source().fetched.back(), (Names{"room:a", "room:b"}));
  EXPECT_EQ(Metric("presenced_members"), 3);
  EXPECT_EQ(Metric("presenced_config_last_reload_successful"), 1);

  // A rejected file changes nothing: the next cycles run the config before it.
  reload_ = []() -> Result<Config> { return Error{"channels: must be a list (line 1)"}; };
  EXPECT_FALSE(app_->RequestReload().ok());
  EXPECT_EQ(Metric("presenced_config_last_reload_successful"), 0);
  ASSERT_TRUE(Step());
  ASSERT_TRUE(Step());
  EXPECT_EQ(SourcesMade(), 2u);
  EXPECT_EQ(Source().fetched.size(), 3u);
  EXPECT_EQ(Source().fetched.back(), (Names{"room:a", "room:b"}));
  EXPECT_EQ(Metric("presenced_channels"), 2);
  EXPECT_EQ(Metric("presenced_poll_cycles_total"), 4);
}

// Makes every write of a channel's state fail inside SQLite, as a full disk would: triggers,
// created through a second connection, that the daemon's own commits run into. The failed
// transaction rolls back like any other, so App's handling of it is the production one.
void BreakStateWrites(const std::string& db_path, bool broken) {
  Result<SqliteDb> db = SqliteDb::Open(db_path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->Exec("PRAGMA busy_timeout=5000").ok());
  const std::string sql = broken ? "CREATE TRIGGER fail_snapshots BEFORE INSERT ON snapshots "
                                   "BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;"
                                   "CREATE TRIGGER fail_deltas BEFORE INSERT ON snapshot_deltas "
                                   "BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;"
                                 : "DROP TRIGGER fail_snapshots; DROP TRIGGER fail_deltas;";
  Status done = db->Exec(sql);
  ASSERT_TRUE(done.ok()) << done.error().message;
}

TEST_F(AppOnFakeClockTest, AFailedCommitMakesItUnreadyUntilACommitSucceeds) {
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]"));
  EXPECT_EQ(NotReady(), std::nullopt);
  ASSERT_NO_FATAL_FAILURE(BreakStateWrites(state_dir() + "/presenced.db", true));

  Source().Enter("room:a", "dan", "4");
  ASSERT_TRUE(Step());
  EXPECT_EQ(Metric("presenced_state_commit_failures_total"), 1);
  const std::optional<std::string> reason = NotReady();
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("state commits are failing"), std::string::npos) << *reason;
  EXPECT_EQ(Metric("presenced_members"), 2) << "nothing is adopted before it is committed";
  ASSERT_TRUE(Step());
  EXPECT_EQ(Metric("presenced_state_commit_failures_total"), 2) << "derived and refused again";
  EXPECT_TRUE(NotReady().has_value());

  ASSERT_NO_FATAL_FAILURE(BreakStateWrites(state_dir() + "/presenced.db", false));
  ASSERT_TRUE(Step());
  EXPECT_EQ(NotReady(), std::nullopt);
  EXPECT_EQ(Metric("presenced_state_commit_failures_total"), 2);
  EXPECT_EQ(Metric("presenced_members"), 3);
  EXPECT_EQ(Metric(R"(presenced_events_total{action="enter"})"), 1) << "emitted once";
}

TEST_F(AppOnFakeClockTest, NoChannelFetchedForThreePollIntervalsMakesItUnready) {
  ASSERT_NO_FATAL_FAILURE(Start("[room:a, room:b]"));
  EXPECT_EQ(NotReady(), std::nullopt);
  Source().failing = {"room:a", "room:b"};
  ASSERT_TRUE(Step());  // 10 s without a successful fetch
  ASSERT_TRUE(Step());  // 20 s
  EXPECT_EQ(NotReady(), std::nullopt) << "two poll intervals are not enough";
  ASSERT_TRUE(Step());  // 30 s: three poll intervals
  const std::optional<std::string> reason = NotReady();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "no channel was fetched successfully for 30s (3 poll intervals)\n");

  Source().failing = {"room:b"};  // one channel fetched is enough
  ASSERT_TRUE(Step());
  EXPECT_EQ(NotReady(), std::nullopt);
}

TEST_F(AppOnFakeClockTest, TheStateFileDeletedWhileRunningEndsTheRunWithExitCode1) {
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]"));
  ASSERT_TRUE(std::filesystem::remove(state_dir() + "/presenced.db"));
  clock_.Advance(*clock_.EarliestWait());
  ASSERT_TRUE(WaitFor([&] { return exit_code_ != -1; }, 2s));
  EXPECT_EQ(exit_code_, 1);
  EXPECT_EQ(Metric("presenced_poll_cycles_total"), 1) << "no cycle runs on a deleted file";
}

// The watchdog period comes from the notifier (RunDaemon reads $WATCHDOG_USEC), and the pings
// follow the injected clock.
TEST_F(AppOnFakeClockTest, PingsTheWatchdogEveryPeriodOfTheClock) {
  const std::string path = dir_.path() + "/notify.sock";
  testing::NotifySocket socket(path);
  notifier_ = std::make_unique<SystemdNotifier>(path, 3s);
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]"));
  ASSERT_TRUE(socket.WaitFor("READY=1", 2s));
  clock_.Advance(3s);
  EXPECT_TRUE(socket.WaitFor("WATCHDOG=1", 2s));
  clock_.Advance(3s);
  EXPECT_TRUE(socket.WaitFor("WATCHDOG=1", 2s));
}

// GET /-/healthy (CONTRACT §6): 200 while the poll loop makes progress, 503 once it has made
// none within the budget the systemd watchdog uses (here 2 × 10 s + 4 × 10 s + 60 s = 120 s), so
// Kubernetes and Docker restart a wedged daemon too.
TEST_F(AppOnFakeClockTest, HealthyAnswers503WhenThePollLoopMakesNoProgress) {
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]"));
  EXPECT_EQ(Unhealthy(), std::nullopt);
  std::mutex gate_mu;
  std::condition_variable gate;
  bool open = false;
  std::atomic<bool> blocked{false};
  Source().before_fetch = [&] {
    blocked = true;
    std::unique_lock lock(gate_mu);
    gate.wait(lock, [&] { return open; });
  };
  clock_.Advance(*clock_.EarliestWait());  // the next cycle starts and hangs in its fetch
  ASSERT_TRUE(WaitFor([&] { return blocked.load(); }, 2s));
  clock_.Advance(119s);
  EXPECT_EQ(Unhealthy(), std::nullopt) << "within the budget";
  clock_.Advance(2s);
  const std::optional<std::string> reason = Unhealthy();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "the poll loop has made no progress for 121s (budget 120s)");
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate.notify_all();
  EXPECT_TRUE(WaitFor([&] { return !Unhealthy().has_value(); }, 2s)) << "progress again";
}

// Code review (issue 18): a reload that changes ably.ca_file (or the proxy) must reach the
// webhooks' HTTP client too, not only Ably's.
TEST_F(AppOnFakeClockTest, AReloadWithANewCaFileReachesTheWebhooks) {
  const std::string hook =
      "webhooks:\n  - {name: w, url: 'http://hooks.test/p', batch: {max_delay: 0s}}\n";
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]", "ably: {ca_file: /old/ca.pem}\n" + hook));
  // Fake time runs on (the webhook worker waits on the clock as well) until `sent` holds.
  const auto advancing = [&](const std::function<bool()>& sent) {
    return WaitFor([&] {
      clock_.Advance(1s);
      return sent();
    });
  };
  Source().Enter("room:a", "dan", "4");
  EXPECT_TRUE(advancing([&] { return SentVia("/old/ca.pem", "http://hooks.test/p"); }));

  reload_ = [&]() -> Result<Config> {
    return Settings("[room:a]", "ably: {ca_file: /new/ca.pem}\n" + hook);
  };
  ASSERT_TRUE(app_->RequestReload().ok());
  // A reload applies at once and starts a cycle on the new source; its fetch is over once counted.
  const double cycles = Metric("presenced_poll_cycles_total");
  ASSERT_TRUE(WaitFor([&] { return Metric("presenced_poll_cycles_total") > cycles; }, 2s));
  ASSERT_EQ(SourcesMade(), 2u);
  Source().Enter("room:a", "eve", "5");
  EXPECT_TRUE(advancing([&] { return SentVia("/new/ca.pem", "http://hooks.test/p"); }));
}

// A reload tells systemd it began (RELOADING=1 with MONOTONIC_USEC, as Type=notify-reload wants)
// and READY=1 once the new config is live.
TEST_F(AppOnFakeClockTest, AReloadIsAnnouncedToSystemdAndEndsWithReady) {
  const std::string path = dir_.path() + "/notify.sock";
  testing::NotifySocket socket(path);
  notifier_ = std::make_unique<SystemdNotifier>(path);
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]"));
  ASSERT_TRUE(socket.WaitFor("READY=1", 2s));
  reload_ = [&]() -> Result<Config> { return Settings("[room:a, room:b]"); };
  ASSERT_TRUE(app_->RequestReload().ok());
  EXPECT_TRUE(socket.WaitFor("RELOADING=1\nMONOTONIC_USEC=", 2s));
  EXPECT_TRUE(socket.WaitFor("READY=1\nSTATUS=config reloaded", 2s));
}

// http.tls is read again on every reload (a renewed certificate needs no restart); files that make
// no TLS context reject the reload, which keeps the running config.
TEST_F(AppOnFakeClockTest, AReloadReadsTheTlsFilesAgainAndRejectsBadOnes) {
  ASSERT_NO_FATAL_FAILURE(Start("[room:a]"));
  const std::string data = std::string(PRESENCED_SOURCE_DIR) + "/tests/web/testdata/";
  reload_ = [&]() -> Result<Config> {
    Config config = Settings("[room:a]");
    config.http.tls = {data + "server.crt", data + "client.key", ""};  // not the cert's key
    return config;
  };
  const Status rejected = app_->RequestReload();
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.error().message.find("is not the private key of"), std::string::npos)
      << rejected.error().message;
  EXPECT_EQ(Metric("presenced_config_last_reload_successful"), 0);

  reload_ = [&]() -> Result<Config> {
    Config config = Settings("[room:a]");
    config.http.tls = {data + "server.crt", data + "server.key", ""};
    return config;
  };
  const auto secured = [&](size_t n) {
    return WaitFor(
        [&] {
          std::lock_guard lock(mu_);
          return secured_ == std::vector<std::string>(n, data + "server.crt");
        },
        2s);
  };
  ASSERT_TRUE(app_->RequestReload().ok());
  ASSERT_TRUE(secured(1));
  ASSERT_TRUE(app_->RequestReload().ok());
  EXPECT_TRUE(secured(2)) << "each reload hands the files to the server again";
}

}  // namespace
}  // namespace presenced
