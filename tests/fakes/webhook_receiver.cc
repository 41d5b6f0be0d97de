#include "webhook_receiver.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <sstream>

#include "common/ascii.h"

namespace presenced::testing {

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(WebhookReceiver& receiver) : receiver_(receiver) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    ReceivedWebhook received;
    for (const auto& [name, value] : request) {
      received.headers[AsciiLower(name)] = value;
    }
    std::ostringstream body;
    Poco::StreamCopier::copyStream(request.stream(), body);
    received.body = body.str();
    if (request.hasContentLength() &&
        received.body.size() != static_cast<uint64_t>(request.getContentLength64())) {
      // The sender died mid-body (a kill -9 test): nobody is left to answer, and a real receiver
      // would not have taken a cut-short batch. Recorded, it would look acknowledged.
      return;
    }
    std::string retry_after;
    const std::optional<int> status = receiver_.Handle(std::move(received), &retry_after);
    if (!status) {
      // Down: close the connection without an answer (Poco writes nothing when the handler
      // sends nothing; SIGPIPE is ignored in case it tries).
      static_cast<Poco::Net::HTTPServerRequestImpl&>(request).socket().shutdown();
      return;
    }
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(*status));
    if (!retry_after.empty()) response.set("Retry-After", retry_after);
    response.setContentLength(0);
    response.send();
  }

 private:
  WebhookReceiver& receiver_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(WebhookReceiver& receiver) : receiver_(receiver) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(receiver_);
  }

 private:
  WebhookReceiver& receiver_;
};

}  // namespace

WebhookReceiver::WebhookReceiver() = default;

WebhookReceiver::~WebhookReceiver() {
  Release();
  Stop();
}

uint16_t WebhookReceiver::Start() {
  std::signal(SIGPIPE, SIG_IGN);  // a write to a connection closed while down must not kill us
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64);
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(true);
  auto server = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
  server->start();
  std::lock_guard lock(mu_);
  port_ = socket.address().port();
  server_ = std::move(server);
  return port_;
}

void WebhookReceiver::Stop() {
  std::unique_ptr<Poco::Net::HTTPServer> server;
  {
    std::lock_guard lock(mu_);
    server = std::move(server_);
  }
  if (server) server->stopAll(true);
}

void WebhookReceiver::TakeDown() {
  std::lock_guard lock(mu_);
  down_ = true;
}

void WebhookReceiver::BringBack() {
  std::lock_guard lock(mu_);
  down_ = false;
}

bool WebhookReceiver::down() const {
  std::lock_guard lock(mu_);
  return down_;
}

std::string WebhookReceiver::Url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
}

void WebhookReceiver::SetStatus(int status, const std::string& retry_after) {
  std::lock_guard lock(mu_);
  status_ = status;
  retry_after_ = retry_after;
}

void WebhookReceiver::Stall() {
  std::lock_guard lock(mu_);
  stalled_ = true;
}

void WebhookReceiver::Release() {
  {
    std::lock_guard lock(mu_);
    stalled_ = false;
  }
  released_.notify_all();
}

std::vector<ReceivedWebhook> WebhookReceiver::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t WebhookReceiver::Count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

std::optional<int> WebhookReceiver::Handle(ReceivedWebhook request, std::string* retry_after) {
  std::unique_lock lock(mu_);
  released_.wait_for(lock, std::chrono::seconds(30), [&] { return !stalled_; });
  if (down_) return std::nullopt;
  request.answered = status_;
  *retry_after = retry_after_;
  requests_.push_back(std::move(request));
  return status_;
}

}  // namespace presenced::testing
