#include "fake_ably/json_writer.h"

namespace presenced::testing {

void AppendJsonKey(std::string& out, std::string_view key) {
  AppendJsonString(out, key);
  out.push_back(':');
}

void AppendAblyError(std::string& out, int code, int status_code, std::string_view message) {
  out.append("{\"code\":").append(std::to_string(code));
  out.append(",\"statusCode\":").append(std::to_string(status_code));
  out.append(",\"message\":");
  AppendJsonString(out, message);
  out.append(",\"href\":\"https://help.ably.io/error/").append(std::to_string(code)).append("\"}");
}

std::string AblyErrorBody(int code, int status_code, std::string_view message) {
  std::string out = "{\"error\":";
  AppendAblyError(out, code, status_code, message);
  out.push_back('}');
  return out;
}

}  // namespace presenced::testing
