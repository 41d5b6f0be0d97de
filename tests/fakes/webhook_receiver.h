#pragma once

// WebhookReceiver: a local webhook endpoint on port 0 for integration tests. It records every
// request (headers lower-cased, body) and answers with a status the test chooses; it can also
// stall (hold requests until released) or be taken down and brought back (its port stays bound).
// Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace Poco::Net {
class HTTPServer;
}

namespace presenced::testing {

struct ReceivedWebhook {
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int answered = 0;  // the status it was answered with
};

class WebhookReceiver {
 public:
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  // Starts listening on a free port (port 0); returns the port.
  uint16_t Start();
  // Stops listening for good.
  void Stop();
  // Takes the receiver down until BringBack(): every request's connection is closed without an
  // answer, and a request held by Stall() is dropped when released. The port stays bound, so no
  // other process can take it meanwhile (no stop-then-rebind race).
  void TakeDown();
  void BringBack();
  bool down() const;
  uint16_t port() const { return port_; }
  std::string Url() const;

  // Status for the following requests (200 by default) and an optional Retry-After value.
  void SetStatus(int status, const std::string& retry_after = "");
  // While stalled, requests wait (up to 30 s) until Release().
  void Stall();
  void Release();

  std::vector<ReceivedWebhook> Requests() const;
  size_t Count() const;

  // Handles one request (called by the server's handler): the status to answer, or nullopt when
  // the receiver is down (the request is not recorded).
  std::optional<int> Handle(ReceivedWebhook request, std::string* retry_after);

 private:
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable released_;
  int status_ = 200;
  std::string retry_after_;
  bool stalled_ = false;
  bool down_ = false;
  std::vector<ReceivedWebhook> requests_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace presenced::testing
