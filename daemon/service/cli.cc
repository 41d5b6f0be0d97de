#include "service/cli.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "ably/rest_client.h"
#include "common/clock.h"
#include "common/log_fields.h"
#include "common/random.h"
#include "common/version.h"
#include "config/config_loader.h"
#include "config/presence_options.h"
#include "delivery/dead_letters.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "presence/client_events.h"
#include "presence/diff.h"
#include "service/app.h"
#include "service/app_makers.h"
#include "service/check_ably.h"
#include "service/logging.h"
#include "service/systemd_notify.h"
#include "state/state_dir_lock.h"
#include "state/state_store.h"

namespace presenced {

namespace {

constexpr const char* kUsage =
    "usage: presenced [--config PATH] [--check-config | --check-ably | --once |\n"
    "                  --dead-letters | --replay-dead-letters NAME | --version]\n"
    "  --config PATH                config file (default: $PRESENCED_CONFIG, else\n"
    "                               /etc/presenced/presenced.yaml)\n"
    "  --check-config               validate the config, print a summary, exit 0 or 1\n"
    "  --check-ably                 check the credentials against Ably (time, enumeration,\n"
    "                               batch presence, history) and print the hourly cost; 0 or 1\n"
    "  --once                       fetch every channel once, print members as JSON lines\n"
    "  --dead-letters               list dead-lettered batches per webhook and kafka sink\n"
    "  --replay-dead-letters NAME   move sink NAME's dead letters back into its outbox\n"
    "  --version                    print the version and git revision\n"
    "  --help                       print these options\n";

// A stop ends within about half a second: requests in flight are aborted (App::RequestStop), so
// no timeout holds it up. Past this, something hangs (a name lookup cannot be cut short): the
// process exits 1 anyway, loudly (state is committed transactionally, so nothing accepted is
// lost). Below systemd's TimeoutStopSec.
constexpr std::chrono::milliseconds kStopLastResort{25'000};

enum class Mode { kRun, kCheckConfig, kCheckAbly, kOnce, kDeadLetters, kReplay, kVersion, kHelp };

struct Args {
  Mode mode = Mode::kRun;
  std::string config_path;
  std::string webhook;
};

// Parses the command line; an Error names the argument at fault.
Result<Args> ParseArgs(int argc, char** argv) {
  Args args;
  std::string first_mode;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto take_value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    const bool is_mode = arg == "--check-config" || arg == "--check-ably" || arg == "--once" ||
                         arg == "--dead-letters" || arg == "--replay-dead-letters" ||
                         arg == "--version" || arg == "--help" || arg == "-h";
    if (is_mode && !first_mode.empty()) {
      return Error{arg + " cannot be combined with " + first_mode};
    }
    if (is_mode) first_mode = arg;
    if (arg == "--config") {
      if (!take_value(args.config_path)) return Error{"--config needs a PATH"};
    } else if (arg.rfind("--config=", 0) == 0) {
      args.config_path = arg.substr(9);
    } else if (arg == "--check-config") {
      args.mode = Mode::kCheckConfig;
    } else if (arg == "--check-ably") {
      args.mode = Mode::kCheckAbly;
    } else if (arg == "--once") {
      args.mode = Mode::kOnce;
    } else if (arg == "--dead-letters") {
      args.mode = Mode::kDeadLetters;
    } else if (arg == "--replay-dead-letters") {
      if (!take_value(args.webhook)) return Error{"--replay-dead-letters needs a webhook NAME"};
      args.mode = Mode::kReplay;
    } else if (arg == "--version") {
      args.mode = Mode::kVersion;
    } else if (arg == "--help" || arg == "-h") {
      args.mode = Mode::kHelp;
    } else {
      return Error{"unknown argument " + arg};
    }
  }
  if (args.config_path.empty()) {
    const char* env = std::getenv("PRESENCED_CONFIG");
    args.config_path = env && *env ? env : "/etc/presenced/presenced.yaml";
  }
  return args;
}

// Prints every current member of every channel as a `present` event; 1 if any channel failed.
int RunOnce(const Config& config) {
  Metrics metrics(false);
  SystemClock clock;
  SeededRandom random(std::random_device{}());
  auto http = MakePocoHttpClient(HttpClientOptionsFor(config));
  auto source = MakeAblyRestClient(config.ably, *http, metrics, clock, random);
  std::vector<std::string> channels = config.channels;
  bool failed = false;
  for (const auto& prefix : config.discovery.prefixes) {
    auto found = source->ListChannels(prefix);
    if (!found.ok()) {
      spdlog::error("discovery: prefix {}: {}", prefix, found.error().message);
      failed = true;
      continue;
    }
    channels.insert(channels.end(), found->begin(), found->end());
  }
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  std::atomic<bool> cancel{false};
  const DiffOptions options = DiffOptionsFrom(config.presence, true);
  for (ChannelPresence& result : source->FetchPresence(channels, cancel)) {
    if (!result.ok) {
      const LogFields fields{{"channel", result.channel}, {"code", result.error.code}};
      spdlog::error("channel {}: fetch failed: {}{}", result.channel, result.error.message,
                    result.error.code != 0
                        ? " (Ably error " + std::to_string(result.error.code) + ")"
                        : std::string());
      failed = true;
      continue;
    }
    DiffResult diff =
        Diff(result.channel, nullptr, std::move(result.members), options, clock.NowMs());
    AddClientEvents(nullptr, diff.events, ClientCounting::kNet, config.presence.client_events);
    std::string out;
    for (const Event& event : diff.events) out.append(EventToJson(event)).push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  std::fflush(stdout);
  return failed ? 1 : 0;
}

// Runs the daemon with SIGTERM/SIGINT (stop) and SIGHUP (reload) handled on a signal thread.
int RunDaemon(std::shared_ptr<const Config> config, ConfigLoader load_config) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread exists
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit (RLIMIT_FSIZE) then fails the write like a full disk (counted, retried)
  // instead of killing the daemon.
  signal(SIGXFSZ, SIG_IGN);

  // The production parts (STYLE §9: built here, passed in): the system clock, chance seeded from
  // the OS, the standard makers (SQLite state, Poco HTTP, the Ably REST client), and systemd's
  // notify socket and watchdog period when systemd set them.
  const SystemClock clock;
  SeededRandom random(std::random_device{}());
  AppDeps deps;
  deps.load_config = std::move(load_config);
  deps.clock = &clock;
  deps.metrics = std::make_unique<Metrics>(config->metrics.per_channel);
  const char* notify_socket = std::getenv("NOTIFY_SOCKET");
  deps.notifier = std::make_unique<SystemdNotifier>(
      notify_socket ? notify_socket : "",
      SystemdNotifier::WatchdogPeriod(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID")));
  deps.makers = StandardMakers(random);
  App app(std::move(config), std::move(deps));
  std::atomic<bool> finished{false};
  std::thread signal_thread([&] {
    const timespec tick{0, 100'000'000};
    while (!finished) {
      const int signo = sigtimedwait(&signals, nullptr, &tick);
      if (signo == SIGHUP) {
        spdlog::info("SIGHUP: reloading config");
        (void)app.RequestReload();
      } else if (signo == SIGTERM || signo == SIGINT) {
        spdlog::info("{}: stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
        app.RequestStop();
        const auto deadline = clock.SteadyNow() + kStopLastResort;
        while (!finished && clock.SteadyNow() < deadline) {
          sigtimedwait(&signals, nullptr, &tick);  // a second SIGTERM changes nothing
        }
        if (!finished) {
          spdlog::critical("stop hung for {}ms; exiting 1 without a clean shutdown",
                           kStopLastResort.count());
          spdlog::default_logger()->flush();
          std::fflush(stdout);
          _exit(1);
        }
      }
    }
  });
  const int code = app.Run();
  finished = true;
  signal_thread.join();
  return code;
}

}  // namespace

int RunCli(int argc, char** argv) {
  if (argc >= 3 && std::string_view(argv[1]) == kInternalParseConfigFlag) {
    // This binary as the contained config parser of `load`, below.
    ServeConfigParse(argv[2], ParseOptions{argc == 4 && std::string_view(argv[3]) ==
                                                            kMissingCredentialsWarnFlag});
  }
  SetupLogging(LogConfig{});
  const Result<Args> args = ParseArgs(argc, argv);
  if (!args.ok()) {
    std::fprintf(stderr, "presenced: %s\n%s", args.error().message.c_str(), kUsage);
    return 2;
  }
  if (args->mode == Mode::kHelp) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args->mode == Mode::kVersion) {
    std::printf("presenced %s (%s)\n", kVersion, kRevision);
    return 0;
  }
  // Every parse (the first, --check-config, each reload) is first run by this same binary in a
  // child process held to a memory and a time bound (yaml-cpp 0.7 can loop forever).
  const ConfigLoader load = [](const std::string& path) {
    return LoadConfigFile(path, ProcessEnv(), "/proc/self/exe");
  };
  // Run from a shell, --check-config usually lacks the service's credentials (its EnvironmentFile
  // and $CREDENTIALS_DIRECTORY): it says so and checks the rest. Run by systemd ($INVOCATION_ID:
  // ExecStartPre, ExecReload) it has them, and a missing one fails the start or the reload.
  const char* invocation = std::getenv("INVOCATION_ID");
  const bool under_systemd = invocation != nullptr && *invocation != '\0';
  const ParseOptions check_options{args->mode == Mode::kCheckConfig && !under_systemd};
  auto loaded = LoadConfigFile(args->config_path, ProcessEnv(), "/proc/self/exe", check_options);
  // Under systemd (ExecStartPre, ExecReload) journald files these at their priority.
  const bool journal = StderrIsJournal(std::getenv("JOURNAL_STREAM"));
  const char* const error_prefix = journal ? "<3>" : "";
  if (!loaded.ok()) {
    std::fprintf(stderr, "%spresenced: %s: %s\n", error_prefix, args->config_path.c_str(),
                 loaded.error().message.c_str());
    return 1;
  }
  auto config = std::make_shared<const Config>(std::move(*loaded));
  if (args->mode == Mode::kCheckConfig) {
    if (Status tls = HttpServer::CheckTls(config->http.tls); !tls.ok()) {
      std::fprintf(stderr, "%spresenced: %s: %s\n", error_prefix, args->config_path.c_str(),
                   tls.error().message.c_str());
      return 1;
    }
    for (const std::string& warning : config->warnings) {
      std::fprintf(stderr,
                   "%spresenced: warning: %s: %s; the service must get it from its environment "
                   "(EnvironmentFile=, LoadCredential=)\n",
                   journal ? "<4>" : "", args->config_path.c_str(), warning.c_str());
    }
    std::printf("%s\n", DescribeConfig(*config).c_str());
    return 0;
  }
  SetupLogging(config->log);
  if (args->mode == Mode::kOnce) return RunOnce(*config);
  if (args->mode == Mode::kCheckAbly) {
    SeededRandom random(std::random_device{}());
    return RunCheckAbly(*config, random, stdout);
  }
  if (args->mode == Mode::kDeadLetters || args->mode == Mode::kReplay) {
    // Listing only reads and may run beside the daemon; a replay writes the outbox, so it needs
    // the daemon stopped (StateDirLock).
    std::unique_ptr<StateDirLock> lock;
    if (args->mode == Mode::kReplay) {
      auto acquired = StateDirLock::Acquire(config->state.dir);
      if (!acquired.ok()) {
        std::fprintf(stderr, "presenced: %s; stop it before --replay-dead-letters\n",
                     acquired.error().message.c_str());
        return 1;
      }
      lock = std::move(*acquired);
    }
    auto store = StateStore::Open(config->state.dir);
    if (!store.ok()) {
      std::fprintf(stderr, "presenced: state.dir: %s\n", store.error().message.c_str());
      return 1;
    }
    if (args->mode == Mode::kDeadLetters) {
      Result<std::string> described = DescribeDeadLetters(**store);
      if (!described.ok()) {
        std::fprintf(stderr, "presenced: %s\n", described.error().message.c_str());
        return 1;
      }
      std::fputs(described->c_str(), stdout);
      return 0;
    }
    const std::vector<SinkRoute> sinks = SinkRoutes(*config);
    const auto sink = std::find_if(sinks.begin(), sinks.end(), [&](const SinkRoute& route) {
      return route.name == args->webhook;
    });
    if (sink == sinks.end()) {
      // Replayed events would wait for a sink that is not there to send them.
      std::fprintf(stderr, "presenced: no webhook named %s in %s (nor a kafka sink)\n",
                   args->webhook.c_str(), config->path.c_str());
      return 1;
    }
    auto moved = ReplayDeadLetters(**store, args->webhook);
    if (!moved.ok()) {
      std::fprintf(stderr, "presenced: %s\n", moved.error().message.c_str());
      return 1;
    }
    std::printf("moved %llu dead-lettered events of %s back into its outbox\n",
                static_cast<unsigned long long>(*moved), args->webhook.c_str());
    if (*moved == 0) return 0;
    // The replayed events are old: a sync after them lets the receiver replace its view.
    auto synced = QueueStoredSyncs(**store, *sink, SystemClock().NowMs());
    if (!synced.ok()) {
      std::fprintf(stderr, "presenced: replayed, but the sync after them failed: %s\n",
                   synced.error().message.c_str());
      return 1;
    }
    std::printf("queued a sync of %llu channels after them\n",
                static_cast<unsigned long long>(*synced));
    return 0;
  }
  return RunDaemon(std::move(config), load);
}

}  // namespace presenced
