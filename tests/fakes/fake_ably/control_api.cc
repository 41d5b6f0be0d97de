#include "fake_ably/control_api.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <chrono>
#include <map>
#include <sstream>

#include "fake_ably/json_writer.h"

namespace presenced::testing {
namespace {

using Poco::JSON::Object;

FakeResponse Reply(int status, std::string body) {
  FakeResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

FakeResponse BadRequest(const std::string& message) {
  std::string body = "{\"error\":";
  AppendJsonString(body, message);
  body.push_back('}');
  return Reply(400, std::move(body));
}

FakeResponse OkReply() { return Reply(200, "{\"ok\":true}"); }

std::string GetString(const Object& body, const std::string& key) {
  return body.has(key) && !body.isNull(key) ? body.getValue<std::string>(key) : "";
}

int GetInt(const Object& body, const std::string& key, int fallback) {
  return body.has(key) && !body.isNull(key) ? body.getValue<int>(key) : fallback;
}

// Returns the member's data as JSON text: `dataRaw` verbatim, else `data` re-serialized compactly
// with its key order preserved, else "" (no data).
std::string DataRaw(const Object& body) {
  if (body.has("dataRaw")) return body.getValue<std::string>("dataRaw");
  if (!body.has("data")) return "";
  std::ostringstream out;
  Poco::JSON::Stringifier::condense(body.get("data"), out,
                                    Poco::JSON_WRAP_STRINGS | Poco::JSON_PRESERVE_KEY_ORDER);
  return out.str();
}

std::string RecordedRequestsJson(const std::vector<RecordedRequest>& requests) {
  std::string out = "[";
  for (size_t i = 0; i < requests.size(); ++i) {
    const RecordedRequest& r = requests[i];
    if (i > 0) out.push_back(',');
    out.append("{\"method\":");
    AppendJsonString(out, r.method);
    out.append(",\"path\":");
    AppendJsonString(out, r.path);
    out.append(",\"query\":");
    AppendJsonString(out, r.query);
    out.append(",\"channels\":[");
    for (size_t c = 0; c < r.channels.size(); ++c) {
      if (c > 0) out.push_back(',');
      AppendJsonString(out, r.channels[c]);
    }
    out.append("],\"ablyVersion\":");
    AppendJsonString(out, r.ably_version);
    out.append(",\"ablyAgent\":");
    AppendJsonString(out, r.ably_agent);
    out.append(",\"hasAuthorization\":").append(r.has_authorization ? "true" : "false");
    out.append(",\"authScheme\":");
    AppendJsonString(out, r.auth_scheme);
    out.append(",\"receivedAt\":").append(std::to_string(r.received_at_ms)).push_back('}');
  }
  out.push_back(']');
  return out;
}

}  // namespace

FakeResponse ControlApi::Handle(const FakeRequest& request) {
  const std::string action = request.path.substr(std::string_view("/_fake/").size());
  if (request.method == "GET" && action == "requests") {
    return Reply(200, RecordedRequestsJson(state_.Requests()));
  }
  if (request.method == "GET" && action == "channels") {
    std::string out = "{";
    for (const std::string& name : state_.ActiveChannels()) {
      if (out.size() > 1) out.push_back(',');
      AppendJsonKey(out, name);
      out.append(std::to_string(state_.MemberCount(name)));
    }
    out.push_back('}');
    return Reply(200, std::move(out));
  }
  if (request.method == "GET" && action == "bill") {
    const FakeBill bill = state_.Bill();
    return Reply(200, "{\"snapshot\":" + std::to_string(bill.snapshot) +
                          ",\"history\":" + std::to_string(bill.history) +
                          ",\"recorded\":{\"enter\":" + std::to_string(state_.HistoryRecorded(2)) +
                          ",\"leave\":" + std::to_string(state_.HistoryRecorded(3)) +
                          ",\"update\":" + std::to_string(state_.HistoryRecorded(4)) + "}}");
  }
  if (request.method != "POST") return BadRequest("unknown control request " + request.path);
  if (action == "reset") {
    state_.Reset();
    return OkReply();
  }
  try {
    Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(/*preserveObjectOrder=*/true));
    const Poco::Dynamic::Var parsed = parser.parse(request.body.empty() ? "{}" : request.body);
    const Object::Ptr body_ptr = parsed.extract<Object::Ptr>();
    const Object& body = *body_ptr;
    const std::string channel = GetString(body, "channel");
    if (action == "enter" || action == "update") {
      const std::string client_id = GetString(body, "clientId");
      const std::string connection_id = GetString(body, "connectionId");
      if (channel.empty() || connection_id.empty()) {
        return BadRequest("channel and connectionId are required");
      }
      const std::string data = DataRaw(body);
      const std::string encoding = GetString(body, "encoding");
      const std::string id = action == "enter"
                                 ? state_.Enter(channel, client_id, connection_id, data, encoding)
                                 : state_.Update(channel, client_id, connection_id, data, encoding);
      std::string out = "{\"ok\":true,\"id\":";
      AppendJsonString(out, id);
      out.push_back('}');
      return Reply(200, std::move(out));
    }
    if (action == "leave") {
      const bool removed =
          state_.Leave(channel, GetString(body, "clientId"), GetString(body, "connectionId"));
      return Reply(200, std::string("{\"ok\":true,\"removed\":") + (removed ? "true}" : "false}"));
    }
    if (action == "channel-error") {
      if (channel.empty()) return BadRequest("channel is required");
      state_.SetChannelError(
          channel, GetInt(body, "code", 0), GetInt(body, "statusCode", 400),
          body.has("message") ? GetString(body, "message") : "Injected channel error");
      return OkReply();
    }
    if (action == "fail") {
      InjectedFailure failure;
      failure.status = GetInt(body, "status", 500);
      failure.code = GetInt(body, "code", 50000);
      failure.headers_only = body.has("headersOnly") && body.getValue<bool>("headersOnly");
      if (body.has("message")) failure.message = GetString(body, "message");
      state_.FailNextRequests(GetInt(body, "count", 1), failure);
      return OkReply();
    }
    if (action == "delay") {
      state_.SetDelay(std::chrono::milliseconds(GetInt(body, "ms", 0)));
      return OkReply();
    }
    if (action == "history-retention") {
      const int ms = GetInt(body, "ms", -1);
      if (ms < 0) return BadRequest("ms must be at least 0");
      state_.SetHistoryRetention(std::chrono::milliseconds(ms));
      return OkReply();
    }
    if (action == "clock") {
      if (body.has("offsetMs"))
        clock_.SetOffset(std::chrono::milliseconds(GetInt(body, "offsetMs", 0)));
      if (body.has("visibilityDelayMs")) {
        const int ms = GetInt(body, "visibilityDelayMs", -1);
        if (ms < 0) return BadRequest("visibilityDelayMs must be at least 0");
        clock_.SetVisibilityDelay(std::chrono::milliseconds(ms));
      }
      return OkReply();
    }
    if (action == "auth-url") {
      using Mode = FakeServiceRules::AuthUrlMode;
      static const std::map<std::string, Mode> kModes = {{"normal", Mode::kNormal},
                                                         {"fail", Mode::kFail},
                                                         {"hang", Mode::kHang},
                                                         {"expired", Mode::kExpired},
                                                         {"unknown", Mode::kUnknown}};
      auto mode = kModes.find(GetString(body, "mode"));
      if (mode == kModes.end()) return BadRequest("mode must be normal|fail|hang|expired|unknown");
      rules_.SetAuthUrlMode(mode->second);
      return OkReply();
    }
    if (action == "truncate") {
      state_.TruncateNextResponses(GetInt(body, "count", 1));
      return OkReply();
    }
    if (action == "garbage") {
      state_.GarbageNextResponses(GetInt(body, "count", 1));
      return OkReply();
    }
    if (action == "empty-pages") {
      state_.InsertEmptyPages(GetInt(body, "count", 1));
      return OkReply();
    }
    if (action == "limit") {
      const int max_channels = GetInt(body, "maxChannels", -1);
      if (max_channels < 1) return BadRequest("maxChannels must be at least 1");
      state_.SetMaxChannels(static_cast<size_t>(max_channels));
      return OkReply();
    }
    return BadRequest("unknown control request " + request.path);
  } catch (const Poco::Exception& e) {
    return BadRequest("bad control request body: " + e.displayText());
  } catch (const std::exception& e) {
    return BadRequest(std::string("bad control request body: ") + e.what());
  }
}

}  // namespace presenced::testing
