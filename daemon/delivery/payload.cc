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
// of online/offline events (`presence.client`), one `sync` (`presence.sync`) or one
// occupied/vacated (`channel.occupied` / `channel.vacated`, as Ably's channel lifecycle items).
enum class ItemKind { kMessage, kClient, kSync, kLifecycle };

ItemKind KindOf(Action action) {
  if (action == Action::kSync) return ItemKind::kSync;
  if (IsChannelAction(action)) return ItemKind::kLifecycle;
  return IsAblyAction(action) ? ItemKind::kMessage : ItemKind::kClient;
}

// An item of this kind holds one event only.
bool IsSingle(ItemKind kind) { return kind == ItemKind::kSync || kind == ItemKind::kLifecycle; }

std::string ItemName(const Event& first) {
  switch (KindOf(first.action)) {
    case ItemKind::kMessage:
      return "presence.message";
    case ItemKind::kClient:
      return "presence.client";
    case ItemKind::kSync:
      return "presence.sync";
    case ItemKind::kLifecycle:
      return "channel." + std::string(ActionName(first.action));
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

// Appends one item of the envelope for `events` (of one channel and one kind, in order; one event
// for the single kinds).
void AppendItem(std::string& out, std::string_view webhook, std::string_view serial,
                int64_t timestamp, const std::vector<const Event*>& events) {
  const Event& first = *events.front();
  const ItemKind kind = KindOf(first.action);
  out += "{\"webhookId\":";
  AppendJsonString(out, webhook);
  out += kind == ItemKind::kLifecycle ? ",\"source\":\"channel.lifecycle\""
                                      : ",\"source\":\"channel.presence\"";
  out += ",\"serial\":";
  AppendJsonString(out, serial);
  out += ",\"timestamp\":";
  AppendInt(out, timestamp);
  out += ",\"name\":";
  AppendJsonString(out, ItemName(first));
  out += ",\"data\":{\"channelId\":";
  AppendJsonString(out, first.channel);
  if (kind == ItemKind::kLifecycle) {
    out += ",\"name\":";
    AppendJsonString(out, first.channel);
  }
  out += ",\"site\":\"presenced\"";
  if (IsSingle(kind)) {
    out += ",\"id\":";
    AppendJsonString(out, first.id);
  }
  if (kind == ItemKind::kLifecycle) {
    out += ",\"timestamp\":";
    AppendInt(out, first.timestamp);
    out += first.action == Action::kOccupied ? ",\"status\":{\"isActive\":true}}}"
                                             : ",\"status\":{\"isActive\":false}}}";
    return;
  }
  out += ",\"presence\":[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) out += ',';
    if (kind == ItemKind::kSync) {
      AppendSyncMembers(out, *events[i]);
    } else {
      AppendEventMessage(out, *events[i]);
    }
  }
  out += "]}}";
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
  std::vector<const Event*> item;
  auto flush = [&] {
    if (item.empty()) return;
    if (n > 0) out += ',';
    AppendItem(out, webhook, std::string(batch_id) + ":" + std::to_string(n++), batch_created_ms,
               item);
    item.clear();
  };
  for (std::string_view channel : channels) {
    for (const Event& event : events) {
      if (event.channel != channel) continue;
      const ItemKind kind = KindOf(event.action);
      if (!item.empty() && (IsSingle(kind) || KindOf(item.front()->action) != kind)) flush();
      item.push_back(&event);
      if (IsSingle(kind)) flush();
    }
    flush();
  }
  out += "]}";
  return out;
}

std::string AblyItem(std::string_view sink, const Event& event) {
  std::string out;
  AppendItem(out, sink, event.id, event.observed_at, {&event});
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
