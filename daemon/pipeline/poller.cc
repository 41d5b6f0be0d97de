#include "pipeline/poller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "config/presence_options.h"
#include "delivery/router.h"
#include "presence/channel_delta.h"
#include "presence/diff.h"

namespace presenced {

namespace {

bool HasPrefix(const std::string& name, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return name.rfind(p, 0) == 0; });
}

}  // namespace

Poller::Poller(PresenceSource& source, StateStore& store, Metrics& metrics, const Clock& clock,
               EventSink sink)
    : source_(&source), store_(store), metrics_(metrics), clock_(clock), sink_(std::move(sink)) {}

Status Poller::Restore() {
  size_t deltas = 0;
  Status visited = store_.VisitSnapshots([&](const StateStore::StoredSnapshotView& snapshot) {
    Result<ChannelState> state = RestoreState(snapshot.encoded, snapshot.deltas);
    if (!state.ok()) {
      // A snapshot we cannot read is treated as unknown: the channel starts again as a baseline.
      spdlog::warn("state: ignoring unreadable snapshot of channel {}: {}", snapshot.channel,
                   state.error().message);
      return;
    }
    Tracked& tracked = channels_[std::string(snapshot.channel)];
    tracked.state = std::make_unique<ChannelState>(std::move(*state));
    tracked.history.cursor_ms = snapshot.history_cursor_ms;
    if (Result<ChannelState> gone = ChannelState::Decode(snapshot.history_tombstones); gone.ok()) {
      tracked.history.tombstones = std::move(*gone);
    }
    tracked.snapshot_bytes = snapshot.encoded.size();
    for (const std::string& delta : snapshot.deltas) tracked.delta_bytes += delta.size();
    deltas += snapshot.deltas.size();
  });
  if (!visited.ok()) return visited;
  clients_.Reserve(member_total());  // at most one clientId per member
  for (const auto& [name, tracked] : channels_) {
    if (tracked.state) CountClients(*tracked.state, true);
  }
  spdlog::info("state: restored snapshots of {} channels ({} members, {} deltas)", channels_.size(),
               member_total(), deltas);
  return Ok{};
}

void Poller::SetChannels(const std::vector<std::string>& configured,
                         const std::vector<std::string>& discovered,
                         const std::vector<std::string>& prefixes,
                         const std::function<bool(const std::string&)>& owned) {
  std::set<std::string> wanted(configured.begin(), configured.end());
  std::set<std::string> found(discovered.begin(), discovered.end());
  for (auto it = channels_.begin(); it != channels_.end();) {
    const std::string& name = it->first;
    const bool keep_for_leaves = (!owned || owned(name)) && HasPrefix(name, prefixes) &&
                                 it->second.state && !it->second.state->empty();
    if (wanted.count(name) || found.count(name) || keep_for_leaves) {
      it->second.discovered = !wanted.count(name);
      ++it;
      continue;
    }
    removed_.push_back(name);
    if (it->second.state) CountClients(*it->second.state, false);
    stale_.erase(name);
    metrics_.RemoveChannel(name);
    it = channels_.erase(it);
  }
  for (const auto& name : wanted) Track(name).discovered = false;
  for (const auto& name : found) {
    if (!wanted.count(name)) Track(name).discovered = true;
  }
  // A channel dropped and added back before the next commit must keep the snapshot it gets.
  std::erase_if(removed_, [&](const std::string& name) { return channels_.count(name) > 0; });
  // A room announced while another shard owned it must not announce itself later, when a re-shard
  // hands it over with members that shard already reported: then it starts as a baseline.
  std::erase_if(announce_, [&](const std::string& name) { return channels_.count(name) == 0; });
}

void Poller::AnnounceFirstSnapshot(const std::vector<std::string>& channels) {
  for (const std::string& name : channels) {
    auto it = channels_.find(name);
    if (it == channels_.end() || !it->second.state) announce_.insert(name);
  }
}

void Poller::CountClients(const ChannelState& state, bool add) {
  std::string_view previous;
  for (size_t i = 0; i < state.member_count(); ++i) {
    const std::string_view client = state.member(i).client_id;
    if (i > 0 && client == previous) continue;  // members are sorted by clientId first
    previous = client;
    if (add) {
      clients_.Add(client);
    } else {
      clients_.Remove(client);
    }
  }
}

Poller::Tracked& Poller::Track(const std::string& name) {
  auto [it, added] = channels_.try_emplace(name);
  if (added) it->second.initial = first_cycle_;
  return it->second;
}

void Poller::ForEachChannel(
    const std::function<void(const std::string&, size_t, size_t, bool, int64_t)>& visit) const {
  for (const auto& [name, tracked] : channels_) {
    const size_t members = tracked.state ? tracked.state->member_count() : 0;
    const size_t clients = tracked.state ? tracked.state->client_count() : 0;
    visit(name, members, clients, stale_.count(name) > 0, tracked.last_success_ms);
  }
}

void Poller::RequestSync(const std::string& webhook) {
  std::lock_guard lock(sync_mu_);
  sync_requested_.insert(webhook);
}

std::set<std::string> Poller::DueSyncs(const std::vector<WebhookConfig>& webhooks, int64_t now_ms) {
  std::set<std::string> due;
  {
    std::lock_guard lock(sync_mu_);
    due = sync_requested_;
  }
  std::map<std::string, SyncSchedule> schedule;
  for (const WebhookConfig& webhook : webhooks) {
    if (webhook.sync_every.count() == 0) continue;
    // A new webhook, or a new period, starts counting now: a restart or reload does not sync at
    // once, and the first sync comes one period after.
    SyncSchedule entry =
        sync_schedule_.count(webhook.name) ? sync_schedule_[webhook.name] : SyncSchedule{};
    if (entry.period != webhook.sync_every) {
      entry = {webhook.sync_every, now_ms + webhook.sync_every.count()};
    }
    if (entry.next_ms <= now_ms) due.insert(webhook.name);
    schedule[webhook.name] = entry;
  }
  sync_schedule_ = std::move(schedule);
  return due;
}

void Poller::AppendSyncs(const std::vector<WebhookConfig>& webhooks,
                         const std::set<std::string>& due, const std::vector<std::string>& names,
                         const std::vector<Derived>& derived, int64_t now_ms,
                         std::vector<StateStore::OutboxEntry>& outbox) const {
  std::vector<const WebhookConfig*> targets;
  for (const WebhookConfig& webhook : webhooks) {
    if (due.count(webhook.name)) targets.push_back(&webhook);
  }
  if (targets.empty()) return;
  for (size_t i = 0; i < names.size(); ++i) {
    const Derived& d = derived[i];
    // A channel whose fetch failed has an unknown member set: it is in the next sync instead.
    if (!d.ok) continue;
    std::string members;  // the channel's state after this cycle, encoded once
    for (const WebhookConfig* webhook : targets) {
      if (!MatchesAnyGlob(webhook->channels, names[i])) continue;
      if (members.empty()) {
        // A full write (always so for a first snapshot, which has no state yet) is the new state.
        if (d.full) {
          members = d.encoded;
        } else {
          const ChannelState& state = *channels_.at(names[i]).state;
          members = d.write ? Apply(state, d.delta).Encode() : state.Encode();
        }
      }
      outbox.push_back({webhook->name, SyncEvent(webhook->name, names[i], members, now_ms)});
    }
  }
}

std::vector<std::string> Poller::Channels() const {
  std::vector<std::string> names;
  names.reserve(channels_.size());
  for (const auto& [name, tracked] : channels_) names.push_back(name);
  return names;
}

size_t Poller::member_total() const {
  size_t total = 0;
  for (const auto& [name, tracked] : channels_) {
    if (tracked.state) total += tracked.state->member_count();
  }
  return total;
}

uint64_t Poller::CompactionThreshold(const std::string& channel, uint64_t snapshot_bytes) {
  // Between 1x and 2x the snapshot, by a hash of the name, so that channels churning at the same
  // rate do not all rewrite their snapshot in the same cycle.
  const uint64_t spread = std::hash<std::string>{}(channel) % 256;
  return std::max<uint64_t>(snapshot_bytes + snapshot_bytes * spread / 256, kMinCompactionBytes);
}

Poller::Derived Poller::Derive(const std::string& channel, const Tracked& tracked,
                               const ChannelPresence& result, const DiffOptions& options,
                               int64_t now_ms, bool announce, bool client_events) {
  // A room that was inactive before: diffed against an empty set, so its members enter.
  static const ChannelState kInactive;
  const ChannelState* stored = tracked.state.get();
  const ChannelState* before = stored == nullptr && announce ? &kInactive : stored;
  DiffResult diff = Diff(channel, before, result.members, options, now_ms);
  ChannelChange change;
  change.events = std::move(diff.events);
  change.clients = AddClientEvents(before, change.events, ClientCounting::kNet, client_events);
  change.delta = std::move(diff.delta);
  return Pack(channel, tracked, std::move(change));
}

Poller::Derived Poller::Pack(const std::string& channel, const Tracked& tracked,
                             ChannelChange change) {
  const ChannelState* stored = tracked.state.get();
  Derived derived;
  derived.ok = true;
  derived.events = std::move(change.events);
  derived.clients = std::move(change.clients);
  if (stored != nullptr && change.delta.empty()) return derived;
  derived.write = true;
  if (stored != nullptr) {
    derived.encoded = change.delta.Encode();
    if (tracked.delta_bytes + derived.encoded.size() <=
        CompactionThreshold(channel, tracked.snapshot_bytes)) {
      derived.delta = std::move(change.delta);
      return derived;
    }
  }
  // A first snapshot, or deltas that outgrew the snapshot: write the channel in full. Only the
  // encoding is held until the commit (decoded again after it), not the state as well.
  derived.full = true;
  derived.encoded = Apply(stored != nullptr ? *stored : ChannelState{}, change.delta).Encode();
  return derived;
}

HistoryCycleResult Poller::DeriveFromHistory(const Config& config,
                                             const std::vector<std::string>& names,
                                             const std::vector<const Tracked*>& tracked,
                                             int64_t now_ms, const std::atomic<bool>& cancel,
                                             std::vector<Derived>& derived) {
  const bool present_initial =
      config.presence.initial_snapshot == PresenceConfig::InitialSnapshot::kPresent;
  std::vector<HistoryChannelInput> inputs(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const Tracked& channel = *tracked[i];
    inputs[i] = {channel.state.get(), channel.history,
                 channel.state == nullptr && channel.initial && present_initial,
                 announce_.contains(names[i])};
  }
  return RunHistoryCycle(*source_, names, inputs, config.presence, now_ms, cancel,
                         [&](size_t index, ChannelChange change) {
                           derived[index] = Pack(names[index], *tracked[index], std::move(change));
                         });
}

CycleReport Poller::RunCycle(const Config& config, const std::atomic<bool>& cancel) {
  const auto started = clock_.SteadyNow();
  CycleReport report;
  const std::vector<std::string> names = Channels();
  report.channels = names.size();

  const int64_t now_ms = clock_.NowMs();
  const bool present_initial =
      config.presence.initial_snapshot == PresenceConfig::InitialSnapshot::kPresent;
  // The tracked channels, by position in `names`: channels_ is not modified while fetching, so
  // the fetch threads may read them.
  std::vector<const Tracked*> tracked(names.size(), nullptr);
  for (size_t i = 0; i < names.size(); ++i) tracked[i] = &channels_.at(names[i]);

  // Each channel is diffed on its fetch thread as soon as its response is parsed; the parsed
  // members go with the response, and only the changes are kept. Everything derived is adopted
  // only once the store has committed it.
  std::vector<Derived> derived(names.size());
  const bool history_mode = config.presence.mode == PresenceConfig::Mode::kHistory;
  HistoryCycleResult history;
  if (history_mode) {
    history = DeriveFromHistory(config, names, tracked, now_ms, cancel, derived);
  } else {
    source_->StreamPresence(names, cancel, [&](size_t index, const ChannelPresence& result) {
      if (!result.ok) return;
      // `present` for the first snapshot of a channel tracked from the start that has none
      // stored, even when its first fetches failed; channels added later by a reload start as a
      // baseline.
      const Tracked& channel = *tracked[index];
      DiffOptions options = DiffOptionsFrom(
          config.presence, channel.state == nullptr && channel.initial && present_initial);
      options.build_next = false;
      derived[index] = Derive(names[index], channel, result, options, now_ms,
                              announce_.contains(names[index]), config.presence.client_events);
    });
  }
  if (cancel) return report;

  // Syncs go after the cycle's events: each is a channel's state once they are applied.
  const std::set<std::string> syncs = DueSyncs(config.webhooks, now_ms);
  std::vector<StateStore::OutboxEntry> sync_entries;
  AppendSyncs(config.webhooks, syncs, names, derived, now_ms, sync_entries);
  const size_t sync_count = sync_entries.size();

  std::vector<StateStore::Snapshot> snapshots;
  std::vector<StateStore::Delta> deltas;
  std::vector<StateStore::Cursor> cursors;
  std::vector<Event> events;
  size_t event_count = 0;
  for (const Derived& d : derived) event_count += d.events.size();
  events.reserve(event_count);  // not grown by doubling: the cycle's largest transient
  std::set<std::string> failed;
  for (size_t i = 0; i < names.size(); ++i) {
    Derived& d = derived[i];
    if (!d.ok) {
      failed.insert(names[i]);
      continue;
    }
    // The history cursor goes with the events and state it produced.
    const HistoryTrack* track = history_mode ? &history.tracks[i] : nullptr;
    if (track != nullptr && (track->cursor_ms != tracked[i]->history.cursor_ms ||
                             !(track->tombstones == tracked[i]->history.tombstones))) {
      cursors.push_back({names[i], track->cursor_ms, track->tombstones.Encode()});
    }
    std::move(d.events.begin(), d.events.end(), std::back_inserter(events));
    std::vector<Event>().swap(d.events);
    if (!d.write) continue;
    if (d.full) {
      snapshots.push_back({names[i], std::move(d.encoded)});
    } else {
      deltas.push_back({names[i], std::move(d.encoded)});
    }
  }

  auto outbox = Route(config.webhooks, events);
  std::move(sync_entries.begin(), sync_entries.end(), std::back_inserter(outbox));
  Status committed = store_.CommitCycle(snapshots, removed_, outbox, deltas, cursors);
  metrics_.AddStateBytesWritten(store_.TakeBytesWritten());
  if (!committed.ok()) {
    spdlog::error("state: cycle not committed, its events will be derived again: {}",
                  committed.error().message);
    report.failed = failed.size();
    return report;
  }
  removed_.clear();
  report.committed = true;
  for (const std::string& webhook : syncs) {
    if (auto it = sync_schedule_.find(webhook); it != sync_schedule_.end()) {
      it->second.next_ms = now_ms + it->second.period.count();
    }
    std::lock_guard lock(sync_mu_);
    sync_requested_.erase(webhook);
  }
  if (sync_count > 0) {
    spdlog::info("sync: {} channel member sets queued for {} webhook(s)", sync_count, syncs.size());
    metrics_.AddEvents(Action::kSync, sync_count);
  }
  report.failed = failed.size();
  report.events = events.size();

  const bool per_channel = config.metrics.per_channel;
  size_t next_snapshot = 0, next_delta = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    Derived& d = derived[i];
    Tracked& channel = channels_[names[i]];
    // A snapshot-mode cycle leaves no history to continue from if the mode changes back.
    channel.history = history_mode ? history.tracks[i] : HistoryTrack{};
    if (!d.ok) continue;
    // A first snapshot counts all its clientIds; later ones what came online or went offline.
    const bool first_snapshot = channel.state == nullptr;
    if (!first_snapshot) {
      for (const std::string& client : d.clients.online) clients_.Add(client);
      for (const std::string& client : d.clients.offline) clients_.Remove(client);
    }
    if (d.full) {
      std::string& encoded = snapshots[next_snapshot++].encoded;
      Result<ChannelState> state = ChannelState::Decode(encoded);
      if (!state.ok()) {  // cannot happen: it was encoded above
        spdlog::error("state: channel {}: {}", names[i], state.error().message);
        continue;
      }
      channel.state = std::make_unique<ChannelState>(std::move(*state));
      if (first_snapshot) CountClients(*channel.state, true);
      channel.snapshot_bytes = encoded.size();
      channel.delta_bytes = 0;
      std::string().swap(encoded);
    } else if (d.write) {
      *channel.state = Apply(*channel.state, d.delta);
      channel.delta_bytes += deltas[next_delta++].encoded.size();
    }
    d = Derived{};
    channel.last_success_ms = now_ms;
    stale_.erase(names[i]);
    announce_.erase(names[i]);
    PublishChannelMetrics(names[i], channel, per_channel);
  }
  for (const auto& name : failed) stale_.insert(name);
  PublishTotals(per_channel);
  std::map<Action, uint64_t> by_action;  // one metrics update per action, not per event
  for (const Event& event : events) ++by_action[event.action];
  for (const auto& [action, count] : by_action) metrics_.AddEvents(action, count);
  for (const auto& [action, count] : history.corrections) {
    metrics_.AddReconcileCorrections(action, count);
  }
  if (!events.empty()) sink_(events);

  first_cycle_ = false;
  report.members = member_total();
  const double seconds = std::chrono::duration<double>(clock_.SteadyNow() - started).count();
  metrics_.CycleFinished(seconds,
                         seconds * 1000 > static_cast<double>(config.poll.interval.count()));
  return report;
}

void Poller::PublishChannelMetrics(const std::string& channel, const Tracked& tracked,
                                   bool per_channel) {
  if (!per_channel) return;
  metrics_.SetChannelMembers(channel, tracked.state->member_count(), tracked.state->client_count());
  metrics_.SetChannelLastSuccess(channel, static_cast<double>(tracked.last_success_ms) / 1000.0);
}

void Poller::PublishTotals(bool per_channel) {
  metrics_.SetChannels(channels_.size(), stale_.size());
  metrics_.SetClientsDistinct(clients_.size());
  if (per_channel) return;
  uint64_t members = 0, clients = 0;
  int64_t oldest_success = 0;
  for (const auto& [name, tracked] : channels_) {
    if (!tracked.state || tracked.last_success_ms == 0) continue;
    members += tracked.state->member_count();
    clients += tracked.state->client_count();
    if (oldest_success == 0 || tracked.last_success_ms < oldest_success) {
      oldest_success = tracked.last_success_ms;
    }
  }
  metrics_.SetTotals(members, clients);
  if (oldest_success > 0) {
    metrics_.SetChannelLastSuccess("", static_cast<double>(oldest_success) / 1000.0);
  }
}

}  // namespace presenced
