#include "presence/history_apply.h"

#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace presenced {
namespace {

// A member touched by the messages: what it was in `before` and what it is now.
struct Slot {
  bool was_present = false;
  bool present = false;
  std::string id, data, encoding;
  int64_t timestamp = 0;
  uint32_t misses = 0;
  bool changed = false;  // its stored record differs from `before`
  int64_t gone_at = -1;  // a tombstone's time: absent then, whatever came before
};

using Key = std::pair<std::string, std::string>;  // (client_id, connection_id)

// Parses "connectionId:msgSerial:index" into its connection and (serial, index).
bool ParseId(std::string_view id, std::string_view& connection, uint64_t& serial, uint64_t& index) {
  const size_t last = id.rfind(':');
  if (last == std::string_view::npos || last == 0) return false;
  const size_t middle = id.rfind(':', last - 1);
  if (middle == std::string_view::npos) return false;
  auto number = [](std::string_view text, uint64_t& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
  };
  connection = id.substr(0, middle);
  return number(id.substr(middle + 1, last - middle - 1), serial) &&
         number(id.substr(last + 1), index);
}

Slot& SlotFor(std::map<Key, Slot>& slots, const ChannelState& before,
              const ChannelState& tombstones, const Member& m) {
  auto [it, added] = slots.try_emplace(Key(m.client_id, m.connection_id));
  if (!added) return it->second;
  Slot& slot = it->second;
  if (auto v = FindMember(before, m.client_id, m.connection_id)) {
    slot.was_present = slot.present = true;
    slot.id = v->id;
    slot.data = v->data;
    slot.encoding = v->encoding;
    slot.timestamp = v->timestamp;
    slot.misses = v->misses;
  } else if (auto gone = FindMember(tombstones, m.client_id, m.connection_id)) {
    slot.id = gone->id;  // absent, and its messages until then are already accounted for
    slot.gone_at = gone->timestamp;
  }
  return slot;
}

}  // namespace

std::optional<MemberView> FindMember(const ChannelState& state, std::string_view client_id,
                                     std::string_view connection_id) {
  size_t low = 0, high = state.member_count();
  while (low < high) {
    const size_t mid = low + (high - low) / 2;
    const MemberView v = state.member(mid);
    const int c = ChannelState::CompareKeys(v.client_id, v.connection_id, client_id, connection_id);
    if (c == 0) return v;
    if (c < 0) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return std::nullopt;
}

bool IsNewerMessageId(std::string_view candidate, std::string_view current) {
  if (candidate == current) return false;
  std::string_view candidate_connection, current_connection;
  uint64_t candidate_serial = 0, candidate_index = 0, current_serial = 0, current_index = 0;
  if (!ParseId(candidate, candidate_connection, candidate_serial, candidate_index) ||
      !ParseId(current, current_connection, current_serial, current_index) ||
      candidate_connection != current_connection) {
    return true;
  }
  return std::pair(candidate_serial, candidate_index) > std::pair(current_serial, current_index);
}

HistoryApplyResult ApplyHistory(std::string_view channel, const ChannelState& before,
                                const std::vector<PresenceMessage>& messages, UpdateOn update_on,
                                int64_t observed_at_ms, const ChannelState& tombstones) {
  HistoryApplyResult result;
  std::map<Key, Slot> slots;
  for (const PresenceMessage& message : messages) {
    const Member& m = message.member;
    Slot& slot = SlotFor(slots, before, tombstones, m);
    if (!slot.id.empty() && !IsNewerMessageId(m.id, slot.id)) continue;  // stale or re-read
    if (!slot.present && m.timestamp <= slot.gone_at) continue;
    const bool leaves =
        message.action == MessageAction::kLeave || message.action == MessageAction::kAbsent;
    if (leaves) {
      if (!slot.present) continue;
      result.events.push_back(MakeEvent(channel, Action::kLeave, m.client_id, m.connection_id,
                                        slot.id, slot.data, slot.encoding, m.timestamp,
                                        observed_at_ms));
      slot.present = false;
      continue;
    }
    const bool entered = !slot.present;
    const bool data_changed = slot.data != m.data || slot.encoding != m.encoding;
    const bool id_changed = slot.id != m.id;
    if (entered) {
      result.events.push_back(MakeEvent(channel, Action::kEnter, m.client_id, m.connection_id, m.id,
                                        m.data, m.encoding, m.timestamp, observed_at_ms));
    } else if (data_changed || (update_on == UpdateOn::kAny && id_changed)) {
      result.events.push_back(MakeEvent(channel, Action::kUpdate, m.client_id, m.connection_id,
                                        m.id, m.data, m.encoding, m.timestamp, observed_at_ms));
    }
    slot.present = true;
    slot.changed = true;
    slot.id = m.id;
    slot.data = m.data;
    slot.encoding = m.encoding;
    slot.timestamp = m.timestamp;
    slot.misses = 0;
  }
  // std::map orders keys bytewise like ChannelState, so the delta is built in key order.
  for (const auto& [key, slot] : slots) {
    if (slot.present && slot.changed) {
      result.delta.upserts.Append(MemberView{key.first, key.second, slot.id, slot.data,
                                             slot.encoding, slot.timestamp, slot.misses});
    } else if (!slot.present && slot.was_present) {
      result.delta.removals.Append(MemberView{key.first, key.second, {}, {}, {}, 0, 0});
    }
  }
  return result;
}

}  // namespace presenced
