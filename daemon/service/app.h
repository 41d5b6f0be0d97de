#pragma once

// App: the running daemon. Builds its components from the config with the makers it is given
// (AppDeps, no globals), runs the poll loop on the calling thread, and handles reload (SIGHUP, POST
// /-/reload) and stop (SIGTERM/SIGINT). Each cycle takes the config pointer once; a reload builds
// and validates a new Config and swaps it in between cycles, and a rejected reload keeps the old
// one.
//
// Thread-safety: Run() on one thread; RequestReload() and RequestStop() from any thread.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "ably/auth.h"
#include "ably/presence_source.h"
#include "common/clock.h"
#include "common/result.h"
#include "config/config.h"
#include "config/config_loader.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "service/systemd_notify.h"
#include "web/readiness.h"

namespace presenced {

struct CycleReport;

// What App builds its parts from (STYLE §9): the daemon's main passes the production ones
// (RunDaemon in cli.cc), tests pass fakes. The makers are called at the start and again on
// a reload that changes what the part depends on (a new ca_file: a new HTTP client; any Ably
// setting: a new source).
struct AppDeps {
  ConfigLoader load_config;  // reads the config file again on a reload
  const Clock* clock = nullptr;
  std::unique_ptr<Metrics> metrics;           // the registry, kept for the whole run
  std::unique_ptr<SystemdNotifier> notifier;  // readiness, reload and watchdog messages
  std::function<std::unique_ptr<HttpClient>(const TlsOptions&)> make_http;  // Ably and webhooks
  std::function<std::unique_ptr<PresenceSource>(const AblyConfig&, HttpClient&, Metrics&,
                                                const Clock&, AblyAuth&)>
      make_source;
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
  void RequestStop();

 private:
  struct Parts;
  // Runs cycles until stop; false when the state store file was deleted or replaced.
  bool Loop(Parts& parts);
  // Counts a failed state commit and keeps /-/ready at 503 until a commit succeeds.
  void RecordCommit(bool committed);
  void ApplyConfig(Parts& parts, std::shared_ptr<const Config> next);
  // POST /-/sync?webhook=NAME: queues a sync of every channel for that webhook.
  Status RequestSync(Parts& parts, const std::string& webhook);
  void Discover(Parts& parts, const Config& config);
  // Sets or clears the readiness causes "credentials" and "no_fetch" after a cycle.
  void UpdateAblyReadiness(Parts& parts, const CycleReport* report, const Config& config);
  void WatchdogLoop();

  AppDeps deps_;
  const Clock& clock_;
  std::unique_ptr<Metrics> metrics_;           // never replaced
  std::unique_ptr<SystemdNotifier> notifier_;  // $NOTIFY_SOCKET, a no-op without it

  std::mutex mu_;  // guards config_, pending_, and the wake-ups below
  std::condition_variable wake_;
  std::shared_ptr<const Config> config_;
  std::shared_ptr<const Config> pending_;  // validated by RequestReload, applied by the loop
  std::atomic<bool> stop_{false};
  Readiness readiness_;  // GET /-/ready: "first_cycle" is set until a first cycle finished
  std::atomic<int64_t> heartbeat_ms_{0};  // last time the loop made progress (watchdog)
};

}  // namespace presenced
