#pragma once

// A tiny blocking HTTP client for tests (Poco HTTPClientSession underneath).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <string>

namespace presenced::testing {

struct HttpReply {
  int status = 0;  // 0 = no response (connection refused, reset or timed out)
  std::string body;
  std::map<std::string, std::string> headers;  // response headers, names as sent
  int64_t content_length = -1;                 // announced, -1 if none
  bool body_error = false;                     // the body could not be read completely

  std::string Header(const std::string& name) const;
};

// Sends one request to 127.0.0.1:port and reads the whole reply; never throws.
HttpReply Request(uint16_t port, const std::string& method, const std::string& uri,
                  const std::map<std::string, std::string>& headers = {},
                  const std::string& body = "");
inline HttpReply Get(uint16_t port, const std::string& uri,
                     const std::map<std::string, std::string>& headers = {}) {
  return Request(port, "GET", uri, headers);
}
inline HttpReply Post(uint16_t port, const std::string& uri, const std::string& body) {
  return Request(port, "POST", uri, {{"Content-Type", "application/json"}}, body);
}

// Parses JSON text (throws on invalid JSON, which fails the test).
Poco::JSON::Object::Ptr ParseObject(const std::string& text);
Poco::JSON::Array::Ptr ParseArray(const std::string& text);

}  // namespace presenced::testing
