#pragma once

// HttpClient: the one seam for outgoing HTTP, used by the Ably REST client and the webhook
// sender. The production implementation (PocoHttpClient) keeps persistent keep-alive connections
// per host, verifies TLS against the system CAs plus an optional bundle, and enforces connect and
// request timeouts and a response size cap; Abort() ends every request in progress (a stop).
// Tests use fakes or real local servers on port 0.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "net/proxy.h"

namespace presenced {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: http(s)://host[:port]/path?query
  Headers headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{4'000};
  std::chrono::milliseconds request_timeout{10'000};
  uint64_t max_response_bytes = 64ull << 20;
  // What a body over max_response_bytes gives: false, a TransportError (kTooLarge), for callers
  // that need the body whole; true, the answer with HttpResponse::truncated set, for callers that
  // need only the status line (a webhook). Either way the rest of the body is not read.
  bool accept_truncated = false;
  // A pooled keep-alive connection idle for longer than this is closed instead of reused. Keep it
  // above the interval between requests to the same origin (a poll interval), or every request
  // pays a new connection (and TLS handshake); a connection the server closed earlier costs one
  // transparent retry on a new one.
  std::chrono::milliseconds keep_alive_idle{4'000};
  // When set, the answer's body is read into this string's storage (it is swapped into
  // HttpResponse::body, left empty here): a caller that gives the body back after use reads every
  // answer of a usual size without allocating. Ignored by clients that cannot reuse it.
  std::string* body_buffer = nullptr;
};

// Zeroed bytes HttpResponse::body keeps allocated past its end, so that a parser which reads
// ahead (simdjson needs 64) can parse the body in place instead of copying it.
inline constexpr size_t kBodyPadding = 64;

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;  // PocoHttpClient: capacity() >= size() + kBodyPadding, the excess zeroed
  // Only with HttpRequest::accept_truncated: the body was longer than max_response_bytes, reading
  // stopped there, and `body` holds at most that many of its first bytes (none when
  // Content-Length already said so). The status line and the headers are whole.
  bool truncated = false;

  // Returns the first header with this name (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

// Why a request produced no HTTP response.
enum class TransportFailure {
  kConnect,   // DNS, refused, unreachable, TLS handshake/verification
  kTimeout,   // connect or request timeout
  kTooLarge,  // body over max_response_bytes (unless accept_truncated)
  kProtocol,  // malformed HTTP, truncated body
  kReset,     // the connection was reset after the request was sent (ECONNRESET)
  kAborted,   // HttpClient::Abort() ended it, or it was sent after Abort()
};

struct TransportError {
  TransportFailure failure;
  // For people: the host and the system's reason, e.g. "api.example.com:443: connection
  // refused", "…: name not found", "…: TLS: certificate verify failed (…)", "…: timed out …".
  // Never contains headers (they carry credentials).
  std::string message;
  // The whole request had been written when the exchange failed, so the server may have acted on
  // it: a POST that failed this way may have been delivered. false = it cannot have been.
  bool possibly_delivered = false;
};

// HttpResult: either a response (any status) or a transport error.
class HttpResult {
 public:
  HttpResult(HttpResponse r) : response_(std::move(r)), ok_(true) {}  // NOLINT
  HttpResult(TransportError e) : error_(std::move(e)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  const HttpResponse& response() const { return response_; }
  HttpResponse& response() { return response_; }
  const TransportError& error() const { return error_; }
  TransportError& error() { return error_; }

 private:
  HttpResponse response_;
  TransportError error_{TransportFailure::kProtocol, ""};
  bool ok_;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends one request and waits for the whole response. Thread-safe: concurrent calls use
  // separate connections. A request is sent once, except a GET or HEAD that failed on a reused
  // keep-alive connection before any response arrived: that is sent once more on a new one.
  virtual HttpResult Send(const HttpRequest& request) = 0;
  // Ends every request in progress at once (a connect, a TLS handshake, a write or a read) and
  // fails every later one before it is sent: both with TransportFailure::kAborted. For a stop,
  // so that no timeout, however long, holds it up; there is no way back. Thread-safe; returns
  // without waiting for the requests to return. A name lookup in progress is not cut short.
  // This default does nothing (test fakes); PocoHttpClient implements it.
  virtual void Abort() {}
};

// How the production client reaches servers.
struct HttpClientOptions {
  std::string ca_file;    // extra CA bundle added to the system store; verification is always on
  ProxySettings proxy{};  // see net/proxy.h; empty: every request goes direct
  bool operator==(const HttpClientOptions&) const = default;
};
using TlsOptions = HttpClientOptions;  // the former name, kept for code not yet renamed

// Creates the production client. Connections are pooled per scheme://host:port and reused.
std::unique_ptr<HttpClient> MakePocoHttpClient(const HttpClientOptions& options);

}  // namespace presenced
