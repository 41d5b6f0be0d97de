#pragma once

// The Poco sessions PocoHttpClient uses (plain and TLS): Poco's HTTPClientSession plus raw body
// reads and a connect that Abort() can cut short at any moment, directly or through an HTTP proxy
// (net/proxy.h). Internal to net/ (Poco types).

#include <Poco/Buffer.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ios>
#include <string>
#include <type_traits>

#include "net/in_flight.h"
#include "net/poco_errors.h"

namespace presenced {

// A duration as Poco takes it (at least 1 ms: 0 would mean "no timeout").
inline Poco::Timespan ToTimespan(std::chrono::milliseconds ms) {
  return Poco::Timespan(std::max<int64_t>(ms.count(), 1) * 1000);
}

// What PocoHttpClient needs of a session beyond Poco's: raw body reads and an abortable connect.
class SessionHooks {
 public:
  virtual ~SessionHooks() = default;
  // Reads up to `length` bytes past the response head (the session's buffered ones first),
  // bypassing Poco's body stream, which reads 4 KiB per system call (37,000 calls per 150 MB of
  // answers); 0 at the end of the stream.
  virtual int ReadRaw(char* buffer, std::streamsize length) = 0;
  // Sets what the next connect (if the session opens one) registers its socket with and how
  // long it may take. `request` must outlive the exchange.
  void Serve(InFlightRequest* request, const InFlightSockets* sockets,
             std::chrono::milliseconds connect, std::chrono::milliseconds io) {
    request_ = request;
    sockets_ = sockets;
    connect_timeout_ = connect;
    io_timeout_ = io;
    connect_failure_.clear();
    connect_timed_out_ = false;
  }
  // Why the last connect failed, in words, when it failed on its own terms ("" otherwise).
  const std::string& connect_failure() const { return connect_failure_; }
  // Whether that failure was a timeout (connecting, or waiting for a proxy's CONNECT answer).
  bool connect_timed_out() const { return connect_timed_out_; }

 protected:
  // Opens a TCP connection to `address` that Abort() can cut at any moment: the socket is
  // registered before the connect waits. Throws (a Poco exception) when it fails.
  // `proxy` ("host:port", "" when direct) names the proxy in the words of a failure to reach it.
  Poco::Net::StreamSocket OpenTcp(const Poco::Net::SocketAddress& address,
                                  const std::string& proxy) {
    failure_prefix_ = proxy.empty() ? "" : "proxy " + proxy + ": ";
    Poco::Net::StreamSocket tcp;
    try {
      tcp.connectNB(address);  // throws at once on an immediate refusal
    } catch (const Poco::Net::ConnectionRefusedException&) {
      Fail("connection refused");
    } catch (const Poco::Exception& e) {
      if (failure_prefix_.empty()) throw;  // worded by DescribeFailure
      Fail(e.displayText());
    }
    if (request_ == nullptr || !request_->Attach(tcp.impl()->sockfd())) Fail("aborted");
    const bool ready = tcp.poll(ToTimespan(connect_timeout_),
                                Poco::Net::Socket::SELECT_WRITE | Poco::Net::Socket::SELECT_ERROR);
    if (sockets_ != nullptr && sockets_->aborted()) Fail("aborted");
    if (!ready) {
      Fail("timed out connecting (timeout " + std::to_string(connect_timeout_.count()) + " ms)",
           /*timeout=*/true);
    }
    if (const int error = tcp.impl()->socketError(); error != 0) Fail(ConnectErrorText(error));
    tcp.setBlocking(true);
    tcp.setReceiveTimeout(ToTimespan(io_timeout_));
    tcp.setSendTimeout(ToTimespan(io_timeout_));
    tcp.setNoDelay(true);
    return tcp;
  }

  // Asks the proxy at the other end of `tcp` for a tunnel to `target` ("host:port", CONNECT),
  // with Proxy-Authorization: Basic when `username` is set, and returns the socket once the proxy
  // answers 200; the bytes after that are the origin's. The socket stays the one Abort() knows.
  void OpenTunnel(const Poco::Net::StreamSocket& tcp, const std::string& target,
                  const std::string& username, const std::string& password) {
    Poco::Net::HTTPClientSession proxy(tcp);
    proxy.setKeepAlive(true);
    Poco::Net::HTTPRequest connect(Poco::Net::HTTPRequest::HTTP_CONNECT, target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    connect.set("Host", target);
    if (!username.empty()) {
      Poco::Net::HTTPBasicCredentials(username, password).proxyAuthenticate(connect);
    }
    Poco::Net::HTTPResponse answer;
    try {
      proxy.sendRequest(connect);
      proxy.receiveResponse(answer);
    } catch (const Poco::TimeoutException&) {
      Fail("timed out waiting for the CONNECT answer", /*timeout=*/true);
    } catch (const Poco::Exception& e) {
      Fail("CONNECT failed: " + (e.message().empty() ? e.displayText() : e.message()));
    }
    if (answer.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      Fail("refused the tunnel to " + target + ": HTTP " +
           std::to_string(static_cast<int>(answer.getStatus())) + " " + answer.getReason());
    }
    proxy.detachSocket();
  }

 private:
  [[noreturn]] void Fail(const std::string& reason, bool timeout = false) {
    connect_failure_ = failure_prefix_ + reason;
    connect_timed_out_ = timeout;
    throw Poco::Net::NetException(reason);
  }

  InFlightRequest* request_ = nullptr;
  const InFlightSockets* sockets_ = nullptr;
  std::chrono::milliseconds connect_timeout_{4'000};
  std::chrono::milliseconds io_timeout_{10'000};
  std::string connect_failure_;
  bool connect_timed_out_ = false;
  std::string failure_prefix_;  // "proxy host:port: " while connecting through one
};

// A Poco session (plain or TLS) with the hooks. Its connect (called by Poco when the session has
// no connection) opens the TCP connection with OpenTcp, then, for TLS, runs the handshake over it.
// With a proxy (setProxy) Poco hands connect the proxy's address: plain http is then sent to the
// proxy with the absolute URL (Poco adds it and Proxy-Authorization), and TLS goes through a
// CONNECT tunnel opened here (Poco's own tunnel would open a socket Abort() does not know), so
// the certificate is still verified against the origin's name, end to end.
template <typename Base>
class Session final : public Base, public SessionHooks {
 public:
  static constexpr bool kTls = std::is_same_v<Base, Poco::Net::HTTPSClientSession>;

  // TLS sessions only.
  Session(const std::string& host, uint16_t port, Poco::Net::Context::Ptr context)
      : Base(host, port, context), context_(context) {}
  // Plain sessions only.
  Session(const std::string& host, uint16_t port) : Base(host, port) {}

  int ReadRaw(char* buffer, std::streamsize length) override { return this->read(buffer, length); }

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    const std::string& proxy = this->getProxyHost();
    const bool proxied = !proxy.empty();
    const std::string proxy_host = proxy.find(':') == std::string::npos ? proxy : "[" + proxy + "]";
    Poco::Net::StreamSocket tcp =
        OpenTcp(address, proxied ? proxy_host + ":" + std::to_string(this->getProxyPort()) : "");
    if constexpr (kTls) {
      if (proxied) {
        OpenTunnel(tcp, this->getHost() + ":" + std::to_string(this->getPort()),
                   this->getProxyUsername(), this->getProxyPassword());
      }
      // Verifies the certificate and the host name (the context is VERIFY_STRICT), over the
      // socket Abort() already knows.
      this->attachSocket(Poco::Net::SecureStreamSocket::attach(tcp, this->getHost(), context_));
    } else {
      this->attachSocket(tcp);
    }
    // Bytes a previous connection left in the session's buffer are not this one's.
    Poco::Buffer<char> leftover(0);
    this->drainBuffer(leftover);
  }

 private:
  Poco::Net::Context::Ptr context_;
};

}  // namespace presenced
