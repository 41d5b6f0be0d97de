#pragma once

// ReplaceableHttpClient: an HttpClient that forwards to another one which a config reload can
// replace (a new ably.ca_file or proxy), so the parts holding a reference to it (the Ably client,
// every webhook's sender) use the new one from their next request. A request in flight finishes
// on the client it started on, which lives until then. Thread-safe.

#include <memory>
#include <utility>

#include "common/mutex.h"
#include "net/http_client.h"

namespace presenced {

class ReplaceableHttpClient final : public HttpClient {
 public:
  explicit ReplaceableHttpClient(std::unique_ptr<HttpClient> client) : client_(std::move(client)) {}

  // Sends every later request through `client`.
  void Replace(std::unique_ptr<HttpClient> client) {
    std::shared_ptr<HttpClient> next(std::move(client));
    MutexLock lock(mu_);
    client_.swap(next);  // the old one is released outside the lock, after its last request
  }

  HttpResult Send(const HttpRequest& request) override {
    std::shared_ptr<HttpClient> client;
    {
      MutexLock lock(mu_);
      client = client_;
    }
    return client->Send(request);
  }

 private:
  Mutex mu_;
  std::shared_ptr<HttpClient> client_ GUARDED_BY(mu_);
};

}  // namespace presenced
