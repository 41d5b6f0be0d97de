#pragma once

// HttpServer: the one listener on http.listen serving GET /metrics, GET /-/healthy, GET /-/ready,
// POST /-/reload and GET / (CONTRACT §6). Handlers are injected, so the server knows nothing of
// the rest of the service. Poco types stay in the .cc. Thread-safe; handlers run on Poco's
// worker threads and must be thread-safe themselves.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"

namespace presenced {

struct HttpHandlers {
  std::function<std::string()> metrics;  // Prometheus text exposition
  // Why the daemon is not ready (GET /-/ready answers 503 with it), or nullopt when it is.
  std::function<std::optional<std::string>()> not_ready;
  std::function<Status()> reload;  // same as SIGHUP; Error = config rejected
  // GET /api/v1/status (JSON) and GET /?page=N (HTML); unset: a plain index page.
  std::function<std::string()> status_json;
  std::function<std::string(size_t page)> status_html;
};

class HttpServer {
 public:
  // Binds host:port (port 0 = any free port) and starts serving. A port in use is an Error.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& host, uint16_t port,
                                                   HttpHandlers handlers);
  virtual ~HttpServer() = default;
  // Returns the bound port.
  virtual uint16_t port() const = 0;
  // Stops accepting and waits for running requests.
  virtual void Stop() = 0;
};

}  // namespace presenced
