#pragma once

// HttpServer: the one listener on http.listen serving GET /metrics, GET /-/healthy, GET /-/ready,
// POST /-/reload and GET / (CONTRACT §6). Handlers are injected, so the server knows nothing of
// the rest of the service. Poco types stay in the .cc. Thread-safe; handlers run on Poco's
// worker threads and must be thread-safe themselves. Errors carry their reason phrase
// (`404 Not Found`). Slow or idle clients cannot starve the endpoints: see HttpServerOptions.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "config/config.h"

namespace presenced {

struct HttpHandlers {
  std::function<std::string()> metrics;  // Prometheus text exposition
  // Why the daemon is not ready (GET /-/ready answers 503 with it), or nullopt when it is.
  std::function<std::optional<std::string>()> not_ready;
  std::function<Status()> reload;  // same as SIGHUP; Error = config rejected
  // GET /api/v1/status (JSON) and GET /?page=N (HTML); unset: a plain index page.
  std::function<std::string()> status_json = nullptr;
  std::function<std::string(size_t page)> status_html = nullptr;
  // POST /-/sync?webhook=NAME: queues a sync for that webhook; Error = no such webhook.
  std::function<Status(const std::string& webhook)> sync = nullptr;
  // Why the daemon is not healthy (GET /-/healthy answers 503 with it: the poll loop made no
  // progress), or nullopt when it is; unset: always healthy.
  std::function<std::optional<std::string>()> unhealthy = nullptr;
};

struct HttpServerOptions {
  // http.lifecycle: POST /-/reload and POST /-/sync are served only when true, else 403.
  bool lifecycle = false;
  // A request head must arrive within this of the connection's start or of its previous answer
  // (idle keep-alive included), and an answer must be written within answer_timeout; else the
  // connection is closed.
  std::chrono::milliseconds header_timeout{5'000};
  std::chrono::milliseconds answer_timeout{30'000};
  // Connections one client address may hold at once; more are closed on arrival.
  int max_connections_per_client = 8;
  int threads = 64;  // connections served at once (each holds a thread until it ends)
  // http.tls: HTTPS on the listener; http.basic_auth_users: every endpoint but /-/healthy and
  // /-/ready answers 401 without valid credentials. Both can change later (Secure).
  HttpTlsConfig tls{};
  std::map<std::string, std::string> basic_auth_users{};
};

class HttpServer {
 public:
  // Binds host:port (port 0 = any free port) and starts serving. A port in use, or TLS files that
  // do not make a TLS context, is an Error.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& host, uint16_t port,
                                                   HttpHandlers handlers,
                                                   HttpServerOptions options = {});
  virtual ~HttpServer() = default;
  // Returns the bound port.
  virtual uint16_t port() const = 0;
  // Stops accepting and waits for running requests.
  virtual void Stop() = 0;
  // Replaces the TLS files and users (a reload): new connections and requests use them. An Error
  // (unreadable or mismatched files) keeps the ones before.
  virtual Status Secure(const HttpTlsConfig& tls,
                        const std::map<std::string, std::string>& basic_auth_users) {
    (void)tls, (void)basic_auth_users;
    return Ok{};
  }
  // Checks that `tls` makes a TLS context, without serving it (--check-config, a reload).
  static Status CheckTls(const HttpTlsConfig& tls);
};

}  // namespace presenced
