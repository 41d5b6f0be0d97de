#pragma once

// AppMakers: how App builds each of its parts (STYLE §9: parts are wired through constructors,
// the way Envoy injects factories). RunDaemon (cli.cc) passes StandardMakers(); a test keeps the
// standard makers of the parts without I/O and replaces the others (HTTP clients, the presence
// source, the HTTP server, or a state whose commits fail) with fakes, so the whole daemon runs in
// process on a fake clock.
//
// App calls the makers on its own thread: at the start, and again on a reload for the parts
// that depend on what changed (a new ca_file: a new HTTP client; how credentials are obtained:
// new auth; any Ably setting: a new source).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ably/auth.h"
#include "ably/presence_source.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "config/config.h"
#include "delivery/dispatcher.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "pipeline/poller.h"
#include "state/state_dir_lock.h"
#include "state/state_store.h"
#include "web/http_server.h"
#include "web/status.h"

namespace presenced {

// The daemon's hold on state.dir: the lock (one daemon per directory) and the store in it.
struct OpenedState {
  std::unique_ptr<StateDirLock> lock;
  std::unique_ptr<StateStore> store;
};

struct AppMakers {
  // Locks state.dir and opens its store; an Error stops the start (exit 1).
  std::function<Result<OpenedState>(const std::string& dir)> state;
  // An HTTP client (one for Ably, one for the webhooks).
  std::function<std::unique_ptr<HttpClient>(const TlsOptions&)> http;
  // Ably credentials; outlives every source made with it.
  std::function<std::unique_ptr<AblyAuth>(const AblyConfig&, HttpClient&, Metrics&, const Clock&)>
      auth;
  std::function<std::unique_ptr<PresenceSource>(const AblyConfig&, HttpClient&, Metrics&,
                                                const Clock&, AblyAuth&)>
      source;
  std::function<std::unique_ptr<Dispatcher>(StateStore&, HttpClient&, Metrics&, const Clock&)>
      dispatcher;
  // The kafka sinks of a config, for Dispatcher::Configure: at the start and on every reload (a
  // sink whose config did not change keeps its producer).
  std::function<std::vector<SinkConfig>(const std::vector<KafkaConfig>&, Metrics&, const Clock&)>
      kafka_sinks;
  // The status page's model; its inputs (sink rows, readiness) are read when a page is rendered.
  std::function<std::unique_ptr<StatusModel>(StatusInputs)> status;
  std::function<std::unique_ptr<Poller>(PresenceSource&, StateStore&, Metrics&, const Clock&,
                                        EventSink)>
      poller;
  // Starts the HTTP server on host:port with these handlers (see HttpServer::Start).
  std::function<Result<std::unique_ptr<HttpServer>>(const std::string& host, uint16_t port,
                                                    HttpHandlers, HttpServerOptions)>
      server;
};

// How every HTTP client of a config (Ably's, the webhooks', --once's and --check-ably's) reaches
// servers: ably.ca_file and the proxy.
HttpClientOptions HttpClientOptionsFor(const Config& config);

// Returns the production makers: StateDirLock and the SQLite StateStore, Poco HTTP clients, the
// Ably REST client (its fallback host order and retry jitter drawn from `random`, which must
// outlive every source made), the Dispatcher, librdkafka's Kafka sinks, StatusModel and Poller,
// and the Poco HTTP server.
AppMakers StandardMakers(Random& random);

}  // namespace presenced
