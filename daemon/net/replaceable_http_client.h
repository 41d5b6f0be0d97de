#pragma once

// ReplaceableHttpClient: an HttpClient that forwards to another one which a config reload can
// replace (a new ably.ca_file or proxy), so the parts holding a reference to it (the Ably client,
// every webhook's sender) use the new one from their next request. A request in flight finishes
// on the client it started on, which lives until then. Abort() (a stop) reaches every client
// that may still have a request in flight, the replaced ones too, and every later one: a stop
// during a reload is not held up by either client. Thread-safe.

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "net/http_client.h"

namespace presenced {

class ReplaceableHttpClient final : public HttpClient {
 public:
  explicit ReplaceableHttpClient(std::unique_ptr<HttpClient> client) : client_(std::move(client)) {}

  // Sends every later request through `client` (aborted at once after an Abort()).
  void Replace(std::unique_ptr<HttpClient> client) {
    std::shared_ptr<HttpClient> next(std::move(client));
    MutexLock lock(mu_);
    if (aborted_) next->Abort();  // nobody else holds it yet
    std::erase_if(replaced_, [](const std::weak_ptr<HttpClient>& old) { return old.expired(); });
    replaced_.push_back(client_);
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

  void Abort() override {
    std::vector<std::shared_ptr<HttpClient>> clients;
    {
      MutexLock lock(mu_);
      aborted_ = true;
      clients.push_back(client_);
      for (const std::weak_ptr<HttpClient>& old : replaced_) {
        if (std::shared_ptr<HttpClient> alive = old.lock()) clients.push_back(std::move(alive));
      }
    }
    for (const std::shared_ptr<HttpClient>& client : clients) client->Abort();
  }

 private:
  Mutex mu_;
  std::shared_ptr<HttpClient> client_ GUARDED_BY(mu_);
  // Replaced clients, alive while a request started on them is in flight.
  std::vector<std::weak_ptr<HttpClient>> replaced_ GUARDED_BY(mu_);
  bool aborted_ GUARDED_BY(mu_) = false;
};

}  // namespace presenced
