#pragma once

// App: the running daemon. Builds its parts with the makers it is given (AppDeps, no globals),
// runs the poll loop on the calling thread, and handles reload (SIGHUP, POST /-/reload) and stop
// (SIGTERM/SIGINT). Each cycle takes the config pointer once; a reload builds and validates a new
// Config and swaps it in between cycles, and a rejected reload keeps the old one. Every wait (the
// next cycle, the watchdog) is on the injected Clock, so a test runs App on a fake clock.
//
// Thread-safety: Run() on one thread; RequestReload() and RequestStop() from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/result.h"
#include "config/config.h"
#include "config/config_loader.h"
#include "metrics/metrics.h"
#include "net/replaceable_http_client.h"
#include "service/app_makers.h"
#include "service/systemd_notify.h"
#include "web/readiness.h"

namespace presenced {

// What App is built from (STYLE §9): RunDaemon (cli.cc) passes the production parts, tests pass
// fakes.
struct AppDeps {
  ConfigLoader load_config;  // reads the config file again on a reload
  const Clock* clock = nullptr;
  std::unique_ptr<Metrics> metrics;  // the registry, kept for the whole run
  // Readiness, reload and watchdog messages; its watchdog_period() sets how often App pings.
  std::unique_ptr<SystemdNotifier> notifier;
  AppMakers makers;  // every field set (StandardMakers, some replaced in tests)
};

class App {
 public:
  // Every field of `deps` must be set; `*deps.clock` must outlive the App.
  App(std::shared_ptr<const Config> config, AppDeps deps);
  ~App();

  // Runs until RequestStop(); returns the process exit code (0 clean stop, 1 start-up failure
  // or the state store file deleted or replaced while running).
  int Run();

  // Re-reads the config file; on success the new config applies from the next cycle.
  Status RequestReload();
  // Stops: the cycle in progress is abandoned (its Ably requests in flight are aborted at once:
  // nothing of it was committed, so the next start derives it again), a webhook request in
  // flight gets kWebhookStopDeadline and is then aborted (its batch stays in the outbox). Run
  // returns within about half a second, whatever the configured timeouts.
  void RequestStop();

 private:
  struct Parts;
  // Runs cycles until stop; false when the state store file was deleted or replaced.
  bool Loop(Parts& parts);
  // Makes `http` the Ably client a stop aborts (at once when the stop came already).
  void SetAblyHttp(HttpClient* http);
  // Measures the offset to Ably's clock (GET /time) and logs it; a failure is logged and tried
  // again a minute later (AblyClock::MeasureDue).
  void MeasureAblyClock(Parts& parts, const AblyConfig& ably);
  // Counts a failed state commit and keeps /-/ready at 503 until a commit succeeds.
  void RecordCommit(bool committed);
  void ApplyConfig(Parts& parts, std::shared_ptr<const Config> next);
  // POST /-/sync?webhook=NAME: queues a sync of every channel for that webhook.
  Status RequestSync(Parts& parts, const std::string& webhook);
  void Discover(Parts& parts, const Config& config);
  // Sets or clears the readiness causes "credentials" and "no_fetch" after a cycle.
  void UpdateAblyReadiness(Parts& parts, const CycleReport* report, const Config& config);
  // Why the loop counts as hung (GET /-/healthy answers 503), or nullopt: it made no progress
  // within ProgressBudgetMs, the budget the systemd watchdog pings by too.
  std::optional<std::string> Unhealthy();
  // Sends WATCHDOG=1 at `first`, then every `period`, while the loop makes progress; until stop.
  void WatchdogLoop(std::chrono::milliseconds period, std::chrono::steady_clock::time_point first);

  AppDeps deps_;
  const Clock& clock_;
  std::unique_ptr<Metrics> metrics_;           // never replaced
  std::unique_ptr<SystemdNotifier> notifier_;  // $NOTIFY_SOCKET, a no-op without it

  Mutex mu_;                      // also orders the wake-ups below
  std::condition_variable wake_;  // waited on through clock_.WaitUntil
  std::shared_ptr<const Config> config_ GUARDED_BY(mu_);
  // Validated by RequestReload, applied by the loop.
  std::shared_ptr<const Config> pending_ GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  // The Ably client in use (the source's and auth's requests): a stop aborts its requests in
  // flight at once (HttpClient::Abort), whatever ably.request_timeout says.
  HttpClient* ably_http_ GUARDED_BY(mu_) = nullptr;
  Readiness readiness_;  // GET /-/ready: "first_cycle" is set until a first cycle finished
  std::atomic<int64_t> heartbeat_ms_{0};  // last time the loop made progress (watchdog)
};

}  // namespace presenced
