#include "service/http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <utility>

namespace presenced {

namespace {

using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr const char* kIndexPage =
    "<!doctype html><html><head><title>presenced</title></head><body><h1>presenced</h1><ul>"
    "<li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/-/healthy\">/-/healthy</a></li>"
    "<li><a href=\"/-/ready\">/-/ready</a></li><li>POST /-/reload</li></ul></body></html>\n";

void Reply(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
           const std::string& content_type, const std::string& body) {
  response.setStatus(status);
  response.setContentType(content_type);
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body;
}

// Returns the `page` query parameter of `uri` (1 when absent or not a number).
size_t PageParameter(const std::string& uri) {
  const size_t at =
      uri.find("page=", uri.find('?') == std::string::npos ? uri.size() : uri.find('?'));
  if (at == std::string::npos) return 1;
  size_t page = 0;
  for (size_t i = at + 5; i < uri.size() && uri[i] >= '0' && uri[i] <= '9' && page < 1'000'000;
       ++i) {
    page = page * 10 + static_cast<size_t>(uri[i] - '0');
  }
  return page == 0 ? 1 : page;
}

// Routes one request to the injected handlers.
class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const HttpHandlers& handlers) : handlers_(handlers) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    const std::string path = request.getURI().substr(0, request.getURI().find('?'));
    const std::string& method = request.getMethod();
    const bool get = method == HTTPRequest::HTTP_GET || method == HTTPRequest::HTTP_HEAD;
    if (path == "/metrics" && get) {
      Reply(response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
            handlers_.metrics());
    } else if (path == "/-/healthy" && get) {
      Reply(response, HTTPResponse::HTTP_OK, "text/plain", "presenced is healthy.\n");
    } else if (path == "/-/ready" && get) {
      if (const auto reason = handlers_.not_ready()) {
        Reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "text/plain",
              "presenced is not ready:\n" + *reason);
      } else {
        Reply(response, HTTPResponse::HTTP_OK, "text/plain", "presenced is ready.\n");
      }
    } else if (path == "/-/reload" &&
               (method == HTTPRequest::HTTP_POST || method == HTTPRequest::HTTP_PUT)) {
      const Status status = handlers_.reload();
      if (status.ok()) {
        Reply(response, HTTPResponse::HTTP_OK, "text/plain", "config reloaded\n");
      } else {
        Reply(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "text/plain",
              "failed to reload config: " + status.error().message + "\n");
      }
    } else if (path == "/-/reload") {
      response.set("Allow", "POST");
      Reply(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain", "use POST /-/reload\n");
    } else if (path == "/api/v1/status" && get && handlers_.status_json) {
      Reply(response, HTTPResponse::HTTP_OK, "application/json", handlers_.status_json());
    } else if (path == "/" && get && handlers_.status_html) {
      Reply(response, HTTPResponse::HTTP_OK, "text/html; charset=utf-8",
            handlers_.status_html(PageParameter(request.getURI())));
    } else if (path == "/" && get) {
      Reply(response, HTTPResponse::HTTP_OK, "text/html; charset=utf-8", kIndexPage);
    } else {
      Reply(response, HTTPResponse::HTTP_NOT_FOUND, "text/plain", "not found\n");
    }
  }

 private:
  const HttpHandlers& handlers_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(const HttpHandlers& handlers) : handlers_(handlers) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(handlers_);
  }

 private:
  const HttpHandlers& handlers_;
};

class PocoHttpServer final : public HttpServer {
 public:
  PocoHttpServer(Poco::Net::ServerSocket socket, HttpHandlers handlers)
      : handlers_(std::move(handlers)), port_(socket.address().port()) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(handlers_), socket, params);
    server_->start();
  }
  ~PocoHttpServer() override { Stop(); }

  uint16_t port() const override { return port_; }
  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    server_->stopAll(true);
  }

 private:
  HttpHandlers handlers_;  // outlives server_: declared first, destroyed last
  uint16_t port_;
  bool stopped_ = false;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host, uint16_t port,
                                                      HttpHandlers handlers) {
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(host, port), /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(64);
    return std::unique_ptr<HttpServer>(new PocoHttpServer(std::move(socket), std::move(handlers)));
  } catch (const Poco::Exception& e) {
    return Error{"http.listen: cannot listen on " + host + ":" + std::to_string(port) + ": " +
                 e.displayText()};
  }
}

}  // namespace presenced
