#include "web/http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "web/connection_guard.h"
#include "web/guarded_connection.h"
#include "web/http_security.h"

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

// Probes stay simple: no credentials for the health endpoints.
bool NeedsNoCredentials(const std::string& path) {
  return path == "/-/healthy" || path == "/-/ready";
}

// Requests that change the daemon's state: served only with http.lifecycle: true.
bool IsLifecyclePath(const std::string& path) { return path == "/-/reload" || path == "/-/sync"; }

void Reply(HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
           const std::string& content_type, const std::string& body) {
  response.setStatusAndReason(status);  // setStatus() alone would leave the reason at "OK"
  response.setContentType(content_type);
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  response.send() << body << std::flush;  // written within the answer deadline
}

// Returns the decoded value of query parameter `name` of `uri`; "" when absent or malformed.
std::string QueryParameter(const std::string& uri, const std::string& name) {
  try {
    for (const auto& [key, value] : Poco::URI(uri).getQueryParameters()) {
      if (key == name) return value;
    }
  } catch (const Poco::Exception&) {
  }
  return "";
}

// Returns the `page` query parameter of `uri`: 1 when absent or not a positive number, the largest
// size_t when too big (the status page then shows its last page).
size_t PageParameter(const std::string& uri) {
  const std::string value = QueryParameter(uri, "page");
  size_t page = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), page);
  if (error == std::errc::result_out_of_range) return std::numeric_limits<size_t>::max();
  return error == std::errc() && end == value.data() + value.size() && page > 0 ? page : 1;
}

// Routes one request to the injected handlers.
class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  Handler(const HttpHandlers& handlers, const HttpServerOptions& options, ConnectionGuard& guard,
          SecurityHolder& security)
      : handlers_(handlers), options_(options), guard_(guard), security_(security) {}

  void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
    // The head has arrived; the answer gets its own deadline, and then the next head.
    guard_.RequestStarted(request.clientAddress());
    if (Authorized(request)) {
      Route(request, response);
    } else {
      response.set("WWW-Authenticate", "Basic realm=\"presenced\", charset=\"UTF-8\"");
      Reply(response, HTTPResponse::HTTP_UNAUTHORIZED, "text/plain",
            "credentials required (http.basic_auth_users)\n");
    }
    guard_.RequestFinished(request.clientAddress());
  }

 private:
  bool Authorized(const HTTPServerRequest& request) {
    const std::shared_ptr<const HttpSecurity> security = security_.Get();
    if (security->users.empty()) return true;
    const std::string path = request.getURI().substr(0, request.getURI().find('?'));
    return NeedsNoCredentials(path) ||
           BasicAuthAccepts(security->users, request.get("Authorization", ""));
  }

  void Route(HTTPServerRequest& request, HTTPServerResponse& response) {
    const std::string path = request.getURI().substr(0, request.getURI().find('?'));
    const std::string& method = request.getMethod();
    const bool get = method == HTTPRequest::HTTP_GET || method == HTTPRequest::HTTP_HEAD;
    const bool post = method == HTTPRequest::HTTP_POST || method == HTTPRequest::HTTP_PUT;
    if (path == "/metrics" && get) {
      Reply(response, HTTPResponse::HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
            handlers_.metrics());
    } else if (path == "/-/healthy" && get) {
      if (const auto reason = handlers_.unhealthy ? handlers_.unhealthy() : std::nullopt) {
        Reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "text/plain",
              "presenced is not healthy:\n" + *reason + "\n");
      } else {
        Reply(response, HTTPResponse::HTTP_OK, "text/plain", "presenced is healthy.\n");
      }
    } else if (path == "/-/ready" && get) {
      if (const auto reason = handlers_.not_ready()) {
        Reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "text/plain",
              "presenced is not ready:\n" + *reason);
      } else {
        Reply(response, HTTPResponse::HTTP_OK, "text/plain", "presenced is ready.\n");
      }
    } else if (IsLifecyclePath(path) && !post) {
      response.set("Allow", "POST");
      Reply(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "text/plain",
            "use POST " + path + "\n");
    } else if (IsLifecyclePath(path) && !options_.lifecycle) {
      Reply(response, HTTPResponse::HTTP_FORBIDDEN, "text/plain",
            "lifecycle endpoints are disabled; set http.lifecycle: true to enable POST " + path +
                "\n");
    } else if (path == "/-/reload") {
      const Status status = handlers_.reload();
      if (status.ok()) {
        Reply(response, HTTPResponse::HTTP_OK, "text/plain", "config reloaded\n");
      } else {
        Reply(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "text/plain",
              "failed to reload config: " + status.error().message + "\n");
      }
    } else if (path == "/-/sync" && handlers_.sync) {
      const std::string webhook = QueryParameter(request.getURI(), "webhook");
      if (webhook.empty()) {
        Reply(response, HTTPResponse::HTTP_BAD_REQUEST, "text/plain",
              "name the webhook: POST /-/sync?webhook=NAME\n");
      } else if (const Status status = handlers_.sync(webhook); !status.ok()) {
        Reply(response, HTTPResponse::HTTP_NOT_FOUND, "text/plain", status.error().message + "\n");
      } else {
        Reply(response, HTTPResponse::HTTP_ACCEPTED, "text/plain",
              "sync of webhook " + webhook + " queued: it goes out with the next poll cycle\n");
      }
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

  const HttpHandlers& handlers_;
  const HttpServerOptions& options_;
  ConnectionGuard& guard_;
  SecurityHolder& security_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const HttpHandlers& handlers, const HttpServerOptions& options, ConnectionGuard& guard,
          SecurityHolder& security)
      : handlers_(handlers), options_(options), guard_(guard), security_(security) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
    return new Handler(handlers_, options_, guard_, security_);
  }

 private:
  const HttpHandlers& handlers_;
  const HttpServerOptions& options_;
  ConnectionGuard& guard_;
  SecurityHolder& security_;
};

Poco::Timespan ToTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms.count()) * 1000);
}

class PocoHttpServer final : public HttpServer {
 public:
  PocoHttpServer(Poco::Net::ServerSocket socket, HttpHandlers handlers, HttpServerOptions options,
                 std::shared_ptr<const HttpSecurity> security)
      : handlers_(std::move(handlers)),
        options_(std::move(options)),
        security_(std::move(security)),
        port_(socket.address().port()),
        guard_(
            {options.header_timeout, options.answer_timeout, options.max_connections_per_client}),
        pool_(std::min(2, options.threads), options.threads) {
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(options.threads);
    params->setMaxQueued(64);
    params->setKeepAlive(true);
    // Each read is bounded too; the guard bounds the whole head and answer.
    params->setTimeout(ToTimespan(options.header_timeout));
    params->setKeepAliveTimeout(ToTimespan(options.header_timeout));
    server_ = std::make_unique<Poco::Net::TCPServer>(
        new ConnectionFactory(params, new Factory(handlers_, options_, guard_, security_), guard_,
                              security_),
        pool_, socket, params);
    server_->start();
  }
  ~PocoHttpServer() override { Stop(); }

  uint16_t port() const override { return port_; }
  Status Secure(const HttpTlsConfig& tls,
                const std::map<std::string, std::string>& basic_auth_users) override {
    Result<std::shared_ptr<const HttpSecurity>> security = MakeHttpSecurity(tls, basic_auth_users);
    if (!security.ok()) return security.error();
    security_.Set(std::move(*security));
    return Ok{};
  }
  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    server_->stop();       // no new connections
    guard_.ShutdownAll();  // ends the open ones, idle keep-alive included
    pool_.joinAll();
  }

 private:
  // Declared in the order they must outlive each other: the connections (on pool_, created by
  // server_) use handlers_, options_, security_ and guard_.
  HttpHandlers handlers_;
  const HttpServerOptions options_;
  SecurityHolder security_;
  uint16_t port_;
  bool stopped_ = false;
  ConnectionGuard guard_;
  Poco::ThreadPool pool_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
};

}  // namespace

Status HttpServer::CheckTls(const HttpTlsConfig& tls) {
  Result<std::shared_ptr<const HttpSecurity>> security = MakeHttpSecurity(tls, {});
  if (!security.ok()) return security.error();
  return Ok{};
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& host, uint16_t port,
                                                      HttpHandlers handlers,
                                                      HttpServerOptions options) {
  Result<std::shared_ptr<const HttpSecurity>> security =
      MakeHttpSecurity(options.tls, options.basic_auth_users);
  if (!security.ok()) return security.error();
  try {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress(host, port), /*reuseAddress=*/true, /*reusePort=*/false);
    socket.listen(64);
    return std::unique_ptr<HttpServer>(new PocoHttpServer(
        std::move(socket), std::move(handlers), std::move(options), std::move(*security)));
  } catch (const Poco::Exception& e) {
    return Error{"http.listen: cannot listen on " + host + ":" + std::to_string(port) + ": " +
                 e.displayText()};
  }
}

}  // namespace presenced
