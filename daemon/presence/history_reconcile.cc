#include "presence/history_reconcile.h"

#include <set>
#include <string>
#include <utility>

#include "presence/history_apply.h"

namespace presenced {
namespace {

using Key = std::pair<std::string, std::string>;  // (client_id, connection_id)

// The chain of states the messages and the comparisons go through.
struct Walk {
  std::string_view channel;
  const std::vector<PresenceMessage>& messages;
  DiffOptions options;
  int64_t observed_at_ms;
  const ChannelState& tombstones;
  ChannelState current;
  size_t next = 0;  // messages before it are applied
  HistoryReconcileResult out;

  void Step(const std::vector<Event>& events, const ChannelDelta& delta) {
    out.events.insert(out.events.end(), events.begin(), events.end());
    if (delta.empty()) return;
    current = Apply(current, delta);
    out.delta = Combine(out.delta, delta);
  }

  // Applies the messages from `next` up to (not including) `end`.
  void ApplyUntil(size_t end) {
    if (end <= next) return;
    const std::vector<PresenceMessage> part(messages.begin() + static_cast<ptrdiff_t>(next),
                                            messages.begin() + static_cast<ptrdiff_t>(end));
    HistoryApplyResult applied =
        ApplyHistory(channel, current, part, options.update_on, observed_at_ms, tombstones);
    Step(applied.events, applied.delta);
    next = end;
  }

  void Compare(const PendingReconcile& snapshot) {
    size_t end = next;
    while (end < messages.size() && messages[end].member.timestamp < snapshot.from_ms) ++end;
    ApplyUntil(end);
    // Members history has a message of inside the snapshot's bounds: history decides.
    std::set<Key> unsure = snapshot.touched;
    for (size_t i = next; i < messages.size() && messages[i].member.timestamp <= snapshot.to_ms;
         ++i) {
      unsure.emplace(messages[i].member.client_id, messages[i].member.connection_id);
    }
    std::vector<Member> seen;
    seen.reserve(snapshot.members.member_count());
    snapshot.members.ForEach([&](const MemberView& m) {
      if (!unsure.contains(Key(m.client_id, m.connection_id))) seen.push_back(ToMember(m));
    });
    for (const Key& key : unsure) {
      if (auto kept = FindMember(current, key.first, key.second)) seen.push_back(ToMember(*kept));
    }
    DiffOptions compare = options;
    compare.first_snapshot_present = false;
    compare.build_next = false;
    DiffResult diff = Diff(channel, &current, seen, compare, observed_at_ms);
    for (const Event& event : diff.events) ++out.corrections[event.action];
    Step(diff.events, diff.delta);
  }
};

}  // namespace

HistoryReconcileResult ApplyHistoryWithReconciles(std::string_view channel,
                                                  const ChannelState& before,
                                                  const std::vector<PresenceMessage>& messages,
                                                  const std::vector<const PendingReconcile*>& due,
                                                  DiffOptions options, int64_t observed_at_ms,
                                                  const ChannelState& tombstones) {
  if (due.empty()) {
    HistoryApplyResult applied =
        ApplyHistory(channel, before, messages, options.update_on, observed_at_ms, tombstones);
    return {std::move(applied.events), std::move(applied.delta), {}};
  }
  Walk walk{channel, messages, options, observed_at_ms, tombstones, before, 0, {}};
  for (const PendingReconcile* snapshot : due) walk.Compare(*snapshot);
  walk.ApplyUntil(messages.size());
  return std::move(walk.out);
}

void NoteHistoryInWindows(const std::vector<PresenceMessage>& messages,
                          const std::vector<std::shared_ptr<const PendingReconcile>>& pending) {
  for (const auto& snapshot : pending) {
    for (const PresenceMessage& message : messages) {
      const int64_t at = message.member.timestamp;
      if (at >= snapshot->from_ms && at <= snapshot->to_ms) {
        snapshot->touched.emplace(message.member.client_id, message.member.connection_id);
      }
    }
  }
}

ChannelState SnapshotState(std::string_view channel, const std::vector<Member>& members) {
  DiffOptions options;
  options.build_next = true;
  return Diff(channel, nullptr, members, options, 0).next;
}

}  // namespace presenced
