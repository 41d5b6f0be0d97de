// The Poller's cycle, step by step (RunCycle): derive, queue syncs, collect, commit, adopt,
// publish.

#include "pipeline/poller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "config/presence_options.h"
#include "delivery/router.h"
#include "presence/channel_delta.h"
#include "presence/channel_events.h"
#include "presence/diff.h"
#include "presence/history_apply.h"

namespace presenced {

uint64_t Poller::CompactionThreshold(const std::string& channel, uint64_t snapshot_bytes) {
  // Between 1x and 2x the snapshot, by a hash of the name, so that channels churning at the same
  // rate do not all rewrite their snapshot in the same cycle.
  const uint64_t spread = std::hash<std::string>{}(channel) % 256;
  return std::max<uint64_t>(snapshot_bytes + snapshot_bytes * spread / 256, kMinCompactionBytes);
}

Poller::Derived Poller::DeriveSnapshot(const std::string& channel, const Tracked& tracked,
                                       const ChannelPresenceView& result,
                                       const DiffOptions& options, int64_t now_ms, bool announce,
                                       const PresenceConfig& presence) {
  // A room that was inactive before: diffed against an empty set, so its members enter.
  static const ChannelState kInactive;
  const ChannelState* stored = tracked.state.get();
  const ChannelState* before = stored == nullptr && announce ? &kInactive : stored;
  DiffResult diff = DiffView(channel, before, result.members, options, now_ms);
  ChannelState left;  // tombstones for a later switch to history mode (SnapshotModeTrack)
  if (stored != nullptr) {
    // Sized first: a burst removes every member of every channel, held until the commit.
    std::vector<MemberView> gone_members;
    size_t bytes = 0;
    diff.delta.removals.ForEach([&](const MemberView& gone) {
      if (auto last = FindMember(*stored, gone.client_id, gone.connection_id)) {
        gone_members.push_back(*last);
        bytes += last->client_id.size() + last->connection_id.size() + last->id.size() +
                 last->data.size() + last->encoding.size();
      }
    });
    left.Reserve(gone_members.size(), bytes);
    for (const MemberView& last : gone_members) left.Append(last);
  }
  ChannelChange change;
  change.events = std::move(diff.events);
  change.clients =
      AddClientEvents(before, change.events, ClientCounting::kNet, presence.client_events);
  if (presence.channel_events) {
    AddChannelEvents(before ? before->member_count() : 0, change.events, ClientCounting::kNet);
  }
  change.delta = std::move(diff.delta);
  Derived derived = Pack(channel, tracked, std::move(change));
  if (!left.empty()) derived.MutableChanges().left = std::move(left);
  return derived;
}

Poller::Derived Poller::Pack(const std::string& channel, const Tracked& tracked,
                             ChannelChange change) {
  const ChannelState* stored = tracked.state.get();
  Derived derived;
  derived.ok = true;
  derived.events = PackedEvents(change.events);
  std::vector<Event>().swap(change.events);
  // A first snapshot counts every clientId of its state instead (Adopt).
  if (stored != nullptr && (!change.clients.online.empty() || !change.clients.offline.empty())) {
    derived.MutableChanges().clients = std::move(change.clients);
  }
  if (stored != nullptr && change.delta.empty()) return derived;
  derived.write = true;
  if (stored != nullptr) {
    derived.encoded = change.delta.Encode();
    if (tracked.delta_bytes + derived.encoded.size() <=
        CompactionThreshold(channel, tracked.snapshot_bytes)) {
      derived.MutableChanges().delta = std::move(change.delta);
      return derived;
    }
  }
  // A first snapshot, or deltas that outgrew the snapshot: write the channel in full. Only the
  // encoding is held until the commit (decoded again after it), not the state as well.
  derived.full = true;
  derived.encoded = Apply(stored != nullptr ? *stored : ChannelState{}, change.delta).Encode();
  return derived;
}

CycleReport Poller::RunCycle(const Config& config, const std::atomic<bool>& cancel) {
  const auto started = clock_.SteadyNow();
  Cycle cycle = BeginCycle(config);
  CycleReport report;
  report.channels = cycle.names.size();
  DeriveChanges(cycle, cancel);
  if (cancel) return report;
  QueueSyncs(cycle);
  CollectWrites(cycle);
  report.failed = cycle.failed.size();
  report.errors = std::move(cycle.errors);
  report.committed = Commit(cycle);
  if (report.committed) {
    for (const PackedEvents& events : cycle.events) report.events += events.size();
    Adopt(cycle);
    Publish(cycle);
    report.members = member_total();
  }
  // A cycle whose commit failed ran too: its time counts (its events are derived again).
  const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - started).count();
  metrics_.CycleFinished(seconds,
                         seconds * 1000 > static_cast<double>(config.poll.interval.count()));
  return report;
}

Poller::Cycle Poller::BeginCycle(const Config& config) {
  Cycle cycle(config);
  cycle.now_ms = clock_.NowMs();
  cycle.history_mode = config.presence.mode == PresenceConfig::Mode::kHistory;
  cycle.routes = SinkRoutes(config);
  cycle.names.reserve(channels_.size());
  cycle.tracked.reserve(channels_.size());
  for (auto& [name, tracked] : channels_) {
    cycle.names.push_back(name);
    cycle.tracked.push_back(&tracked);
  }
  cycle.derived.resize(cycle.names.size());
  return cycle;
}

void Poller::DeriveChanges(Cycle& cycle, const std::atomic<bool>& cancel) {
  if (cycle.history_mode) {
    DeriveFromHistory(cycle, cancel);
  } else {
    DeriveFromSnapshots(cycle, cancel);
  }
}

void Poller::DeriveFromSnapshots(Cycle& cycle, const std::atomic<bool>& cancel) {
  const PresenceConfig& presence = cycle.config.presence;
  const bool present_initial =
      presence.initial_snapshot == PresenceConfig::InitialSnapshot::kPresent;
  source_->StreamPresenceViews(
      cycle.names, cancel, [&](size_t index, const ChannelPresenceView& result) {
        if (!result.ok) {
          // A cancelled cycle is abandoned: its unfetched channels need no record of why.
          if (!cancel) cycle.derived[index].MutableChanges().error = result.error;
          return;
        }
        // `present` for the first snapshot of a channel tracked from the start that has none
        // stored, even when its first fetches failed; channels added later by a reload start as a
        // baseline.
        const Tracked& channel = *cycle.tracked[index];
        DiffOptions options = DiffOptionsFrom(
            presence, channel.state == nullptr && channel.initial && present_initial);
        options.build_next = false;
        cycle.derived[index] =
            DeriveSnapshot(cycle.names[index], channel, result, options, cycle.now_ms,
                           announce_.contains(cycle.names[index]), presence);
      });
}

void Poller::DeriveFromHistory(Cycle& cycle, const std::atomic<bool>& cancel) {
  const bool present_initial =
      cycle.config.presence.initial_snapshot == PresenceConfig::InitialSnapshot::kPresent;
  std::vector<HistoryChannelInput> inputs(cycle.names.size());
  for (size_t i = 0; i < cycle.names.size(); ++i) {
    const Tracked& channel = *cycle.tracked[i];
    inputs[i] = {channel.state.get(), channel.history(),
                 channel.state == nullptr && channel.initial && present_initial,
                 announce_.contains(cycle.names[i])};
  }
  // Windows are on Ably's clock when the source knows it (CONTRACT §1 "Presence history").
  const auto ably_now = [&] { return source_->ServerNowMs().value_or(clock_.NowMs()); };
  cycle.history = RunHistoryCycle(
      *source_, cycle.names, inputs, cycle.config.presence, cycle.now_ms, ably_now, cancel,
      [&](size_t index, ChannelChange change) {
        cycle.derived[index] = Pack(cycle.names[index], *cycle.tracked[index], std::move(change));
      });
  for (size_t i = 0; i < cycle.history.errors.size(); ++i) {
    if (!cycle.derived[i].ok) cycle.derived[i].MutableChanges().error = cycle.history.errors[i];
  }
}

void Poller::QueueSyncs(Cycle& cycle) {
  // Syncs go after the cycle's events: each is a channel's state once they are applied.
  cycle.syncs = syncs_.Due(cycle.routes, cycle.now_ms);
  if (cycle.syncs.empty()) return;
  for (size_t i = 0; i < cycle.names.size(); ++i) {
    const Derived& d = cycle.derived[i];
    // A channel whose fetch failed has an unknown member set: it is in the next sync instead.
    if (!d.ok) continue;
    const std::vector<std::string> targets = SyncTargets(cycle.routes, cycle.syncs, cycle.names[i]);
    if (targets.empty()) continue;
    // The channel's state after this cycle, encoded once. A full write (always so for a first
    // snapshot, which has no state yet) is the new state.
    std::string members;
    if (d.full) {
      members = d.encoded;
    } else {
      const ChannelState& state = *cycle.tracked[i]->state;
      members = d.write ? Apply(state, d.Changes().delta).Encode() : state.Encode();
    }
    for (const std::string& sink : targets) {
      cycle.sync_entries.push_back({sink, SyncEvent(sink, cycle.names[i], members, cycle.now_ms)});
    }
  }
}

void Poller::CollectWrites(Cycle& cycle) {
  for (size_t i = 0; i < cycle.names.size(); ++i) {
    Derived& d = cycle.derived[i];
    if (!d.ok) {
      // A channel with nothing to read this cycle was not fetched: that is not a failure.
      if (Idle(cycle, i)) continue;
      cycle.failed.insert(cycle.names[i]);
      const AblyError& error = d.Changes().error;
      ErrorTally& tally = cycle.errors[error.code];
      ++tally.count;
      tally.message = error.message;
      continue;
    }
    // The history cursor goes with the events and state it produced.
    const HistoryTrack* track = cycle.history_mode ? &cycle.history.tracks[i] : nullptr;
    const HistoryTrack& was = cycle.tracked[i]->history();
    if (track != nullptr &&
        (track->cursor_ms != was.cursor_ms || !(track->tombstones == was.tombstones))) {
      cycle.cursors.push_back({cycle.names[i], track->cursor_ms, track->tombstones.Encode()});
    } else if (track == nullptr && was.cursor_ms != 0) {
      // Snapshot mode forgets a stored cursor: history read from it after a restart in history
      // mode would report again what these snapshots report.
      cycle.cursors.push_back({cycle.names[i], 0, ""});
    }
    if (!d.events.empty()) cycle.events.push_back(std::move(d.events));
    if (!d.write) continue;
    if (d.full) {
      cycle.snapshots.push_back({cycle.names[i], std::move(d.encoded)});
    } else {
      cycle.deltas.push_back({cycle.names[i], std::move(d.encoded)});
    }
  }
  // By reference: a burst of millions of events is not held a second time as outbox entries.
  cycle.routed = RouteEvents(cycle.routes, cycle.events);
  cycle.sync_count = cycle.sync_entries.size();
  cycle.outbox = std::move(cycle.sync_entries);
}

bool Poller::Commit(Cycle& cycle) {
  Status committed = store_.CommitCycle(cycle.snapshots, removed_, cycle.outbox, cycle.deltas,
                                        cycle.cursors, cycle.routed);
  metrics_.AddStateBytesWritten(store_.TakeBytesWritten());
  if (!committed.ok()) {
    spdlog::error("state: cycle not committed, its events will be derived again: {}",
                  committed.error().message);
    return false;
  }
  removed_.clear();
  return true;
}

void Poller::Adopt(Cycle& cycle) {
  syncs_.MarkSent(cycle.syncs, cycle.now_ms);
  size_t next_snapshot = 0, next_delta = 0;
  for (size_t i = 0; i < cycle.names.size(); ++i) {
    Derived& d = cycle.derived[i];
    Tracked& channel = *cycle.tracked[i];
    // A snapshot-mode cycle leaves no history to continue from if the mode changes back, only
    // tombstones of the members it removed.
    channel.SetHistory(cycle.history_mode
                           ? cycle.history.tracks[i]
                           : SnapshotModeTrack(channel.history(), d.Changes().left, cycle.now_ms));
    if (!d.ok) {
      // Failed (idle channels were not fetched: their stale mark and last success stay).
      if (!Idle(cycle, i)) {
        channel.last_error = std::make_unique<AblyError>(std::move(d.MutableChanges().error));
        channel.last_error_ms = cycle.now_ms;
        if (!channel.stale) ++stale_count_;
        channel.stale = true;
      }
      continue;
    }
    Count(channel, false);  // its share of the totals changes below
    // A first snapshot counts all its clientIds; later ones what came online or went offline.
    const bool first_snapshot = channel.state == nullptr;
    if (!first_snapshot) {
      for (const std::string& client : d.Changes().clients.online) clients_.Add(client);
      for (const std::string& client : d.Changes().clients.offline) clients_.Remove(client);
    }
    if (d.full) {
      std::string& encoded = cycle.snapshots[next_snapshot++].encoded;
      Result<ChannelState> state = ChannelState::Decode(encoded);
      if (!state.ok()) {  // cannot happen: it was encoded above
        spdlog::error("state: channel {}: {}", cycle.names[i], state.error().message);
        Count(channel, true);
        continue;
      }
      channel.state = std::make_unique<ChannelState>(std::move(*state));
      if (first_snapshot) CountClients(*channel.state, true);
      channel.snapshot_bytes = encoded.size();
      channel.delta_bytes = 0;
      std::string().swap(encoded);
    } else if (d.write) {
      *channel.state = Apply(*channel.state, d.Changes().delta);
      channel.delta_bytes += cycle.deltas[next_delta++].encoded.size();
    }
    d = Derived{};
    channel.last_success_ms = cycle.now_ms;
    Count(channel, true);
    if (channel.stale) --stale_count_;
    channel.stale = false;
    if (!announce_.empty()) announce_.erase(cycle.names[i]);
    PublishChannelMetrics(cycle.names[i], channel, cycle.config.metrics);
  }
  first_cycle_ = false;
}

void Poller::Publish(const Cycle& cycle) {
  if (cycle.sync_count > 0) {
    spdlog::info("sync: {} channel member sets queued for {} sink(s)", cycle.sync_count,
                 cycle.syncs.size());
    metrics_.AddEvents(Action::kSync, cycle.sync_count);
  }
  PublishTotals(cycle.config.metrics);
  std::map<Action, uint64_t> by_action;  // one metrics update per action, not per event
  for (const PackedEvents& events : cycle.events) {
    events.ForEach([&](const Event& event) { ++by_action[event.action]; });
  }
  for (const auto& [action, count] : by_action) metrics_.AddEvents(action, count);
  uint64_t corrections = 0;
  for (const auto& [action, count] : cycle.history.corrections) {
    metrics_.AddReconcileCorrections(action, count);
    corrections += count;
  }
  if (cycle.history.compared > 0) {
    spdlog::debug("history: {} reconcile snapshots compared, {} corrections",
                  cycle.history.compared, corrections);
  }
  // Unpacked one channel at a time: the sink takes Events.
  for (const PackedEvents& events : cycle.events) sink_(events.Unpack());
}

}  // namespace presenced
