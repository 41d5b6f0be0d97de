#pragma once

// WebhookReceiver: a local webhook endpoint on port 0 for integration tests. It records every
// request (headers lower-cased, body) and answers with a status the test chooses; it can also
// stall (hold requests until released) or be taken down and brought back on the same port.
// Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
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

  // Starts listening (port 0 = any free port, else that port again); returns the port.
  uint16_t Start(uint16_t port = 0);
  // Stops listening: the receiver is down until Start(port()) again.
  void Stop();
  uint16_t port() const { return port_; }
  std::string Url() const;

  // Status for the following requests (200 by default) and an optional Retry-After value.
  void SetStatus(int status, const std::string& retry_after = "");
  // While stalled, requests wait (up to 30 s) until Release().
  void Stall();
  void Release();

  std::vector<ReceivedWebhook> Requests() const;
  size_t Count() const;

  // Handles one request (called by the server's handler).
  int Handle(ReceivedWebhook request, std::string* retry_after);

 private:
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable released_;
  int status_ = 200;
  std::string retry_after_;
  bool stalled_ = false;
  std::vector<ReceivedWebhook> requests_;
  uint16_t port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace presenced::testing
