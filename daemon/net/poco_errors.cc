#include "net/poco_errors.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>

#include <cerrno>
#include <cstring>

#include "common/ascii.h"

namespace presenced {
namespace {

// strerror's text, first letter lower-cased ("Network is unreachable" → "network is …").
std::string ErrnoText(int code) {
  std::string text = std::strerror(code);
  if (!text.empty()) text[0] = AsciiLower(text[0]);
  return text;
}

template <typename T>
bool Is(const Poco::Exception& e) {
  return dynamic_cast<const T*>(&e) != nullptr;
}

// The reason of a TLS failure: OpenSSL's text names a failed verification in its own words.
std::string TlsReason(const Poco::Exception& e) {
  const std::string text = e.message().empty() ? e.displayText() : e.message();
  if (Is<Poco::Net::CertificateValidationException>(e)) {
    return "TLS: certificate verify failed: " + text;
  }
  if (text.find("certificate verify failed") != std::string::npos) {
    return "TLS: certificate verify failed";
  }
  return "TLS: " + text;
}

}  // namespace

std::string ConnectErrorText(int code) {
  switch (code) {
    case ECONNREFUSED:
      return "connection refused";
    case ETIMEDOUT:
      return "timed out connecting";
    case ENETUNREACH:
      return "network unreachable";
    case EHOSTUNREACH:
      return "host unreachable";
    default:
      return ErrnoText(code);
  }
}

TransportError DescribeFailure(const Poco::Exception& e, ExchangePhase phase,
                               const std::string& where, long long request_timeout_ms) {
  const std::string prefix = where + ": ";
  if (Is<Poco::TimeoutException>(e)) {
    return {TransportFailure::kTimeout,
            prefix + "timed out " +
                (phase == ExchangePhase::kSend ? "sending the request" : "waiting for the answer") +
                " (timeout " + std::to_string(request_timeout_ms) + " ms)"};
  }
  if (Is<Poco::Net::HostNotFoundException>(e)) {
    return {TransportFailure::kConnect, prefix + "name not found"};
  }
  if (Is<Poco::Net::NoAddressFoundException>(e)) {
    return {TransportFailure::kConnect, prefix + "name has no address"};
  }
  if (Is<Poco::Net::DNSException>(e)) {
    return {TransportFailure::kConnect, prefix + "name lookup failed (" + e.message() + ")"};
  }
  if (Is<Poco::Net::SSLException>(e)) {
    return {TransportFailure::kConnect, prefix + TlsReason(e)};
  }
  if (Is<Poco::Net::ConnectionRefusedException>(e)) {
    return {TransportFailure::kConnect, prefix + "connection refused"};
  }
  if (Is<Poco::Net::ConnectionResetException>(e)) {
    const TransportFailure failure =
        phase == ExchangePhase::kSend ? TransportFailure::kConnect : TransportFailure::kReset;
    return {failure, prefix + "connection reset by the server"};
  }
  if (Is<Poco::Net::NoMessageException>(e)) {
    return {
        phase == ExchangePhase::kSend ? TransportFailure::kConnect : TransportFailure::kProtocol,
        prefix + "connection closed without an answer"};
  }
  if (phase == ExchangePhase::kSend) {
    const std::string reason = e.code() > 0 ? ConnectErrorText(e.code()) : e.displayText();
    return {TransportFailure::kConnect, prefix + reason};
  }
  return {TransportFailure::kProtocol, prefix + "bad answer: " + e.displayText()};
}

}  // namespace presenced
