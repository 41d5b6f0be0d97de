#include "service/app.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "ably/ably_clock.h"
#include "common/log_fields.h"
#include "common/shard.h"
#include "common/version.h"
#include "pipeline/schedule.h"
#include "service/logging.h"

namespace presenced {

namespace {

// What a webhook request in flight gets at stop before it is aborted; the rest of the outbox
// waits for the next start.
constexpr std::chrono::milliseconds kWebhookStopDeadline{400};

double UnixSeconds(const Clock& clock) { return static_cast<double>(clock.NowMs()) / 1000.0; }

// How long the poll loop may go without progress before it counts as hung (/-/healthy answers
// 503, the systemd watchdog stops its pings): a poll interval plus the worst-case request time,
// twice over, and a minute of margin.
int64_t ProgressBudgetMs(const Config& config) {
  return config.poll.interval.count() * 2 + config.ably.request_timeout.count() * 4 + 60'000;
}

// The status page's first line: version, revision and shard.
std::string BuildLine(const Config& config) {
  return std::string("presenced ") + kVersion + " (revision " + kRevision + "), shard " +
         std::to_string(config.shard.index) + " of " + std::to_string(config.shard.count);
}

// Sets `row` to channel `c`'s figures (reusing its strings' storage).
void FillRow(const ChannelReport& c, ChannelStatus& row) {
  row.name.assign(c.name);
  row.members = c.members;
  row.clients = c.clients;
  row.stale = c.stale;
  row.last_success_ms = c.last_success_ms;
  row.last_error_ms = c.last_error != nullptr ? c.last_error_ms : 0;
  row.last_error_code = c.last_error != nullptr ? c.last_error->code : 0;
  if (c.last_error != nullptr) {
    row.last_error.assign(c.last_error->message);
  } else {
    row.last_error.clear();
  }
}

// Publishes every tracked channel to the status page: in place when they are the channels of
// the last cycle (the usual case), else as a new list.
void PublishChannels(const Poller& poller, StatusModel& status) {
  const bool updated = status.UpdateChannels([&](const auto& row) {
    ChannelStatus reused;
    poller.ForEachChannel([&](const ChannelReport& c) {
      FillRow(c, reused);
      row(reused);
    });
  });
  if (updated) return;
  std::vector<ChannelStatus> channels;
  poller.ForEachChannel([&](const ChannelReport& c) { FillRow(c, channels.emplace_back()); });
  status.PublishChannels(std::move(channels));
}

// The status page's record of a finished cycle.
CycleStatus CycleRecord(const CycleReport& report, int64_t at_ms, double seconds, bool overrun) {
  CycleStatus cycle{at_ms, seconds, overrun, report.channels, report.failed, report.members, {}};
  for (const auto& [code, tally] : report.errors) {
    cycle.errors.push_back({code, tally.count, tally.message});
  }
  return cycle;
}

std::string Summary(const CycleReport& report, size_t stale, double seconds) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%zu channels, %zu members, %zu stale, %zu events, cycle %.2fs",
                report.channels, report.members, stale, report.events, seconds);
  return buf;
}

}  // namespace

struct App::Parts {
  Metrics* metrics = nullptr;
  OpenedState state;            // the lock is held for the whole run: one daemon per state.dir
  StateStore* store = nullptr;  // state.store
  // Replaced in place when a reload changes HttpClientOptionsFor: every holder uses the new one.
  std::unique_ptr<ReplaceableHttpClient> ably_http;
  std::unique_ptr<ReplaceableHttpClient> webhook_http;
  // Ably's clock (GET /time): history windows and token expiry are on it. Outlives auth, source.
  std::unique_ptr<AblyClock> ably_clock;
  std::unique_ptr<AblyAuth> auth;  // outlives `source`, which uses it
  std::unique_ptr<PresenceSource> source;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<StatusModel> status;  // GET / and /api/v1/status
  std::unique_ptr<Poller> poller;
  std::unique_ptr<HttpServer> server;
  SystemdNotifier* notifier = nullptr;
  std::map<std::string, std::vector<std::string>> discovered;  // prefix → channels
  std::set<std::string> enumerated;  // prefixes with a successful enumeration since the start
  std::map<std::string, std::string> discovery_errors;  // prefix → last error logged
  std::chrono::steady_clock::time_point last_fetch{};   // last cycle that fetched a channel
  std::chrono::steady_clock::time_point next_discovery{};
  std::chrono::steady_clock::time_point grid_start{};
};

App::App(std::shared_ptr<const Config> config, AppDeps deps)
    : deps_(std::move(deps)),
      clock_(*deps_.clock),
      metrics_(std::move(deps_.metrics)),
      notifier_(std::move(deps_.notifier)),
      config_(std::move(config)) {
  metrics_->ConfigReloaded(true, UnixSeconds(clock_));
  metrics_->SetShard(config_->shard.index, config_->shard.count);
  readiness_.Set("first_cycle", "the first poll cycle has not finished yet");
}

App::~App() = default;

Status App::RequestReload() {
  std::shared_ptr<const Config> current;
  {
    MutexLock lock(mu_);
    current = config_;
  }
  // systemd (Type=notify-reload, and `systemctl status` before it) tracks the reload until READY=1;
  // MONOTONIC_USEC tells it which reload this is (CLOCK_MONOTONIC, as steady_clock on Linux).
  const auto monotonic =
      std::chrono::duration_cast<std::chrono::microseconds>(clock_.SteadyNow().time_since_epoch());
  notifier_->Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic.count()));
  auto loaded = deps_.load_config(current->path);
  // TLS files are read again on every reload: ones that make no TLS context reject it.
  if (loaded.ok()) {
    if (Status tls = HttpServer::CheckTls(loaded->http.tls); !tls.ok()) loaded = tls.error();
  }
  if (!loaded.ok()) {
    spdlog::error("reload: keeping the running config: {}: {}", current->path,
                  loaded.error().message);
    metrics_->ConfigReloaded(false, UnixSeconds(clock_));
    notifier_->Send("READY=1\nSTATUS=config reload failed, running the previous config");
    return loaded.error();
  }
  {
    MutexLock lock(mu_);
    pending_ = std::make_shared<const Config>(std::move(*loaded));
  }
  wake_.notify_all();
  return Ok{};
}

Status App::RequestSync(Parts& parts, const std::string& webhook) {
  {
    MutexLock lock(mu_);
    const std::vector<SinkRoute> sinks = SinkRoutes(*config_);
    if (std::none_of(sinks.begin(), sinks.end(),
                     [&](const SinkRoute& sink) { return sink.name == webhook; })) {
      return Error{"no webhook named " + webhook + " in the running config (nor a kafka sink)"};
    }
  }
  parts.poller->RequestSync(webhook);
  spdlog::info("sync: requested for webhook {}", webhook);
  return Ok{};
}

void App::RequestStop() {
  {
    // Set under mu_: the loop and the watchdog test stop_ under mu_ before they wait, so a stop
    // set between their test and their wait would otherwise be missed until a timeout.
    MutexLock lock(mu_);
    stop_ = true;
    // The cycle in progress is abandoned: its answers would be discarded anyway.
    if (ably_http_ != nullptr) ably_http_->Abort();
  }
  wake_.notify_all();
}

void App::SetAblyHttp(HttpClient* http) {
  MutexLock lock(mu_);
  ably_http_ = http;
  if (stop_ && http != nullptr) http->Abort();
}

int App::Run() {
  std::shared_ptr<const Config> config;
  {
    MutexLock lock(mu_);
    config = config_;
  }
  Parts parts;
  // Destroyed before `parts`: once Run returns, a stop has no Ably client left to abort.
  struct ForgetAblyHttp {
    App* app;
    ~ForgetAblyHttp() { app->SetAblyHttp(nullptr); }
  } forget_ably_http{this};
  parts.notifier = notifier_.get();
  parts.metrics = metrics_.get();

  const AppMakers& make = deps_.makers;
  auto state = make.state(config->state.dir);
  if (!state.ok()) {
    spdlog::critical("{}", state.error().message);
    return 1;
  }
  parts.state = std::move(*state);
  parts.store = parts.state.store.get();
  parts.ably_http =
      std::make_unique<ReplaceableHttpClient>(make.http(HttpClientOptionsFor(*config)));
  SetAblyHttp(parts.ably_http.get());  // the same object for the whole run: reloads replace inside
  parts.webhook_http =
      std::make_unique<ReplaceableHttpClient>(make.http(HttpClientOptionsFor(*config)));
  // Measured by the loop before its first cycle (history windows and token expiry need it then).
  parts.ably_clock = std::make_unique<AblyClock>(clock_, *parts.metrics);
  parts.auth = make.auth(config->ably, *parts.ably_http, *parts.metrics, *parts.ably_clock);
  parts.source =
      make.source(config->ably, *parts.ably_http, *parts.metrics, *parts.ably_clock, *parts.auth);
  parts.source->SetPollInterval(config->poll.interval);
  parts.dispatcher = make.dispatcher(*parts.store, *parts.webhook_http, *parts.metrics, clock_);
  parts.dispatcher->Configure(config->webhooks,
                              make.kafka_sinks(config->kafka, *parts.metrics, clock_));
  StatusInputs status_inputs;
  status_inputs.sinks = [this, &parts] {
    std::shared_ptr<const Config> current;
    {
      MutexLock lock(mu_);
      current = config_;
    }
    return ReadSinkStatus(*parts.store, ConfiguredSinks(*current), clock_.NowMs());
  };
  status_inputs.not_ready = [this] { return readiness_.NotReadyReason(); };
  status_inputs.started_ms = clock_.NowMs();
  parts.status = make.status(std::move(status_inputs));
  parts.status->SetSummary(BuildLine(*config), DescribeConfig(*config),
                           config->http.status_members);
  parts.poller = make.poller(*parts.source, *parts.store, *parts.metrics, clock_,
                             [this, &parts](const std::vector<Event>& events) {
                               parts.status->AddEvents(events, clock_.NowMs());
                               bool to_stdout;
                               {
                                 MutexLock lock(mu_);
                                 to_stdout = config_->output.stdout_events;
                               }
                               const bool debug = spdlog::should_log(spdlog::level::debug);
                               if (!to_stdout && !debug) return;
                               std::string lines;
                               for (const Event& event : events) {
                                 std::string json = EventToJson(event);
                                 if (debug) spdlog::debug("event {}", json);
                                 if (to_stdout) lines.append(json).push_back('\n');
                               }
                               if (!lines.empty()) {
                                 std::fwrite(lines.data(), 1, lines.size(), stdout);
                                 std::fflush(stdout);
                               }
                             });
  if (Status restored = parts.poller->Restore(); !restored.ok()) {
    spdlog::critical("state: {}", restored.error().message);
    return 1;
  }

  heartbeat_ms_ = clock_.NowMs();
  HttpHandlers handlers{
      [&parts] { return parts.metrics->Serialize(); },
      [this] { return readiness_.NotReadyReason(); },
      [this] { return RequestReload(); },
      [this, &parts] { return parts.status->Json(clock_.NowMs()); },
      [this, &parts](size_t page) { return parts.status->Html(page, clock_.NowMs()); },
      [this, &parts](const std::string& webhook) { return RequestSync(parts, webhook); }};
  handlers.unhealthy = [this] { return Unhealthy(); };
  HttpServerOptions http_options;
  http_options.lifecycle = config->http.lifecycle;
  http_options.tls = config->http.tls;
  http_options.basic_auth_users = config->http.basic_auth_users;
  auto server =
      make.server(config->http.host, config->http.port, std::move(handlers), http_options);
  if (!server.ok()) {
    spdlog::critical("{}", server.error().message);
    parts.dispatcher->Stop(kWebhookStopDeadline);
    parts.webhook_http->Abort();
    return 1;
  }
  parts.server = std::move(*server);
  spdlog::info("http listening on {}:{}", config->http.host, parts.server->port());
  spdlog::info("presenced started: {} configured channels, {} discovery prefixes, {} webhooks",
               config->channels.size(), config->discovery.prefixes.size(), config->webhooks.size());

  // Only when systemd watches this process.
  std::thread watchdog;
  if (auto period = notifier_->watchdog_period()) {
    watchdog = std::thread([this, period = *period, first = clock_.SteadyNow() + *period] {
      WatchdogLoop(period, first);
    });
  }
  parts.notifier->Send("READY=1\nSTATUS=started, first cycle pending");
  const bool state_lost = !Loop(parts);
  if (state_lost) RequestStop();  // ends the watchdog
  parts.notifier->Send("STOPPING=1\nSTATUS=stopping");
  spdlog::info("stopping: delivery gets {}ms for the request in flight, the rest stays queued",
               kWebhookStopDeadline.count());
  parts.dispatcher->Stop(kWebhookStopDeadline);
  // A webhook request still in flight was abandoned by Stop (its outcome is discarded and its
  // batch stays in the outbox): end it now, so joining its worker does not wait for its timeout.
  parts.webhook_http->Abort();
  parts.server->Stop();
  if (watchdog.joinable()) watchdog.join();
  if (state_lost) {
    spdlog::critical("stopped: the state store is gone; exiting 1 so that a restart opens it anew");
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

bool App::Loop(Parts& parts) {
  std::shared_ptr<const Config> config;
  {
    MutexLock lock(mu_);
    config = config_;
  }
  parts.grid_start = clock_.SteadyNow();
  parts.last_fetch = parts.grid_start;
  auto next_cycle = parts.grid_start;
  // Shards enumerate interval/count apart (Ably runs one enumeration per app at a time).
  parts.next_discovery = parts.grid_start + StaggerOffset(config->discovery.interval,
                                                          config->shard.index, config->shard.count);
  while (!stop_) {
    heartbeat_ms_ = clock_.NowMs();
    {
      MutexLock lock(mu_);
      clock_.WaitUntil(wake_, lock.native(), next_cycle,
                       [&]() REQUIRES(mu_) { return stop_ || pending_ != nullptr; });
      heartbeat_ms_ = clock_.NowMs();  // waiting for the next slot is progress too
      if (stop_) break;
      if (pending_) {
        auto next = std::move(pending_);
        pending_ = nullptr;
        lock.Unlock();
        ApplyConfig(parts, next);
        config = next;
        parts.grid_start = clock_.SteadyNow();
        next_cycle = parts.grid_start;
        continue;
      }
    }
    if (parts.ably_clock->MeasureDue()) MeasureAblyClock(parts, config->ably);
    if (clock_.SteadyNow() >= parts.next_discovery) Discover(parts, *config);
    // Only this shard's channels (all of them with shard.count 1).
    const ShardConfig shard = config->shard;
    const auto owned = [shard](const std::string& name) {
      return ShardOwns(name, shard.index, shard.count);
    };
    // With one shard and at most one discovery prefix the lists are passed as they are: no copy
    // of every name each cycle.
    const std::vector<std::string> none;
    std::vector<std::string> configured_copy, discovered_copy;
    const std::vector<std::string>* configured = &config->channels;
    const std::vector<std::string>* all_discovered =
        parts.discovered.empty() ? &none : &parts.discovered.begin()->second;
    if (shard.count > 1) {
      std::copy_if(config->channels.begin(), config->channels.end(),
                   std::back_inserter(configured_copy), owned);
      configured = &configured_copy;
    }
    if (shard.count > 1 || parts.discovered.size() > 1) {
      for (const auto& [prefix, names] : parts.discovered) {
        std::copy_if(names.begin(), names.end(), std::back_inserter(discovered_copy), owned);
      }
      all_discovered = &discovered_copy;
    }
    parts.poller->SetChannels(*configured, *all_discovered, config->discovery.prefixes, owned);

    // Writes to a deleted or replaced file would vanish at the next start: fail loudly instead.
    if (Status file = parts.store->CheckFile(); !file.ok()) {
      spdlog::critical("{}", file.error().message);
      return false;
    }
    const auto started = clock_.SteadyNow();
    const CycleReport report = parts.poller->RunCycle(*config, stop_);
    if (stop_) break;
    RecordCommit(report.committed);
    parts.dispatcher->Notify();
    const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - started).count();
    readiness_.Clear("first_cycle");
    PublishChannels(*parts.poller, *parts.status);
    parts.status->CycleFinished(
        CycleRecord(report, clock_.NowMs(), seconds,
                    seconds * 1000 > static_cast<double>(config->poll.interval.count())));
    UpdateAblyReadiness(parts, &report, *config);
    const std::string status = Summary(report, parts.poller->stale_count(), seconds);
    parts.notifier->Send("STATUS=" + status);
    spdlog::debug("cycle: {}", status);
    if (report.failed > 0) {
      const LogFields fields{{"failed", report.failed}, {"channels", report.channels}};
      spdlog::warn("cycle: {} of {} channels failed to fetch; they keep their last snapshot",
                   report.failed, report.channels);
    }
    const auto now = clock_.SteadyNow();
    next_cycle = NextSlot(parts.grid_start, config->poll.interval, now);
    if (now - started > config->poll.interval) {
      spdlog::warn("cycle overran poll.interval ({:.2f}s > {}ms); skipping to the next slot",
                   seconds, config->poll.interval.count());
    }
  }
  return true;
}

void App::MeasureAblyClock(Parts& parts, const AblyConfig& ably) {
  Status measured = parts.ably_clock->Measure(*parts.ably_http, ably);
  if (!measured.ok()) {
    spdlog::warn(
        "cannot measure Ably's clock ({}); history windows and token expiry use this "
        "host's clock until it works (tried again in a minute)",
        measured.error().message);
    return;
  }
  const double offset = static_cast<double>(parts.ably_clock->OffsetMs().value_or(0)) / 1000.0;
  spdlog::info("Ably's clock is {:.3f}s {} this host's (GET /time, round trip {}ms)",
               offset < 0 ? -offset : offset, offset < 0 ? "behind" : "ahead of",
               parts.ably_clock->RoundTrip().value_or(std::chrono::milliseconds(0)).count());
}

void App::RecordCommit(bool committed) {
  if (committed) {
    readiness_.Clear("state_commit");
    return;
  }
  metrics_->StateCommitFailed();
  readiness_.Set("state_commit",
                 "state commits are failing (disk full, read-only or locked database: see the "
                 "log); events are kept and derived again");
}

void App::ApplyConfig(Parts& parts, std::shared_ptr<const Config> next) {
  std::shared_ptr<const Config> previous;
  {
    MutexLock lock(mu_);
    previous = config_;
    config_ = next;
  }
  if (next->http.listen != previous->http.listen ||
      next->http.lifecycle != previous->http.lifecycle || next->state.dir != previous->state.dir) {
    spdlog::warn(
        "reload: http.listen, http.lifecycle and state.dir take effect only after a restart");
  }
  SetupLogging(next->log);
  // Re-read even when the paths did not change: a renewed certificate comes with a reload.
  if (Status secured = parts.server->Secure(next->http.tls, next->http.basic_auth_users);
      !secured.ok()) {
    spdlog::error("reload: keeping the previous http.tls: {}", secured.error().message);
  }
  const AblyConfig& was = previous->ably;
  const AblyConfig& now = next->ably;
  const bool new_http = HttpClientOptionsFor(*next) != HttpClientOptionsFor(*previous);
  // A token fetched from auth_url is kept across reloads that do not change how it is obtained.
  const bool new_auth = new_http || now.auth != was.auth || now.credential != was.credential ||
                        now.token_file != was.token_file || now.auth_url != was.auth_url ||
                        now.auth_headers != was.auth_headers || now.endpoint != was.endpoint ||
                        now.request_timeout != was.request_timeout ||
                        now.connect_timeout != was.connect_timeout;
  parts.source.reset();
  const AppMakers& make = deps_.makers;
  if (new_http) {
    // The webhooks' senders hold webhook_http: they send through the new client from their next
    // request on (a new ably.ca_file or proxy reaches them too). A stop aborts both the new
    // client and requests still in flight on the old one (ReplaceableHttpClient::Abort).
    parts.ably_http->Replace(make.http(HttpClientOptionsFor(*next)));
    parts.webhook_http->Replace(make.http(HttpClientOptionsFor(*next)));
  }
  if (now.endpoint != was.endpoint) MeasureAblyClock(parts, now);
  if (new_auth) {
    parts.auth = make.auth(now, *parts.ably_http, *parts.metrics, *parts.ably_clock);
  } else {
    parts.auth->RenewNow();  // a reload renews the token, whatever the backoff
  }
  parts.source = make.source(now, *parts.ably_http, *parts.metrics, *parts.ably_clock, *parts.auth);
  parts.source->SetPollInterval(next->poll.interval);
  parts.poller->SetSource(*parts.source);
  parts.metrics->SetPerChannel(next->metrics.per_channel);
  parts.dispatcher->Configure(next->webhooks,
                              make.kafka_sinks(next->kafka, *parts.metrics, clock_));
  if (next->discovery.prefixes != previous->discovery.prefixes) {
    parts.discovered.clear();
    parts.enumerated.clear();
    parts.next_discovery = clock_.SteadyNow() + StaggerOffset(next->discovery.interval,
                                                              next->shard.index, next->shard.count);
  }
  parts.metrics->SetShard(next->shard.index, next->shard.count);
  parts.status->SetSummary(BuildLine(*next), DescribeConfig(*next), next->http.status_members);
  parts.metrics->ConfigReloaded(true, UnixSeconds(clock_));
  spdlog::info("reload: config {} applied ({} channels, {} prefixes, {} webhooks)", next->path,
               next->channels.size(), next->discovery.prefixes.size(), next->webhooks.size());
  parts.notifier->Send("READY=1\nSTATUS=config reloaded");
}

void App::Discover(Parts& parts, const Config& config) {
  parts.next_discovery = clock_.SteadyNow() + config.discovery.interval;
  for (const auto& prefix : config.discovery.prefixes) {
    auto names = parts.source->ListChannels(prefix, stop_);
    if (stop_) return;
    if (!names.ok()) {
      // The same error again (a missing capability, an outage) is logged once, not every round.
      const LogFields fields{{"prefix", prefix}};
      std::string& last = parts.discovery_errors[prefix];
      const auto level = last == names.error().message ? spdlog::level::debug : spdlog::level::warn;
      spdlog::log(level, "discovery: prefix {}: {}; keeping the {} channels found before", prefix,
                  names.error().message, parts.discovered[prefix].size());
      last = names.error().message;
      continue;
    }
    parts.discovery_errors.erase(prefix);
    std::sort(names->begin(), names->end());
    std::vector<std::string>& known = parts.discovered[prefix];
    if (parts.enumerated.contains(prefix)) {
      // Enumeration lists active channels only: one it did not list before had no members, so
      // the members of its first snapshot have just entered.
      std::vector<std::string> appeared;
      std::set_difference(names->begin(), names->end(), known.begin(), known.end(),
                          std::back_inserter(appeared));
      parts.poller->AnnounceFirstSnapshot(appeared);
    }
    parts.enumerated.insert(prefix);
    known = std::move(*names);
  }
  UpdateAblyReadiness(parts, nullptr, config);
}

void App::UpdateAblyReadiness(Parts& parts, const CycleReport* report, const Config& config) {
  if (auto problem = parts.auth->Problem()) {
    readiness_.Set("credentials", "Ably credentials: " + *problem);
  } else {
    readiness_.Clear("credentials");
  }
  if (report == nullptr) return;
  const auto now = clock_.SteadyNow();
  if (report->channels == 0 || report->failed < report->channels) parts.last_fetch = now;
  const auto quiet = now - parts.last_fetch;
  if (quiet >= 3 * config.poll.interval) {
    readiness_.Set("no_fetch", "no channel was fetched successfully for " +
                                   std::to_string(quiet / std::chrono::seconds(1)) +
                                   "s (3 poll intervals)");
  } else {
    readiness_.Clear("no_fetch");
  }
}

void App::WatchdogLoop(std::chrono::milliseconds period,
                       std::chrono::steady_clock::time_point first) {
  MutexLock lock(mu_);
  auto next = first;
  while (!stop_) {
    clock_.WaitUntil(wake_, lock.native(), next, [&] { return stop_.load(); });
    if (stop_) break;
    next = clock_.SteadyNow() + period;
    // Ping only while the loop makes progress: a hang systemd should restart.
    if (clock_.NowMs() - heartbeat_ms_.load() < ProgressBudgetMs(*config_)) {
      notifier_->Send("WATCHDOG=1");
    }
  }
}

std::optional<std::string> App::Unhealthy() {
  int64_t budget_ms;
  {
    MutexLock lock(mu_);
    budget_ms = ProgressBudgetMs(*config_);
  }
  const int64_t quiet_ms = clock_.NowMs() - heartbeat_ms_.load();
  if (quiet_ms < budget_ms) return std::nullopt;
  return "the poll loop has made no progress for " + std::to_string(quiet_ms / 1000) +
         "s (budget " + std::to_string(budget_ms / 1000) + "s)";
}

}  // namespace presenced
