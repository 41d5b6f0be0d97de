// PocoHttpClient: the production HttpClient on Poco::Net (see http_client.h for the contract).
//
// Each Send takes a pooled keep-alive session for the URL's origin or opens a new one, sends the
// request, and reads the body in small chunks, re-arming the socket's receive timeout with the
// time left before the request deadline, so a slow server cannot stretch a request much past
// request_timeout. A body over max_response_bytes is not read further and its connection is
// closed: the answer comes back marked `truncated` (accept_truncated) or as kTooLarge. Every Poco
// exception is caught here and becomes a TransportError worded by poco_errors.h (host and reason,
// never request headers).
//
// Abort: every request registers its socket in `in_flight_` (InFlightSockets) as soon as the
// socket exists: a pooled session's at once, a new connection's inside Session::connect, which
// opens the TCP connection itself (non-blocking, registered before it waits) and only then puts
// TLS on it, so Abort() reaches a request in any phase but the name lookup.

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <chrono>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "net/http_client.h"
#include "net/in_flight.h"
#include "net/poco_errors.h"
#include "net/poco_session.h"
#include "net/proxy.h"
#include "net/session_pool.h"
#include "net/url.h"

namespace presenced {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

constexpr size_t kReadChunk = 16 * 1024;
// The most one system call reads of a body of known length.
constexpr size_t kRawReadChunk = 1024 * 1024;

using Phase = ExchangePhase;

struct Outcome {
  HttpResult result;
  Phase phase = Phase::kSend;
  bool reusable = false;  // the session may serve another request
};

milliseconds Remaining(SteadyTime deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
}

// Returns false when a pooled connection is no longer usable: an idle keep-alive connection has
// nothing to read, so a readable one was closed by the server (or sent something unasked).
// The outcome of an answer whose body went over max_response_bytes. The rest of the body is left
// unread on the connection, so the connection is never kept.
Outcome Truncated(HttpResponse response, const HttpRequest& request, const std::string& where) {
  if (request.accept_truncated) return {HttpResult(std::move(response)), ExchangePhase::kBody};
  return {TransportError{TransportFailure::kTooLarge,
                         where + ": answer over " + std::to_string(request.max_response_bytes) +
                             " bytes (HTTP " + std::to_string(response.status) + ")"},
          ExchangePhase::kBody};
}

bool StillOpen(Poco::Net::HTTPClientSession& session) {
  try {
    return session.connected() &&
           !session.socket().poll(Poco::Timespan(0),
                                  Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
  } catch (const Poco::Exception&) {
    return false;
  }
}

// Sets the connect timeout and the send/receive timeouts of the session, and of its socket when
// it is already connected (Poco applies session timeouts only when it connects).
void ApplyTimeouts(Poco::Net::HTTPClientSession& session, milliseconds connect, milliseconds io) {
  session.setTimeout(ToTimespan(connect), ToTimespan(io), ToTimespan(io));
  if (session.connected()) {
    session.socket().setReceiveTimeout(ToTimespan(io));
    session.socket().setSendTimeout(ToTimespan(io));
  }
}

std::string HostHeader(const Url& url) {
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  const bool default_port =
      (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
  return default_port ? host : host + ":" + std::to_string(url.port);
}

class PocoHttpClient final : public HttpClient {
 public:
  explicit PocoHttpClient(const HttpClientOptions& options);

  HttpResult Send(const HttpRequest& request) override;
  void Abort() override { in_flight_.Abort(); }

 private:
  std::unique_ptr<Poco::Net::HTTPClientSession> NewSession(const Url& url) const;
  Outcome Exchange(Poco::Net::HTTPClientSession& session, InFlightRequest& tracked, const Url& url,
                   const HttpRequest& request, SteadyTime deadline) const;
  Outcome ReadBody(Poco::Net::HTTPClientSession& session, Poco::Net::HTTPResponse& head,
                   std::istream& body, const Url& url, const HttpRequest& request,
                   SteadyTime deadline) const;
  // Reads a body of unknown length (chunked, or until the connection closes) through Poco's
  // stream into `text`, up to max_response_bytes (then `truncated`); returns why it failed, or
  // nullopt.
  static std::optional<TransportError> ReadStream(std::istream& body, std::string& text,
                                                  bool& truncated, const HttpRequest& request,
                                                  const Url& url, SteadyTime deadline,
                                                  Poco::Net::HTTPClientSession& session);

  Poco::Net::Context::Ptr tls_context_;  // null when TLS setup failed (then tls_error_ says why)
  std::string tls_error_;
  const ProxySettings proxy_;
  SessionPool pool_;
  InFlightSockets in_flight_;
};

PocoHttpClient::PocoHttpClient(const HttpClientOptions& options) : proxy_(options.proxy) {
  const HttpClientOptions& tls = options;
  try {
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.loadDefaultCAs = true;
    params.caLocation = tls.ca_file;
    tls_context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    tls_context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  } catch (const Poco::Exception& e) {
    tls_context_ = nullptr;
    tls_error_ = "TLS setup failed: " + e.displayText();
  }
}

std::unique_ptr<Poco::Net::HTTPClientSession> PocoHttpClient::NewSession(const Url& url) const {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  if (url.scheme == "https") {
    session =
        std::make_unique<Session<Poco::Net::HTTPSClientSession>>(url.host, url.port, tls_context_);
  } else {
    session = std::make_unique<Session<Poco::Net::HTTPClientSession>>(url.host, url.port);
  }
  // Through a proxy (net/proxy.h): https in a CONNECT tunnel (Session::connect), http sent to it
  // with the absolute URL; Proxy-Authorization: Basic when the proxy URL has user info.
  if (const std::optional<ProxyRoute> proxy = ProxyFor(proxy_, url)) {
    session->setProxy(proxy->host, proxy->port);
    if (!proxy->username.empty()) session->setProxyCredentials(proxy->username, proxy->password);
  }
  session->setKeepAlive(true);
  return session;
}

HttpResult PocoHttpClient::Send(const HttpRequest& request) {
  Result<Url> url = ParseUrl(request.url);
  if (!url.ok()) return TransportError{TransportFailure::kConnect, url.error().message};
  const std::string where = url->host + ":" + std::to_string(url->port);
  if (url->scheme == "https" && !tls_context_) {
    return TransportError{TransportFailure::kConnect, where + ": " + tls_error_};
  }
  const TransportError aborted{TransportFailure::kAborted, where + ": aborted (stopping)"};
  const std::optional<InFlightSockets::Id> id = in_flight_.Begin();
  if (!id) return aborted;
  InFlightRequest tracked(in_flight_, *id);
  const SteadyTime deadline = std::chrono::steady_clock::now() + request.request_timeout;
  const std::string origin = url->Origin();
  const bool idempotent = request.method == "GET" || request.method == "HEAD";
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Poco::Net::HTTPClientSession> session = pool_.Take(origin);
    if (session && !StillOpen(*session)) session.reset();
    const bool reused = session != nullptr;
    if (!reused) {
      session = NewSession(*url);
    } else if (!tracked.Attach(session->socket().impl()->sockfd())) {
      return aborted;
    }
    // Poco reconnects, instead of reusing the session, once it has been idle this long.
    session->setKeepAliveTimeout(ToTimespan(request.keep_alive_idle));
    Outcome outcome = Exchange(*session, tracked, *url, request, deadline);
    if (outcome.result.ok()) {
      if (outcome.reusable) pool_.Put(origin, std::move(session));
      return std::move(outcome.result);
    }
    if (in_flight_.aborted()) {
      TransportError error = aborted;
      error.possibly_delivered = outcome.phase != Phase::kSend;
      return error;
    }
    outcome.result.error().possibly_delivered = outcome.phase != Phase::kSend;
    // A pooled connection that the server closed while it sat idle fails before any response
    // arrives. If writing the request failed, the server cannot hold the whole of it, so it is
    // sent again on a new connection. Once the whole request was written the server may have
    // acted on it: only an idempotent request is sent again; any other is reported as possibly
    // delivered (a webhook batch is then retried by its worker, with the same webhook-id).
    const bool resend =
        reused &&
        (outcome.phase == Phase::kSend || (outcome.phase == Phase::kHead && idempotent)) &&
        outcome.result.error().failure != TransportFailure::kTimeout;
    if (!resend || attempt > 0 || Remaining(deadline).count() <= 0) return outcome.result;
  }
}

Outcome PocoHttpClient::Exchange(Poco::Net::HTTPClientSession& session, InFlightRequest& tracked,
                                 const Url& url, const HttpRequest& request,
                                 SteadyTime deadline) const {
  const std::string where = url.host + ":" + std::to_string(url.port);
  auto timed_out = [&](Phase phase) -> Outcome {
    return {TransportError{TransportFailure::kTimeout,
                           where + ": timed out waiting for the answer (timeout " +
                               std::to_string(request.request_timeout.count()) + " ms)"},
            phase};
  };
  auto* hooks = dynamic_cast<SessionHooks*>(&session);
  Phase phase = Phase::kSend;
  try {
    milliseconds left = Remaining(deadline);
    if (left.count() <= 0) return timed_out(phase);
    ApplyTimeouts(session, std::min(request.connect_timeout, left), left);
    if (hooks != nullptr) {
      hooks->Serve(&tracked, &in_flight_, std::min(request.connect_timeout, left), left);
    }

    Poco::Net::HTTPRequest head(request.method, url.target, Poco::Net::HTTPMessage::HTTP_1_1);
    head.set("Host", HostHeader(url));
    head.setKeepAlive(true);
    for (const auto& [name, value] : request.headers) head.add(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      head.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
    }
    std::ostream& out = session.sendRequest(head);
    out.exceptions(std::ios::badbit);
    out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    // Poco buffers the request; without this flush its last bytes would only be written inside
    // receiveResponse(), and a failed write would look like a failure after the request was sent.
    out.flush();

    phase = Phase::kHead;
    left = Remaining(deadline);
    if (left.count() <= 0) return timed_out(phase);
    ApplyTimeouts(session, std::min(request.connect_timeout, left), left);
    Poco::Net::HTTPResponse response_head;
    std::istream& body = session.receiveResponse(response_head);
    return ReadBody(session, response_head, body, url, request, deadline);
  } catch (const Poco::Exception& e) {
    if (hooks != nullptr && !hooks->connect_failure().empty()) {
      const bool timeout = hooks->connect_timed_out();
      return {TransportError{timeout ? TransportFailure::kTimeout : TransportFailure::kConnect,
                             where + ": " + hooks->connect_failure()},
              phase};
    }
    return {DescribeFailure(e, phase, where, request.request_timeout.count()), phase};
  } catch (const std::exception& e) {
    return {TransportError{TransportFailure::kProtocol, where + ": bad answer: " + e.what()},
            phase};
  }
}

Outcome PocoHttpClient::ReadBody(Poco::Net::HTTPClientSession& session,
                                 Poco::Net::HTTPResponse& head, std::istream& body, const Url& url,
                                 const HttpRequest& request, SteadyTime deadline) const {
  const Phase phase = Phase::kBody;
  const std::string where = url.host + ":" + std::to_string(url.port);
  const int64_t declared = head.hasContentLength() ? head.getContentLength64() : -1;
  HttpResponse response;
  response.status = static_cast<int>(head.getStatus());
  for (const auto& [name, value] : head) response.headers.emplace_back(name, value);
  if (declared >= 0 && static_cast<uint64_t>(declared) > request.max_response_bytes) {
    response.truncated = true;  // announced over the cap: not read at all
    response.body.reserve(kBodyPadding);
    return Truncated(std::move(response), request, where);
  }
  std::string& text = response.body;
  if (request.body_buffer != nullptr) {
    text.swap(*request.body_buffer);  // the caller's storage, kept across requests
    text.clear();
  }
  if (declared > 0) text.reserve(static_cast<size_t>(declared) + kReadChunk + kBodyPadding);

  auto* raw = dynamic_cast<SessionHooks*>(&session);
  // Poco's stream knows the answers that have no body whatever their Content-Length says.
  const int status = response.status;
  const bool may_have_body =
      request.method != "HEAD" && status >= 200 && status != 204 && status != 304;
  if (declared >= 0 && raw != nullptr && may_have_body) {
    // A known length: read it straight from the connection, in as few calls as it allows.
    text.resize(static_cast<size_t>(declared));
    size_t got = 0;
    while (got < text.size()) {
      const milliseconds left = Remaining(deadline);
      if (left.count() <= 0) {
        return {TransportError{TransportFailure::kTimeout,
                               where + ": timed out reading the answer (timeout " +
                                   std::to_string(request.request_timeout.count()) + " ms)"},
                phase};
      }
      session.socket().setReceiveTimeout(ToTimespan(left));
      const size_t want = std::min(text.size() - got, kRawReadChunk);
      const int n = raw->ReadRaw(text.data() + got, static_cast<std::streamsize>(want));
      if (n <= 0) break;  // the connection ended early: reported as truncated below
      got += static_cast<size_t>(n);
    }
    text.resize(got);
  } else if (auto failed =
                 ReadStream(body, text, response.truncated, request, url, deadline, session)) {
    return {std::move(*failed), phase};
  }
  // Zero kBodyPadding bytes past the end, keeping them allocated (see kBodyPadding).
  const size_t length = text.size();
  text.resize(length + kBodyPadding);
  text.resize(length);
  if (declared >= 0 && response.body.size() != static_cast<uint64_t>(declared)) {
    return {
        TransportError{TransportFailure::kProtocol,
                       where + ": truncated answer: got " + std::to_string(response.body.size()) +
                           " of " + std::to_string(declared) + " bytes"},
        phase};
  }
  if (response.truncated) return Truncated(std::move(response), request, where);
  return {HttpResult(std::move(response)), phase, head.getKeepAlive()};
}

std::optional<TransportError> PocoHttpClient::ReadStream(std::istream& body, std::string& text,
                                                         bool& truncated,
                                                         const HttpRequest& request, const Url& url,
                                                         SteadyTime deadline,
                                                         Poco::Net::HTTPClientSession& session) {
  body.exceptions(std::ios::badbit);
  while (true) {
    const milliseconds left = Remaining(deadline);
    if (left.count() <= 0) {
      return TransportError{TransportFailure::kTimeout,
                            url.host + ":" + std::to_string(url.port) +
                                ": timed out reading the answer (timeout " +
                                std::to_string(request.request_timeout.count()) + " ms)"};
    }
    session.socket().setReceiveTimeout(ToTimespan(left));
    // Read straight into the body: no intermediate chunk buffer, no copy.
    const size_t had = text.size();
    text.resize(had + kReadChunk);
    body.read(text.data() + had, static_cast<std::streamsize>(kReadChunk));
    const auto n = static_cast<size_t>(body.gcount());
    text.resize(had + n);
    if (text.size() > request.max_response_bytes) {
      text.resize(request.max_response_bytes);
      truncated = true;
      return std::nullopt;
    }
    if (body.eof()) return std::nullopt;
  }
}

}  // namespace

std::unique_ptr<HttpClient> MakePocoHttpClient(const HttpClientOptions& options) {
  return std::make_unique<PocoHttpClient>(options);
}

}  // namespace presenced
