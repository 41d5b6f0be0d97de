#include "delivery/payload.h"

#include <Poco/SHA2Engine.h>

#include <cstdint>
#include <string>

#include "presence/channel_state.h"

namespace presenced {
namespace {

void AppendInt(std::string& out, int64_t value) { out += std::to_string(value); }

// Appends one PresenceMessage-shaped object: `id` only when not empty, `action_json` as given (a
// number, or a quoted name), `data` as raw JSON text when not empty, `encoding` when not empty.
void AppendMessage(std::string& out, std::string_view id, const MemberView& m,
                   std::string_view action_json) {
  out += '{';
  if (!id.empty()) {
    out += "\"id\":";
    AppendJsonString(out, id);
    out += ',';
  }
  out += "\"clientId\":";
  AppendJsonString(out, m.client_id);
  out += ",\"connectionId\":";
  AppendJsonString(out, m.connection_id);
  out += ",\"timestamp\":";
  AppendInt(out, m.timestamp);
  out += ",\"action\":";
  out += action_json;
  if (!m.data.empty()) {
    out += ",\"data\":";
    out += m.data;
  }
  if (!m.encoding.empty()) {
    out += ",\"encoding\":";
    AppendJsonString(out, m.encoding);
  }
  out += ",\"memberId\":";
  AppendJsonString(out, m.id);
  out += '}';
}

// Appends one event of `presence.message` (numeric action) or `presence.client` ("online" /
// "offline", no data) as a PresenceMessage whose `id` is the event id.
void AppendEventMessage(std::string& out, const Event& e) {
  const bool ably = IsAblyAction(e.action);
  const MemberView m{e.client_id, e.connection_id, e.member_id,
                     // string_view on both sides: `ably ? e.data : ""` would view a temporary
                     // std::string copy that dies at the end of this statement.
                     ably ? std::string_view(e.data) : std::string_view(),
                     ably ? std::string_view(e.encoding) : std::string_view(), e.timestamp, 0};
  const std::string action = ably ? std::to_string(static_cast<int>(e.action))
                                  : "\"" + std::string(ActionName(e.action)) + "\"";
  AppendMessage(out, e.id, m, action);
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

namespace {

// What one item of the `ably` envelope carries: a run of member events (`presence.message`), a run
// of online/offline events (`presence.client`) or one `sync` (`presence.sync`).
enum class ItemKind { kMessage, kClient, kSync };

ItemKind KindOf(Action action) {
  if (action == Action::kSync) return ItemKind::kSync;
  return IsAblyAction(action) ? ItemKind::kMessage : ItemKind::kClient;
}

std::string_view ItemName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kMessage:
      return "presence.message";
    case ItemKind::kClient:
      return "presence.client";
    case ItemKind::kSync:
      return "presence.sync";
  }
  return "";
}

// Appends the members of a sync event as PresenceMessages with action 1 (present).
void AppendSyncMembers(std::string& out, const Event& sync) {
  Result<ChannelState> members = ChannelState::Decode(sync.members);
  if (!members.ok()) return;  // damaged on disk: see EventToJson
  for (size_t i = 0; i < members->member_count(); ++i) {
    if (i > 0) out += ',';
    AppendMessage(out, "", members->member(i), "1");
  }
}

}  // namespace

std::string AblyBody(std::string_view webhook, std::string_view batch_id, int64_t batch_created_ms,
                     const std::vector<Event>& events) {
  // Channels in order of first appearance; each channel's events in order, cut into items where
  // the kind changes (a channel with only member events has one item, as Ably sends).
  std::vector<std::string_view> channels;
  for (const Event& event : events) {
    bool seen = false;
    for (std::string_view c : channels) seen = seen || c == event.channel;
    if (!seen) channels.push_back(event.channel);
  }
  std::string out = "{\"items\":[";
  size_t n = 0;
  for (std::string_view channel : channels) {
    bool open = false;
    ItemKind kind = ItemKind::kMessage;
    for (const Event& event : events) {
      if (event.channel != channel) continue;
      const ItemKind next = KindOf(event.action);
      const bool new_item = !open || next != kind || next == ItemKind::kSync;
      if (new_item) {
        if (open) out += "]}}";
        if (n > 0) out += ',';
        open = true;
        kind = next;
        out += "{\"webhookId\":";
        AppendJsonString(out, webhook);
        out += ",\"source\":\"channel.presence\",\"serial\":";
        AppendJsonString(out, std::string(batch_id) + ":" + std::to_string(n++));
        out += ",\"timestamp\":";
        AppendInt(out, batch_created_ms);
        out += ",\"name\":";
        AppendJsonString(out, ItemName(kind));
        out += ",\"data\":{\"channelId\":";
        AppendJsonString(out, channel);
        out += ",\"site\":\"presenced\"";
        if (kind == ItemKind::kSync) {
          out += ",\"id\":";
          AppendJsonString(out, event.id);
        }
        out += ",\"presence\":[";
      } else {
        out += ',';
      }
      switch (kind) {
        case ItemKind::kMessage:
        case ItemKind::kClient:
          AppendEventMessage(out, event);
          break;
        case ItemKind::kSync:
          AppendSyncMembers(out, event);
          break;
      }
    }
    if (open) out += "]}}";
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
