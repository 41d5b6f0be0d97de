// The Poller's channel set: restore after a restart, the list to poll, discovery's
// announcements, distinct-client counting, and the per-channel and total member metrics.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "pipeline/poller.h"

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
    HistoryTrack history;
    history.cursor_ms = snapshot.history_cursor_ms;
    if (Result<ChannelState> gone = ChannelState::Decode(snapshot.history_tombstones); gone.ok()) {
      history.tombstones = std::move(*gone);
    }
    tracked.SetHistory(std::move(history));
    tracked.snapshot_bytes = snapshot.encoded.size();
    for (const std::string& delta : snapshot.deltas) tracked.delta_bytes += delta.size();
    deltas += snapshot.deltas.size();
  });
  if (!visited.ok()) return visited;
  Recount();
  recheck_channels_ = true;
  clients_.Reserve(member_total());  // at most one clientId per member
  for (const auto& [name, tracked] : channels_) {
    if (tracked.state) CountClients(*tracked.state, true);
  }
  spdlog::info("state: restored snapshots of {} channels ({} members, {} deltas)", channels_.size(),
               member_total(), deltas);
  return Ok{};
}

bool Poller::SameChannels(const std::vector<std::string>& configured,
                          const std::vector<std::string>& discovered,
                          const std::vector<std::string>& prefixes) const {
  return !recheck_channels_ && configured == last_configured_ && discovered == last_discovered_ &&
         prefixes == last_prefixes_;
}

void Poller::SetChannels(const std::vector<std::string>& configured,
                         const std::vector<std::string>& discovered,
                         const std::vector<std::string>& prefixes,
                         const std::function<bool(const std::string&)>& owned) {
  // Called before every cycle: the same lists again (the usual case) change nothing, and are
  // recognised without building sets of every name.
  if (!SameChannels(configured, discovered, prefixes)) {
    std::set<std::string> wanted(configured.begin(), configured.end());
    std::set<std::string> found(discovered.begin(), discovered.end());
    recheck_channels_ = false;
    for (auto it = channels_.begin(); it != channels_.end();) {
      const std::string& name = it->first;
      const bool keep_for_leaves = (!owned || owned(name)) && HasPrefix(name, prefixes) &&
                                   it->second.state && !it->second.state->empty();
      if (wanted.count(name) || found.count(name) || keep_for_leaves) {
        if (!wanted.count(name) && !found.count(name)) recheck_channels_ = true;  // leaves
        SetDiscovered(it->second, !wanted.count(name));
        ++it;
        continue;
      }
      removed_.push_back(name);
      if (it->second.state) CountClients(*it->second.state, false);
      Count(it->second, false);
      if (it->second.stale) --stale_count_;
      metrics_.RemoveChannel(name);
      it = channels_.erase(it);
    }
    for (const auto& name : wanted) SetDiscovered(Track(name), false);
    for (const auto& name : found) {
      if (!wanted.count(name)) SetDiscovered(Track(name), true);
    }
    last_configured_ = configured;
    last_discovered_ = discovered;
    last_prefixes_ = prefixes;
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

void Poller::Tracked::SetHistory(HistoryTrack track) {
  const bool blank = track.cursor_ms == 0 && track.need_snapshot &&
                     track.cycles_since_snapshot == 0 && track.tombstones.empty() &&
                     track.pending.empty();
  if (blank) {
    history_track.reset();
  } else if (history_track) {
    *history_track = std::move(track);
  } else {
    history_track = std::make_unique<HistoryTrack>(std::move(track));
  }
}

Poller::Tracked& Poller::Track(const std::string& name) {
  auto [it, added] = channels_.try_emplace(name);
  if (added) {
    it->second.initial = first_cycle_;
    Count(it->second, true);
  }
  return it->second;
}

void Poller::SetDiscovered(Tracked& tracked, bool discovered) {
  if (tracked.discovered == discovered) return;
  Count(tracked, false);
  tracked.discovered = discovered;
  Count(tracked, true);
}

void Poller::Count(const Tracked& tracked, bool add) {
  Totals& totals = totals_[tracked.discovered ? 1 : 0];
  // Unsigned sums: removing adds the two's complement, which wraps back exactly.
  const auto sign = [add](uint64_t n) { return add ? n : uint64_t{0} - n; };
  totals.channels += sign(1);
  if (!tracked.state) return;
  member_total_ += sign(tracked.state->member_count());
  if (!tracked.state->empty()) occupied_ += sign(1);
  if (tracked.last_success_ms == 0) return;
  totals.members += sign(tracked.state->member_count());
  totals.clients += sign(tracked.state->client_count());
  auto& successes = totals.successes;
  auto it = successes.end();
  while (it != successes.begin() && std::prev(it)->first >= tracked.last_success_ms) --it;
  const bool found = it != successes.end() && it->first == tracked.last_success_ms;
  if (add) {
    if (!found) it = successes.insert(it, {tracked.last_success_ms, 0});
    ++it->second;
  } else if (found && --it->second == 0) {
    successes.erase(it);
  }
}

void Poller::Recount() {
  for (Totals& totals : totals_) totals = Totals{};
  member_total_ = 0;
  occupied_ = 0;
  for (const auto& [name, tracked] : channels_) Count(tracked, true);
}

void Poller::ForEachChannel(const std::function<void(const ChannelReport&)>& visit) const {
  for (const auto& [name, tracked] : channels_) {
    ChannelReport report;
    report.name = name;
    report.members = tracked.state ? tracked.state->member_count() : 0;
    report.clients = tracked.state ? tracked.state->client_count() : 0;
    report.stale = tracked.stale;
    report.last_success_ms = tracked.last_success_ms;
    report.last_error_ms = tracked.last_error_ms;
    report.last_error = tracked.last_error.get();
    visit(report);
  }
}

void Poller::RequestSync(const std::string& webhook) { syncs_.Request(webhook); }

std::vector<std::string> Poller::Channels() const {
  std::vector<std::string> names;
  names.reserve(channels_.size());
  for (const auto& [name, tracked] : channels_) names.push_back(name);
  return names;
}

void Poller::PublishChannelMetrics(const std::string& channel, Tracked& tracked,
                                   const MetricsConfig& config) {
  if (!config.Labelled(tracked.discovered)) {
    // Counted in the unlabelled series instead (PublishTotals).
    if (tracked.has_series) metrics_.RemoveChannel(channel);
    tracked.has_series = false;
    return;
  }
  tracked.has_series = true;
  metrics_.SetChannelMembers(channel, tracked.state->member_count(), tracked.state->client_count());
  metrics_.SetChannelLastSuccess(channel, static_cast<double>(tracked.last_success_ms) / 1000.0);
}

void Poller::PublishTotals(const MetricsConfig& config) {
  metrics_.SetChannels(channels_.size(), stale_count_);
  metrics_.SetChannelsOccupied(occupied_);
  metrics_.SetClientsDistinct(clients_.size());
  uint64_t members = 0, clients = 0;
  int64_t oldest_success = 0;
  size_t unlabelled = 0;
  for (const bool discovered : {false, true}) {
    if (config.Labelled(discovered)) continue;
    const Totals& totals = totals_[discovered ? 1 : 0];
    unlabelled += totals.channels;
    members += totals.members;
    clients += totals.clients;
    if (totals.successes.empty()) continue;
    const int64_t oldest = totals.successes.begin()->first;
    if (oldest_success == 0 || oldest < oldest_success) oldest_success = oldest;
  }
  if (!config.per_channel) {
    metrics_.SetTotals(members, clients);
    if (oldest_success > 0) {
      metrics_.SetChannelLastSuccess("", static_cast<double>(oldest_success) / 1000.0);
    }
  } else if (unlabelled > 0) {
    metrics_.SetOtherChannels(members, clients, static_cast<double>(oldest_success) / 1000.0);
  } else {
    metrics_.ClearOtherChannels();
  }
}

}  // namespace presenced
