#include "fake_ably/json_writer.h"

namespace presenced::testing {

void AppendJsonString(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : value) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[(c >> 4) & 0xf]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

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
