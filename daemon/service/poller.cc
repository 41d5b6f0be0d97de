#include "service/poller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "delivery/router.h"
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
  auto snapshots = store_.LoadSnapshots();
  if (!snapshots.ok()) return snapshots.error();
  for (auto& snapshot : *snapshots) {
    auto state = ChannelState::Decode(snapshot.encoded);
    if (!state.ok()) {
      // A snapshot we cannot read is treated as unknown: the channel starts again as a baseline.
      spdlog::warn("state: ignoring unreadable snapshot of channel {}: {}", snapshot.channel,
                   state.error().message);
      continue;
    }
    channels_[snapshot.channel].state = std::make_unique<ChannelState>(std::move(*state));
  }
  spdlog::info("state: restored snapshots of {} channels", channels_.size());
  return Ok{};
}

void Poller::SetChannels(const std::vector<std::string>& configured,
                         const std::vector<std::string>& discovered,
                         const std::vector<std::string>& prefixes) {
  std::set<std::string> wanted(configured.begin(), configured.end());
  std::set<std::string> found(discovered.begin(), discovered.end());
  for (auto it = channels_.begin(); it != channels_.end();) {
    const std::string& name = it->first;
    const bool keep_for_leaves =
        HasPrefix(name, prefixes) && it->second.state && !it->second.state->empty();
    if (wanted.count(name) || found.count(name) || keep_for_leaves) {
      it->second.discovered = !wanted.count(name);
      ++it;
      continue;
    }
    removed_.push_back(name);
    stale_.erase(name);
    metrics_.RemoveChannel(name);
    it = channels_.erase(it);
  }
  for (const auto& name : wanted) channels_[name].discovered = false;
  for (const auto& name : found) {
    if (!wanted.count(name)) channels_[name].discovered = true;
  }
  // A channel dropped and added back before the next commit must keep the snapshot it gets.
  std::erase_if(removed_, [&](const std::string& name) { return channels_.count(name) > 0; });
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

CycleReport Poller::RunCycle(const Config& config, const std::atomic<bool>& cancel) {
  const auto started = clock_.SteadyNow();
  CycleReport report;
  const std::vector<std::string> names = Channels();
  report.channels = names.size();

  const int64_t now_ms = clock_.NowMs();
  const bool present_first =
      first_cycle_ && config.presence.initial_snapshot == PresenceConfig::InitialSnapshot::kPresent;
  // The tracked states, by position in `names`: channels_ is not modified while fetching, so the
  // fetch threads may read them.
  std::vector<const ChannelState*> before(names.size(), nullptr);
  for (size_t i = 0; i < names.size(); ++i) before[i] = channels_.at(names[i]).state.get();

  // Each channel is diffed on its fetch thread as soon as its response is parsed; the parsed
  // members are released with the response. Everything derived is adopted only once the store
  // has committed it.
  std::vector<std::optional<DiffResult>> diffs(names.size());
  source_->StreamPresence(names, cancel, [&](size_t index, const ChannelPresence& result) {
    if (!result.ok) return;
    DiffOptions options{config.presence.update_on, config.presence.leave_after_misses,
                        before[index] == nullptr && present_first};
    diffs[index] = Diff(names[index], before[index], result.members, options, now_ms);
  });
  if (cancel) return report;

  std::vector<std::pair<std::string, ChannelState>> next_states;
  std::vector<StateStore::Snapshot> writes;
  std::vector<Event> events;
  std::set<std::string> failed;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!diffs[i]) {
      failed.insert(names[i]);
      continue;
    }
    DiffResult& diff = *diffs[i];
    if (diff.changed || before[i] == nullptr) writes.push_back({names[i], diff.next.Encode()});
    std::move(diff.events.begin(), diff.events.end(), std::back_inserter(events));
    next_states.emplace_back(names[i], std::move(diff.next));
    diffs[i].reset();
  }

  const auto outbox = Route(config.webhooks, events);
  if (Status committed = store_.CommitCycle(writes, removed_, outbox); !committed.ok()) {
    spdlog::error("state: cycle not committed, its events will be derived again: {}",
                  committed.error().message);
    report.failed = failed.size();
    return report;
  }
  removed_.clear();
  report.committed = true;
  report.failed = failed.size();
  report.events = events.size();

  const bool per_channel = config.metrics.per_channel;
  for (auto& [name, state] : next_states) {
    Tracked& tracked = channels_[name];
    tracked.state = std::make_unique<ChannelState>(std::move(state));
    tracked.last_success_ms = now_ms;
    stale_.erase(name);
    PublishChannelMetrics(name, tracked, per_channel);
  }
  for (const auto& name : failed) stale_.insert(name);
  PublishTotals(per_channel);
  for (const Event& event : events) metrics_.AddEvents(event.action, 1);
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
