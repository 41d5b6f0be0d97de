#include "presence/event.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "presence/channel_state.h"

namespace presenced {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// Appends one field as a 4-byte big-endian length followed by its bytes, so that no two distinct
// field tuples hash the same input ("ab","c" vs "a","bc").
void AppendField(std::string& buf, std::string_view field) {
  const auto n = static_cast<uint32_t>(field.size());
  buf.push_back(static_cast<char>(n >> 24));
  buf.push_back(static_cast<char>(n >> 16));
  buf.push_back(static_cast<char>(n >> 8));
  buf.push_back(static_cast<char>(n));
  buf.append(field);
}

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
  out.append(buf, static_cast<size_t>(n));
}

}  // namespace

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kPresent:
      return "present";
    case Action::kEnter:
      return "enter";
    case Action::kLeave:
      return "leave";
    case Action::kUpdate:
      return "update";
    case Action::kOnline:
      return "online";
    case Action::kOffline:
      return "offline";
    case Action::kSync:
      return "sync";
    case Action::kOccupied:
      return "occupied";
    case Action::kVacated:
      return "vacated";
  }
  return "unknown";
}

std::optional<Action> ParseActionName(std::string_view name) {
  for (Action action :
       {Action::kPresent, Action::kEnter, Action::kLeave, Action::kUpdate, Action::kOnline,
        Action::kOffline, Action::kSync, Action::kOccupied, Action::kVacated}) {
    if (name == ActionName(action)) return action;
  }
  return std::nullopt;
}

std::string EventId(std::string_view channel, std::string_view client_id,
                    std::string_view connection_id, Action action, std::string_view member_id) {
  const std::string_view action_name = ActionName(action);
  std::string buf;
  buf.reserve(20 + channel.size() + client_id.size() + connection_id.size() + action_name.size() +
              member_id.size());
  AppendField(buf, channel);
  AppendField(buf, client_id);
  AppendField(buf, connection_id);
  AppendField(buf, action_name);
  AppendField(buf, member_id);
  // libcrypto's SHA-256 uses the CPU's SHA instructions where there are some: several times
  // Poco's portable one, on every event of every cycle.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(buf.data(), buf.size(), digest, &length, EVP_sha256(), nullptr) != 1 ||
      length < 16) {
    std::abort();  // SHA-256 of a buffer in memory cannot fail
  }
  std::string id;
  id.reserve(32);
  for (size_t i = 0; i < 16; ++i) {
    id.push_back(kHexDigits[digest[i] >> 4]);
    id.push_back(kHexDigits[digest[i] & 0x0f]);
  }
  return id;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;  // bytes ≥ 0x80 (UTF-8) pass through
    out.append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
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
        out.append("\\u00");
        out.push_back(kHexDigits[c >> 4]);
        out.push_back(kHexDigits[c & 0x0f]);
    }
  }
  out.append(s.data() + run_start, s.size() - run_start);
  out.push_back('"');
}

Event MakeEvent(std::string_view channel, Action action, std::string_view client_id,
                std::string_view connection_id, std::string_view member_id, std::string_view data,
                std::string_view encoding, int64_t timestamp, int64_t observed_at_ms) {
  Event e;
  e.id = EventId(channel, client_id, connection_id, action, member_id);
  e.channel = channel;
  e.action = action;
  e.client_id = client_id;
  e.connection_id = connection_id;
  e.member_id = member_id;
  e.data = data;
  e.encoding = encoding;
  e.timestamp = timestamp;
  e.observed_at = observed_at_ms;
  return e;
}

Event ChannelEvent(const Event& cause, Action action) {
  Event e;
  e.id = EventId(cause.channel, cause.client_id, cause.connection_id, action, cause.member_id);
  e.channel = cause.channel;
  e.action = action;
  e.timestamp = cause.timestamp;
  e.observed_at = cause.observed_at;
  return e;
}

Event SyncEvent(std::string_view webhook, std::string_view channel, std::string members,
                int64_t observed_at_ms) {
  Event e;
  e.id = EventId(channel, webhook, "", Action::kSync, std::to_string(observed_at_ms));
  e.channel = channel;
  e.action = Action::kSync;
  e.observed_at = observed_at_ms;
  e.timestamp = observed_at_ms;
  e.members = std::move(members);
  return e;
}

namespace {

std::string SyncToJson(const Event& event) {
  // Members presenced encoded always decode; damaged bytes (a corrupted disk) leave the `members`
  // array out rather than claim an empty channel.
  Result<ChannelState> members = ChannelState::Decode(event.members);
  std::string out;
  out.reserve(96 + event.channel.size() + event.members.size() * 2);
  out.append("{\"id\":");
  AppendJsonString(out, event.id);
  out.append(",\"channel\":");
  AppendJsonString(out, event.channel);
  out.append(",\"action\":\"sync\"");
  if (members.ok()) {
    out.append(",\"members\":[");
    for (size_t i = 0; i < members->member_count(); ++i) {
      const MemberView m = members->member(i);
      if (i > 0) out.push_back(',');
      out.append("{\"clientId\":");
      AppendJsonString(out, m.client_id);
      out.append(",\"connectionId\":");
      AppendJsonString(out, m.connection_id);
      out.append(",\"memberId\":");
      AppendJsonString(out, m.id);
      if (!m.data.empty()) {
        out.append(",\"data\":");
        out.append(m.data);
      }
      if (!m.encoding.empty()) {
        out.append(",\"encoding\":");
        AppendJsonString(out, m.encoding);
      }
      out.append(",\"timestamp\":");
      AppendInt(out, m.timestamp);
      out.push_back('}');
    }
    out.push_back(']');
  }
  out.append(",\"observedAt\":");
  AppendInt(out, event.observed_at);
  out.push_back('}');
  return out;
}

}  // namespace

std::string EventToJson(const Event& event) {
  if (event.action == Action::kSync) return SyncToJson(event);
  std::string out;
  out.reserve(160 + event.channel.size() + event.client_id.size() + event.connection_id.size() +
              event.member_id.size() + event.data.size() + event.encoding.size());
  out.append("{\"id\":");
  AppendJsonString(out, event.id);
  out.append(",\"channel\":");
  AppendJsonString(out, event.channel);
  out.append(",\"action\":\"");
  out.append(ActionName(event.action));
  out.push_back('"');
  if (IsChannelAction(event.action)) {
    out.append(",\"timestamp\":");
    AppendInt(out, event.timestamp);
    out.append(",\"observedAt\":");
    AppendInt(out, event.observed_at);
    out.push_back('}');
    return out;
  }
  out.append(",\"clientId\":");
  AppendJsonString(out, event.client_id);
  out.append(",\"connectionId\":");
  AppendJsonString(out, event.connection_id);
  out.append(",\"memberId\":");
  AppendJsonString(out, event.member_id);
  if (!event.data.empty()) {
    out.append(",\"data\":");
    out.append(event.data);  // already JSON text, exactly as Ably sent it
  }
  if (!event.encoding.empty()) {
    out.append(",\"encoding\":");
    AppendJsonString(out, event.encoding);
  }
  out.append(",\"timestamp\":");
  AppendInt(out, event.timestamp);
  out.append(",\"observedAt\":");
  AppendInt(out, event.observed_at);
  out.push_back('}');
  return out;
}

}  // namespace presenced
