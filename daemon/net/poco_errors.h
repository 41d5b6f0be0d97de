#pragma once

// How PocoHttpClient words a failed exchange for people (http_client.h TransportError): the host
// and the system's reason in plain words ("connection refused", "name not found", "TLS:
// certificate verify failed", "timed out …"), never an error number alone. Internal to net/.

#include <string>

#include "net/http_client.h"

namespace Poco {
class Exception;
}

namespace presenced {

// Where an exchange failed: while connecting or writing the request, after the whole request was
// written but before the response head arrived, or while reading the body.
enum class ExchangePhase { kSend, kHead, kBody };

// Returns the TransportError for exception `e`, thrown in `phase` of an exchange with `where`
// ("host:port"). `request_timeout_ms` is quoted in the words of a timeout.
TransportError DescribeFailure(const Poco::Exception& e, ExchangePhase phase,
                               const std::string& where, long long request_timeout_ms);

// Returns "<where>: <reason>" for a connect that failed with errno `code` (SO_ERROR).
std::string ConnectErrorText(int code);

}  // namespace presenced
