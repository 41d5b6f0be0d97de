#include "http_test_client.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <strings.h>

namespace presenced::testing {

std::string HttpReply::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
  }
  return "";
}

HttpReply Request(uint16_t port, const std::string& method, const std::string& uri,
                  const std::map<std::string, std::string>& headers, const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [name, value] : headers) request.set(name, value);
  if (!body.empty() || method == "POST") {
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  Poco::Net::HTTPResponse response;
  HttpReply reply;
  std::istream* in_ptr = nullptr;
  try {
    session.sendRequest(request) << body;
    in_ptr = &session.receiveResponse(response);
  } catch (const Poco::Exception&) {
    return reply;  // status 0: no response (refused, reset, timed out)
  }
  std::istream& in = *in_ptr;
  reply.status = static_cast<int>(response.getStatus());
  for (const auto& [name, value] : response) reply.headers[name] = value;
  if (response.hasContentLength()) reply.content_length = response.getContentLength64();
  try {
    Poco::StreamCopier::copyToString(in, reply.body);
    reply.body_error = !in.eof() && in.fail();
  } catch (const Poco::Exception&) {
    reply.body_error = true;
  }
  return reply;
}

Poco::JSON::Object::Ptr ParseObject(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Array::Ptr ParseArray(const std::string& text) {
  return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Array::Ptr>();
}

}  // namespace presenced::testing
