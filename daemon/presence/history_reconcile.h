#pragma once

// Reconciles that compare only what history could already have seen (CONTRACT §1 "Presence
// history", §3 presence.reconcile_every). A reconcile snapshot shows a channel as Ably has it
// when the snapshot is taken, but history is read only up to Ably's now minus
// presence.history_lag: compared at once, every change of the last few seconds would look like
// something history missed (a "correction") and then arrive again from history. So the snapshot
// waits (a PendingReconcile) until history has been read past the moment it was taken, and is
// then compared at that moment: after the messages older than it, before the newer ones. A member
// with a message inside the snapshot's time bounds is left out of the comparison (the snapshot
// may show it before or after that message); history is exact about it anyway. What is left is
// what history really missed: `presenced_reconcile_corrections_total` stays 0 on a clean run.
//
// A pure function: no I/O, clock, logging or metrics; the caller supplies the time.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "presence/channel_delta.h"
#include "presence/channel_state.h"
#include "presence/diff.h"
#include "presence/event.h"
#include "presence/presence_message.h"

namespace presenced {

// A reconcile snapshot waiting for history to be read past it.
struct PendingReconcile {
  ChannelState members;  // the snapshot
  int64_t from_ms = 0;   // on Ably's clock: before its request left (minus a margin)
  int64_t to_ms = 0;     // on Ably's clock: after its answer arrived (plus a margin)
  // Members history had a message of inside [from_ms, to_ms] in the reads before the one that
  // compares this snapshot: those messages are applied already, so the comparison cannot see
  // them, and history decides these members as it does those of the comparing read. Filled by
  // NoteHistoryInWindows, on the fetch thread of the snapshot's channel (one read per channel and
  // cycle, cycles in sequence). A read whose cycle then fails to commit is read again: the set
  // only grows, and a member history decides needlessly is only compared less.
  mutable std::set<std::pair<std::string, std::string>> touched;
};

struct HistoryReconcileResult {
  std::vector<Event> events;               // in order: history, corrections, history
  ChannelDelta delta;                      // from `before` to the state after everything
  std::map<Action, uint64_t> corrections;  // events the snapshots found that history missed
};

// Applies `messages` (oldest first) to `before` as ApplyHistory does (`options.update_on`,
// `tombstones`), and compares each of `due` (oldest first, each taken before the last message's
// window ended) at its place in time, with Diff and `options` (leave_after_misses). Events of
// both carry `observed_at_ms`.
HistoryReconcileResult ApplyHistoryWithReconciles(std::string_view channel,
                                                  const ChannelState& before,
                                                  const std::vector<PresenceMessage>& messages,
                                                  const std::vector<const PendingReconcile*>& due,
                                                  DiffOptions options, int64_t observed_at_ms,
                                                  const ChannelState& tombstones);

// Records in each of `pending` (not yet compared) the members `messages` (one read of their
// channel, oldest first) has a message of inside that snapshot's time bounds.
void NoteHistoryInWindows(const std::vector<PresenceMessage>& messages,
                          const std::vector<std::shared_ptr<const PendingReconcile>>& pending);

// Returns a snapshot's members as a ChannelState (sorted; duplicates resolved as Diff does).
ChannelState SnapshotState(std::string_view channel, const std::vector<Member>& members);

}  // namespace presenced
