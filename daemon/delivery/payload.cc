#include "delivery/payload.h"

#include <Poco/SHA2Engine.h>

#include <cstdint>
#include <string>

namespace presenced {
namespace {

void AppendInt(std::string& out, int64_t value) { out += std::to_string(value); }

// Appends one Ably PresenceMessage; `data` is raw JSON text and goes in as-is.
void AppendPresenceMessage(std::string& out, const Event& e) {
  out += "{\"id\":";
  AppendJsonString(out, e.id);
  out += ",\"clientId\":";
  AppendJsonString(out, e.client_id);
  out += ",\"connectionId\":";
  AppendJsonString(out, e.connection_id);
  out += ",\"timestamp\":";
  AppendInt(out, e.timestamp);
  out += ",\"action\":";
  AppendInt(out, static_cast<int64_t>(e.action));
  if (!e.data.empty()) {
    out += ",\"data\":";
    out += e.data;
  }
  if (!e.encoding.empty()) {
    out += ",\"encoding\":";
    AppendJsonString(out, e.encoding);
  }
  out += ",\"memberId\":";
  AppendJsonString(out, e.member_id);
  out += '}';
}

}  // namespace

std::string BatchId(std::string_view webhook, const std::vector<Event>& events) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  // Length-prefixed fields: no two different inputs share a byte stream.
  auto feed = [&engine](std::string_view field) {
    const std::string length = std::to_string(field.size()) + ":";
    engine.update(length.data(), length.size());
    engine.update(field.data(), field.size());
  };
  feed(webhook);
  for (const Event& event : events) feed(event.id);
  const Poco::DigestEngine::Digest& digest = engine.digest();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "msg_";
  for (size_t i = 0; i < 16; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0x0f];
  }
  return id;
}

std::string AblyBody(std::string_view webhook, std::string_view batch_id, int64_t batch_created_ms,
                     const std::vector<Event>& events) {
  // Channels in order of first appearance; each item lists that channel's events in order.
  std::vector<std::string_view> channels;
  for (const Event& event : events) {
    bool seen = false;
    for (std::string_view c : channels) seen = seen || c == event.channel;
    if (!seen) channels.push_back(event.channel);
  }
  std::string out = "{\"items\":[";
  for (size_t n = 0; n < channels.size(); ++n) {
    if (n > 0) out += ',';
    out += "{\"webhookId\":";
    AppendJsonString(out, webhook);
    out += ",\"source\":\"channel.presence\",\"serial\":";
    AppendJsonString(out, std::string(batch_id) + ":" + std::to_string(n));
    out += ",\"timestamp\":";
    AppendInt(out, batch_created_ms);
    out += ",\"name\":\"presence.message\",\"data\":{\"channelId\":";
    AppendJsonString(out, channels[n]);
    out += ",\"site\":\"presenced\",\"presence\":[";
    bool first = true;
    for (const Event& event : events) {
      if (event.channel != channels[n]) continue;
      if (!first) out += ',';
      first = false;
      AppendPresenceMessage(out, event);
    }
    out += "]}}";
  }
  out += "]}";
  return out;
}

std::string EventsBody(const std::vector<Event>& events) {
  std::string out = "{\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out += ',';
    out += EventToJson(events[i]);
  }
  out += "]}";
  return out;
}

}  // namespace presenced
